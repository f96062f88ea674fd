"""Rank history: a track's rank on every list of a time range, with a gap (rank None) on the
lists it was not on, from its first list to the last list of that time range.

The ranks come from snapshots through its primary key (track_id first), the lists' dates from
snapshot_dates: a track's history is at most one row per day and time range.
"""

from __future__ import annotations

import pandas as pd

from queries.core import cached, frame
from queries.shared import TIME_RANGES

RANKS_SQL = """
SELECT d.time_range, d.snapshot_date, k.track_id, s.rank
FROM unnest(%(tracks)s::text[]) AS k(track_id)
JOIN snapshot_dates d ON d.time_range = ANY(%(ranges)s)
 AND d.snapshot_date >= (SELECT min(f.snapshot_date) FROM snapshots f
                         WHERE f.track_id = k.track_id AND f.time_range = d.time_range)
LEFT JOIN snapshots s
       ON s.track_id = k.track_id AND s.time_range = d.time_range
      AND s.snapshot_date = d.snapshot_date
ORDER BY k.track_id, d.time_range, d.snapshot_date
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
    """time_range, snapshot_date, track_id, rank (None: not on that day's list) for each track
    and time range (None: all three) it was ever on a list of."""
    ranges = list(TIME_RANGES) if time_range is None else [time_range]
    history = frame(RANKS_SQL, {"tracks": list(tracks), "ranges": ranges})
    return history.astype({"rank": "Int64"})


@cached
def charted_tracks(limit: int = 500) -> pd.DataFrame:
    """Tracks that were on a list, best first (best rank on any list, then days on lists)."""
    return frame(CHARTED_SQL, {"limit": limit})


@cached
def track_names(tracks: tuple[str, ...]) -> pd.DataFrame:
    """track_id, track, artist of the given ids that are in the library."""
    return frame(NAMES_SQL, {"tracks": list(tracks)})
