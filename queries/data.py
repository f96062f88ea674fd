"""The Data page's questions: the imports that wrote, newest first; what the streaming-history
export has brought in so far; and how far the tracks' Spotify details have come.

The imports, the Spotify account and the request budget are not cached: the page shows an import
or a sync the moment it has written, from any process. They go with the data version, in the
same round trip (streamlit_app.py: LIVE). The rest is cached by data version like every answer
(queries/core.py): writes of plays and tracks move it."""

from __future__ import annotations

import pandas as pd

from db.ingest.spotify import budget, sync
from db.model.tracks import AWAITING_COUNT_SQL
from queries.core import cached, frame, records, rows

# Plays and skipped rows belong to streaming-history imports only: NULL (an empty cell) for the
# other kinds, whose 0 would read as "nothing added" rather than "not applicable".
PAST_IMPORTS_SQL = """
SELECT imported_at, kind, source,
       CASE WHEN kind = 'streaming_history' THEN plays_inserted END AS plays_inserted,
       CASE WHEN kind = 'streaming_history' THEN plays_unchanged END AS plays_unchanged,
       CASE WHEN kind = 'streaming_history' THEN
           (SELECT coalesce(sum(n.value::bigint), 0) FROM jsonb_each_text(skipped) AS n)
       END AS rows_skipped,
       tracks_inserted, tracks_updated, tracks_unchanged,
       snapshots_inserted, snapshots_updated, snapshots_unchanged, snapshots_removed
FROM imports ORDER BY imported_at DESC, id DESC LIMIT %(limit)s
"""

PLAYS_SO_FAR_SQL = """
SELECT count(*) AS plays, count(DISTINCT track_id) AS tracks,
       min(played_at) AS first_play, max(played_at) AS last_play
FROM plays
"""

# How far the tracks' details have come: the waiting from the trigger-kept rollup; the streams
# of tracks with an object, of all streams (one row a track that was ever streamed).
DETAILS_SO_FAR_SQL = """
SELECT (SELECT coalesce(sum(tracks), 0) FROM track_facets) AS tracks,
       (""" + AWAITING_COUNT_SQL + """) AS waiting,
       (SELECT count(*) FROM tracks WHERE not_on_spotify AND raw_json IS NULL) AS gone,
       (SELECT coalesce(sum(f.streams) FILTER (WHERE t.raw_json IS NOT NULL), 0)::float8
               / nullif(sum(f.streams), 0)
        FROM listening_track_firsts f JOIN tracks t USING (track_id)) AS streams_covered,
       EXISTS (SELECT 1 FROM plays) AS plays
"""


def past_imports(limit: int = 50) -> pd.DataFrame:
    return frame(PAST_IMPORTS_SQL, {"limit": limit})


def spotify_account() -> sync.Account | None:
    """The connected account (who, when last synced), never its tokens."""
    found = records(sync.ACCOUNT_SQL)
    return sync.Account(**found[0]) if found else None


def budget_standing() -> budget.Standing:
    """Where the daily request budget stands (ConfigurationError: a bad MTM_ENRICH_DAILY_REQUESTS).
    To the minute, so that a run's answer, asked ahead with the data version, is the one used."""
    now = budget.utc_now().replace(second=0, microsecond=0)
    daily = budget.daily_requests()
    row = rows(budget.STANDING_SQL, budget.standing_params(now, daily))[0]
    return budget.standing_of(row, now, daily)


@cached
def plays_so_far() -> dict:
    """plays, tracks, first_play, last_play (None when there are no plays)."""
    return frame(PLAYS_SO_FAR_SQL).iloc[0].to_dict()


@cached
def details_so_far() -> dict:
    """tracks, with_details, waiting (for theirs), gone (no longer on Spotify), streams_covered
    (the share of all-time streams whose track has details; None without streams), plays."""
    row = frame(DETAILS_SO_FAR_SQL).iloc[0].to_dict()
    counts = {k: int(row[k]) for k in ("tracks", "waiting", "gone")}
    covered = row["streams_covered"]
    return counts | {"with_details": counts["tracks"] - counts["waiting"] - counts["gone"],
                     "streams_covered": None if pd.isna(covered) else float(covered),
                     "plays": bool(row["plays"])}
