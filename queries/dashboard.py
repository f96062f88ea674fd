"""The dashboard's questions, asked in SQL of the JSONB payloads, answered as DataFrames."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from db import meta
from db.pool import connection

CACHE = {"ttl": 600, "max_entries": 64, "show_spinner": False}

SUMMARY_SQL = """
SELECT
    (SELECT count(*) FROM tracks) AS tracks,
    (SELECT count(DISTINCT snapshot_date) FROM snapshots) AS snapshot_days,
    (SELECT count(DISTINCT artist_name) FROM tracks) AS artists,
    (SELECT max(snapshot_date) FROM snapshots) AS latest_snapshot
"""

# album_release_year is a stored generated column: the first four characters of
# raw_json -> 'album' ->> 'release_date' when they are four digits other than "0000".
RELEASE_DECADES_SQL = """
SELECT album_release_year / 10 * 10 AS decade, count(*) AS tracks
FROM tracks
GROUP BY 1
ORDER BY 1 NULLS LAST
"""


def frame(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run one query through the shared pool; the result as a DataFrame."""
    with connection() as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


@st.cache_data(**CACHE)
def summary() -> dict:
    return frame(SUMMARY_SQL).iloc[0].to_dict()


@st.cache_data(**CACHE)
def release_decades() -> pd.DataFrame:
    decades = frame(RELEASE_DECADES_SQL)
    decades["decade"] = [f"{int(d)}s" if pd.notna(d) else "Unknown" for d in decades["decade"]]
    decades["tracks"] = decades["tracks"].astype(int)
    return decades


@st.cache_data(**CACHE)
def demo_info() -> dict | None:
    return meta.get_meta(meta.DEMO_KEY)
