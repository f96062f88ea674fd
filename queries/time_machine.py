"""The time machine's questions: the top list on a date, its movement since the list before,
turnover, and the most consistent artists over a window.

"The list on a date" is the latest snapshot of that time range dated on or before it (the
earlier app's idea: a snapshot stands until the next one). Dates come from snapshot_dates (one
row per time range and day), the lists from list_ranks (migration 0013: Spotify's rows of
snapshots through its (snapshot_date, time_range) index, a derived list as the one row of
derived_lists it is): a list is at most 99 rows however large the library.

A list is Spotify's own or derived from the streaming history, never a mix (migration 0009): one
row of it says which. Movement compares with the list before whatever either's source.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from queries.core import cached, frame, frames
from queries.shared import AWAITING_SQL

# Whether a list is derived: any one of its rows says so, found through the date index.
LIST_DATES_SQL = """
WITH shown AS (
    SELECT max(snapshot_date) AS list_date FROM snapshot_dates
    WHERE time_range = %(time_range)s AND snapshot_date <= %(date)s
), dates AS (
    SELECT list_date,
           (SELECT max(snapshot_date) FROM snapshot_dates
            WHERE time_range = %(time_range)s AND snapshot_date < list_date) AS previous_date,
           (SELECT min(snapshot_date) FROM snapshot_dates
            WHERE time_range = %(time_range)s) AS first_date
    FROM shown
)
SELECT list_date, previous_date, first_date,
       (SELECT derived FROM list_ranks
        WHERE snapshot_date = list_date AND time_range = %(time_range)s LIMIT 1) AS derived,
       (SELECT derived FROM list_ranks
        WHERE snapshot_date = previous_date AND time_range = %(time_range)s LIMIT 1)
           AS previous_derived
FROM dates
"""

# The list, and for each track its rank on the list before (if any) and whether it had been on
# an earlier list of this time range (a track absent from the previous list is then "back"):
# before the previous list's month, chart_months says so; in its month, that month's lists.
TOP_LIST_SQL = """
WITH previous AS (
    SELECT track_id, rank FROM list_ranks
    WHERE snapshot_date = %(previous)s AND time_range = %(time_range)s
), month_before AS (
    SELECT DISTINCT track_id FROM list_ranks
    WHERE time_range = %(time_range)s AND snapshot_date < %(previous)s
      AND snapshot_date >= date_trunc('month', %(previous)s::date)::date
)
SELECT s.rank, s.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
       t.album_release_year AS year, t.is_explicit AS explicit,
       """ + AWAITING_SQL + """ AS awaiting, t.spotify_url, s.derived,
       p.rank AS previous_rank,
       p.rank IS NULL AND (
           s.track_id IN (SELECT track_id FROM month_before)
           OR EXISTS (SELECT 1 FROM chart_months e
                      WHERE e.track_id = s.track_id AND e.time_range = s.time_range
                        AND e.month < date_trunc('month', %(previous)s::date))
       ) AS was_charted_before
FROM list_ranks s
JOIN tracks t USING (track_id)
LEFT JOIN previous p ON p.track_id = s.track_id
WHERE s.snapshot_date = %(date)s AND s.time_range = %(time_range)s
ORDER BY s.rank, s.track_id
"""

# Artists by the number of snapshot dates (of one time range, in a window) on which at least one
# of their tracks was on the list. Artists are told apart by name, as tracks.artist_name has it.
# Spotify's rows and the derived lists (migration 0013) each join tracks once here, rather than
# list_ranks joined to tracks again: over all time that is a third of a million ranks, and with a
# generic plan the second join became an index probe per rank (docs/performance.md).
CONSISTENT_ARTISTS_SQL = """
SELECT artist, count(DISTINCT snapshot_date) AS days, count(DISTINCT track_id) AS tracks,
       min(rank) AS best_rank
FROM (
    SELECT t.artist_name AS artist, s.snapshot_date, s.track_id, s.rank
    FROM snapshots s JOIN tracks t USING (track_id)
    WHERE s.time_range = %(time_range)s AND s.snapshot_date BETWEEN %(start)s AND %(end)s
    UNION ALL
    SELECT t.artist_name, d.snapshot_date, t.track_id, u.rank::integer
    FROM derived_lists d
    CROSS JOIN LATERAL unnest(d.track_keys) WITH ORDINALITY AS u(track_key, rank)
    JOIN tracks t ON t.track_key = u.track_key
    WHERE d.time_range = %(time_range)s AND d.snapshot_date BETWEEN %(start)s AND %(end)s
) AS ranks
WHERE artist IS NOT NULL
GROUP BY artist
ORDER BY days DESC, best_rank, tracks DESC, artist
LIMIT %(limit)s
"""

WINDOW_DAYS_SQL = """
SELECT count(*) FROM snapshot_dates
WHERE time_range = %(time_range)s AND snapshot_date BETWEEN %(start)s AND %(end)s
"""


@cached
def list_dates(date: dt.date | None, time_range: str) -> dict:
    """The date of the list shown for `date` (None: the latest), the list before it, and the
    first list of the time range; None where there is none. derived, previous_derived: whether
    the list shown and the list before are derived from the streaming history (None: no list)."""
    row = frame(LIST_DATES_SQL, {"time_range": time_range, "date": date or dt.date.max}).iloc[0]
    dates = {key: _known(row[key]) for key in ("list_date", "previous_date", "first_date")}
    flags = {key: _known(row[key], bool) for key in ("derived", "previous_derived")}
    return dates | flags


def _known(value, kind=lambda v: v):
    return kind(value) if pd.notna(value) else None


@cached
def top_list(list_date: dt.date | None, previous_date: dt.date | None, time_range: str
             ) -> pd.DataFrame:
    """The list of `list_date` with its movement since `previous_date` (dates from list_dates):
    rank, track, artist, album, year, explicit, spotify_url, derived (from the streaming history,
    not Spotify's own), previous_rank, change (places up, negative down) and movement, one of
    "new", "back", "up", "down", "same" (None on the first list of a time range: nothing to move
    from)."""
    params = {"date": list_date or dt.date.min, "time_range": time_range,
              "previous": previous_date or dt.date.min}
    top = frame(TOP_LIST_SQL, params)
    change = top["previous_rank"] - top["rank"]
    top["change"] = change.astype("Int64")
    top["movement"] = [
        None if previous_date is None
        else ("back" if before else "new") if pd.isna(moved)
        else "up" if moved > 0 else "down" if moved < 0 else "same"
        for moved, before in zip(change, top["was_charted_before"], strict=True)]
    return top.drop(columns="was_charted_before")


def turnover(top: pd.DataFrame) -> float | None:
    """The share of a list that was not on the list before (None: no list, or no list before)."""
    if top.empty or top["movement"].isna().all():
        return None
    return float(top["movement"].isin(["new", "back"]).mean())


def window_start(list_date: dt.date, window: int | None) -> dt.date:
    return dt.date.min if window is None else list_date - dt.timedelta(days=window - 1)


@cached
def consistent_artists(list_date: dt.date, time_range: str, window: int | None, limit: int = 5
                       ) -> tuple[pd.DataFrame, int]:
    """The artists on the most snapshot dates of the window ending at `list_date` (best first:
    most days, then best rank, then most tracks, then name), and the window's snapshot dates."""
    params = {"time_range": time_range, "start": window_start(list_date, window),
              "end": list_date, "limit": limit}
    days, artists = frames((WINDOW_DAYS_SQL, params), (CONSISTENT_ARTISTS_SQL, params))
    return artists, int(days.iloc[0, 0])
