"""Rank history: a track's rank on every list of a time range, with a gap (rank None) on the
lists it was not on, from its first list to the last list of that time range.

The ranks come from track_list_ranks() (migration 0013: snapshots through its primary key, the
derived lists through the index on their tracks), the lists' dates from snapshot_dates: a
track's history is at most one row per day and time range.
"""

from __future__ import annotations

import pandas as pd

from db.model.snapshots import TIME_RANGES
from queries.core import cached, frame

FIRST_TRACKS = 3

RANKS_SQL = """
WITH ranks AS (
    SELECT track_id, time_range, snapshot_date, rank, derived FROM track_list_ranks(%(tracks)s)
    WHERE time_range = ANY(%(ranges)s)
), firsts AS (
    SELECT track_id, time_range, min(snapshot_date) AS first_date FROM ranks GROUP BY 1, 2
)
SELECT f.time_range, d.snapshot_date, f.track_id, r.rank, r.derived
FROM firsts f
JOIN snapshot_dates d ON d.time_range = f.time_range AND d.snapshot_date >= f.first_date
LEFT JOIN ranks r
       ON r.track_id = f.track_id AND r.time_range = f.time_range
      AND r.snapshot_date = d.snapshot_date
ORDER BY f.track_id, f.time_range, d.snapshot_date
"""

# The first tracks of the latest list of a time range: what the page shows when none are named.
LATEST_TOP_SQL = """
SELECT track_id FROM list_ranks
WHERE time_range = %(time_range)s
  AND snapshot_date = (SELECT max(snapshot_date) FROM snapshot_dates
                       WHERE time_range = %(time_range)s)
ORDER BY rank, track_id
LIMIT %(limit)s
"""

# The tracks a rank history can be drawn for, best first: every track that was ever on a list.
CHARTED_SQL = """
SELECT c.track_id, t.name AS track, t.artist_name AS artist, c.best_rank, c.days
FROM chart_totals c JOIN tracks t USING (track_id)
WHERE c.time_range = 'any'
ORDER BY c.best_rank, c.days DESC, c.track_id
LIMIT %(limit)s
"""

NAMES_SQL = """
SELECT track_id, name AS track, artist_name AS artist FROM tracks
WHERE track_id = ANY(%(tracks)s)
"""


@cached
def rank_history(tracks: tuple[str, ...], time_range: str | None) -> pd.DataFrame:
    """time_range, snapshot_date, track_id, rank (None: not on that day's list) and derived (the
    rank is from a list derived from the streaming history; None with no rank) for each track
    and time range (None: all three) it was ever on a list of."""
    ranges = list(TIME_RANGES) if time_range is None else [time_range]
    history = frame(RANKS_SQL, {"tracks": list(tracks), "ranges": ranges})
    return history.astype({"rank": "Int64", "derived": "boolean"})


@cached
def charted_tracks(limit: int = 500) -> pd.DataFrame:
    """Tracks that were on a list, best first (best rank on any list, then days on lists)."""
    return frame(CHARTED_SQL, {"limit": limit})


@cached
def latest_top(time_range: str) -> list[str]:
    """The ids of the first FIRST_TRACKS tracks of the time range's latest list, best first: what
    the page shows when a link names none."""
    params = {"time_range": time_range, "limit": FIRST_TRACKS}
    return frame(LATEST_TOP_SQL, params)["track_id"].tolist()


@cached
def track_names(tracks: tuple[str, ...]) -> pd.DataFrame:
    """track_id, track, artist of the given ids that are in the library."""
    return frame(NAMES_SQL, {"tracks": list(tracks)})
