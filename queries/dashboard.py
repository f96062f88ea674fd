"""The dashboard's questions, asked in SQL of the cached Spotify payloads, answered as DataFrames.

Each cached function takes the filter as plain values (start, end, time_range); see
queries/filters.py for what they mean. Release year and explicit flag come from raw_json through
two stored generated columns (db/migrations/0001_tracks_and_snapshots.sql):

- album_release_year: the first four characters of raw_json -> 'album' ->> 'release_date' when
  they are four digits other than "0000", else NULL ("Unknown");
- is_explicit: raw_json -> 'explicit' when it is a JSON boolean, else NULL ("Unknown").

Reading them instead of raw_json spares PostgreSQL from decompressing every payload per chart.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from psycopg import sql

from db import meta
from db.pool import connection

CACHE = {"ttl": 600, "max_entries": 64, "show_spinner": False}
UNKNOWN = "Unknown"


def snapshot_filter(start: dt.date | None, end: dt.date | None, time_range: str | None
                    ) -> tuple[sql.Composable, dict]:
    """The WHERE clause selecting the snapshots in the filter, and its parameters. Clauses are
    left out rather than written as "(%s IS NULL OR ...)", so that each shape gets its own
    plan."""
    clauses, params = [sql.SQL("TRUE")], {}
    if start is not None and end is not None:
        clauses.append(sql.SQL("snapshot_date BETWEEN %(start)s AND %(end)s"))
        params.update(start=start, end=end)
    if time_range is not None:
        clauses.append(sql.SQL("time_range = %(time_range)s"))
        params["time_range"] = time_range
    return sql.SQL(" AND ").join(clauses), params


def selected_tracks(start, end, time_range) -> tuple[sql.Composable, dict]:
    """FROM clause for the filtered tracks, aliased t: every track when nothing is filtered,
    else the tracks with at least one snapshot in the filter (each counted once)."""
    if start is None and time_range is None:
        return sql.SQL("tracks t"), {}
    where, params = snapshot_filter(start, end, time_range)
    return sql.SQL(
        "tracks t WHERE t.track_id IN (SELECT track_id FROM snapshots WHERE {})"
    ).format(where), params


SUMMARY_SQL = """
SELECT
    count(*) AS tracks,
    count(DISTINCT t.artist_name) AS artists,
    count(*) FILTER (WHERE t.is_explicit) AS explicit,
    count(t.is_explicit) AS known_explicit,
    (SELECT count(DISTINCT snapshot_date) FROM snapshots WHERE {snapshots}) AS snapshot_days,
    (SELECT max(snapshot_date) FROM snapshots WHERE {snapshots}) AS latest_snapshot
FROM {tracks}
"""

FACETS_SQL = """
SELECT t.album_release_year AS year, t.is_explicit AS explicit, count(*) AS tracks
FROM {tracks}
GROUP BY 1, 2
"""

TOP_TRACKS_SQL = """
SELECT t.name AS track, t.artist_name AS artist, t.album_name AS album,
       c.best_rank, c.days_charted
FROM (
    SELECT track_id, min(rank) AS best_rank, count(DISTINCT snapshot_date) AS days_charted
    FROM snapshots WHERE {snapshots}
    GROUP BY track_id
    ORDER BY best_rank, days_charted DESC, track_id
    LIMIT %(limit)s
) c JOIN tracks t USING (track_id)
ORDER BY c.best_rank, c.days_charted DESC, t.track_id
"""

BOUNDS_SQL = "SELECT min(snapshot_date), max(snapshot_date) FROM snapshots"


def frame(query: sql.Composable | str, params: dict | tuple = ()) -> pd.DataFrame:
    """Run one query through the shared pool; the result as a DataFrame."""
    with connection() as conn, conn.cursor() as cur:
        cur.execute(query, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def _filled(template: str, start, end, time_range, **extra) -> tuple[sql.Composable, dict]:
    tracks, track_params = selected_tracks(start, end, time_range)
    snapshots, snapshot_params = snapshot_filter(start, end, time_range)
    query = sql.SQL(template).format(tracks=tracks, snapshots=snapshots)
    return query, {**track_params, **snapshot_params, **extra}


@st.cache_data(**CACHE)
def summary(start: dt.date | None, end: dt.date | None, time_range: str | None) -> dict:
    """Tracks, artists, explicit counts, snapshot days and the latest snapshot in the filter."""
    row = frame(*_filled(SUMMARY_SQL, start, end, time_range)).iloc[0].to_dict()
    known = int(row["known_explicit"])
    row["share_explicit"] = int(row["explicit"]) / known if known else None
    return row


@st.cache_data(**CACHE)
def release_facets(start: dt.date | None, end: dt.date | None, time_range: str | None
                   ) -> pd.DataFrame:
    """Track counts by (release year, explicit flag): one query that all three charts share."""
    facets = frame(*_filled(FACETS_SQL, start, end, time_range))
    facets["tracks"] = facets["tracks"].astype(int)
    return facets


def release_decades(start, end, time_range) -> pd.DataFrame:
    """decade ("1980s", ..., "Unknown" last) and tracks, decades in order."""
    facets = release_facets(start, end, time_range)
    decade = facets["year"].map(lambda y: UNKNOWN if pd.isna(y) else f"{int(y) // 10 * 10}s")
    return _ordered(facets.groupby(decade)["tracks"].sum(), "decade", ascending=True)


def release_years(start, end, time_range) -> pd.DataFrame:
    """Every release year, newest first, then Unknown."""
    facets = release_facets(start, end, time_range)
    year = facets["year"].map(lambda y: UNKNOWN if pd.isna(y) else str(int(y)))
    return _ordered(facets.groupby(year)["tracks"].sum(), "year", ascending=False)


def explicit_breakdown(start, end, time_range) -> pd.DataFrame:
    """Explicit, Clean and Unknown (missing, null or not a JSON boolean), in that order."""
    facets = release_facets(start, end, time_range)
    label = facets["explicit"].map(
        lambda e: UNKNOWN if e is None or pd.isna(e) else ("Explicit" if e else "Clean"))
    counts = facets.groupby(label)["tracks"].sum()
    order = [k for k in ("Explicit", "Clean", UNKNOWN) if k in counts.index]
    return counts.reindex(order).rename_axis("content").reset_index()


def _ordered(counts: pd.Series, name: str, ascending: bool) -> pd.DataFrame:
    known = sorted((k for k in counts.index if k != UNKNOWN), reverse=not ascending)
    order = known + ([UNKNOWN] if UNKNOWN in counts.index else [])
    return counts.reindex(order).rename_axis(name).reset_index()


@st.cache_data(**CACHE)
def top_tracks(start: dt.date | None, end: dt.date | None, time_range: str | None,
               limit: int = 20) -> pd.DataFrame:
    """The best-ranked tracks in the filter: best rank, and on how many days they charted."""
    return frame(*_filled(TOP_TRACKS_SQL, start, end, time_range, limit=limit))


@st.cache_data(**CACHE)
def snapshot_bounds() -> tuple[dt.date | None, dt.date | None]:
    """The first and last snapshot dates (None, None on an empty database)."""
    first, last = frame(BOUNDS_SQL).iloc[0]
    return (first if pd.notna(first) else None, last if pd.notna(last) else None)


@st.cache_data(**CACHE)
def demo_info() -> dict | None:
    return meta.get_meta(meta.DEMO_KEY)


def clear_caches() -> None:
    """After the app writes: every cached answer may be stale."""
    st.cache_data.clear()
