"""The year in review's questions, answered from the listening rollups (migration 0010), never
from plays: a year is at most 365 rows of listening_days and one row per track and month of
listening_track_months (its primary key starts with the month, so a year is one index range).

What counts is db/derive/streams.py's rule, the same for every figure; a stream's day is in the
zone the rollups were made in. A track is discovered
in the year holding the local day of its first stream ever (listening_track_firsts). The track
returned to most is the one streamed on the most distinct days of the year: the sum of its days
per month, since a day lies in one month.

Ties: top tracks by streams, then milliseconds, then track id; top artists by streams, then
milliseconds, then name (code point order, COLLATE "C", as Python compares strings); the track
returned to most by days, then streams, then track id; the top month by milliseconds,
then the earlier month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from db.derive.rollups import META_KEY
from db.derive.streams import minutes
from db.model import meta
from queries.core import cached, frame

TOP = 5

# The years holding a stream: a year of plays too short or all incognito has nothing to review.
YEARS_SQL = """
SELECT extract(year FROM day)::int AS year
FROM listening_days
WHERE streams > 0
GROUP BY 1
ORDER BY 1 DESC
"""

MONTHS_SQL = """
SELECT date_trunc('month', day)::date AS month, sum(streams)::bigint AS streams,
       sum(ms)::bigint AS ms
FROM listening_days
WHERE day >= %(start)s AND day < %(end)s
GROUP BY 1
ORDER BY 1
"""

DISCOVERED_SQL = """
SELECT count(*) AS discovered FROM listening_track_firsts
WHERE first_day >= %(start)s AND first_day < %(end)s
"""

# Each track's year, then the few asked for; names joined only to those.
_TRACK_YEAR = """
WITH year AS (
    SELECT track_id, sum(streams)::bigint AS streams, sum(ms)::bigint AS ms,
           sum(days)::int AS days
    FROM listening_track_months
    WHERE month >= %(start)s AND month < %(end)s
    GROUP BY track_id
), picked AS (
    SELECT * FROM year ORDER BY {order} LIMIT %(limit)s
)
SELECT p.track_id, t.name AS track, t.artist_name AS artist, p.streams, p.ms, p.days
FROM picked p JOIN tracks t USING (track_id)
ORDER BY {order}
"""
TOP_TRACKS_SQL = _TRACK_YEAR.format(order="streams DESC, ms DESC, track_id COLLATE \"C\"")
MOST_RETURNED_SQL = _TRACK_YEAR.format(order="days DESC, streams DESC, track_id COLLATE \"C\"")

# A track without an artist name (the export gave none) belongs to no artist. Tracks are summed
# first, so each joins tracks once (and counts once) without a sort for count(DISTINCT).
TOP_ARTISTS_SQL = """
WITH year AS (
    SELECT track_id, sum(streams)::bigint AS streams, sum(ms)::bigint AS ms
    FROM listening_track_months
    WHERE month >= %(start)s AND month < %(end)s
    GROUP BY track_id
)
SELECT t.artist_name AS artist, sum(y.streams)::bigint AS streams, sum(y.ms)::bigint AS ms,
       count(*)::int AS tracks
FROM year y JOIN tracks t USING (track_id)
WHERE t.artist_name IS NOT NULL
GROUP BY t.artist_name
ORDER BY streams DESC, ms DESC, t.artist_name COLLATE "C"
LIMIT %(limit)s
"""


def year_bounds(year: int) -> dict[str, dt.date]:
    return {"start": dt.date(year, 1, 1), "end": dt.date(year + 1, 1, 1)}


@cached
def years() -> list[int]:
    """The years with plays, the latest first (empty: no plays at all)."""
    return [int(y) for y in frame(YEARS_SQL)["year"]]


@cached
def months(year: int) -> pd.DataFrame:
    """Every month of the year: month (first day), streams, ms, minutes; zeros where none."""
    found = frame(MONTHS_SQL, year_bounds(year)).set_index("month")
    every = [dt.date(year, m, 1) for m in range(1, 13)]
    shown = found.reindex(every, fill_value=0).rename_axis("month").reset_index()
    shown[["streams", "ms"]] = shown[["streams", "ms"]].astype("int64")
    shown["minutes"] = minutes(shown["ms"])
    return shown


def top_month(per_month: pd.DataFrame) -> dt.date | None:
    """The month with the most minutes (the earlier one on a tie); None without any stream."""
    if per_month.empty or per_month["ms"].max() <= 0:
        return None
    return per_month.sort_values(["ms", "month"], ascending=[False, True]).iloc[0]["month"]


@cached
def discovered(year: int) -> int:
    return int(frame(DISCOVERED_SQL, year_bounds(year))["discovered"].iloc[0])


def _tracks(query: str, year: int, limit: int) -> pd.DataFrame:
    found = frame(query, year_bounds(year) | {"limit": limit})
    found.insert(0, "rank", range(1, len(found) + 1))
    found["minutes"] = minutes(found["ms"])
    return found


@cached
def top_tracks(year: int, limit: int = TOP) -> pd.DataFrame:
    """rank, track_id, track, artist, streams, ms, days, minutes; the most streamed first."""
    return _tracks(TOP_TRACKS_SQL, year, limit)


@cached
def most_returned(year: int, limit: int = 1) -> pd.DataFrame:
    """The tracks streamed on the most distinct days of the year (same columns)."""
    return _tracks(MOST_RETURNED_SQL, year, limit)


@cached
def top_artists(year: int, limit: int = TOP) -> pd.DataFrame:
    """rank, artist, streams, ms, tracks, minutes."""
    found = frame(TOP_ARTISTS_SQL, year_bounds(year) | {"limit": limit})
    found.insert(0, "rank", range(1, len(found) + 1))
    found["minutes"] = minutes(found["ms"])
    return found


@cached
def rollup_zone() -> str | None:
    """The time zone the rollups were made in (None: never made): the one the figures count in,
    which is MTM_TIMEZONE's as of the last import or `python -m db derive-lists`."""
    found = frame(meta.GET_SQL, (META_KEY,))
    made = None if found.empty else found.iloc[0, 0]
    return made.get("timezone") if isinstance(made, dict) else None


@dataclass(frozen=True)
class Review:
    """A year's figures, as the page shows them."""
    year: int
    months: pd.DataFrame
    discovered: int
    top_tracks: pd.DataFrame
    top_artists: pd.DataFrame
    most_returned: pd.DataFrame  # one row, or none

    @property
    def streams(self) -> int:
        return int(self.months["streams"].sum())

    @property
    def minutes(self) -> float:
        return minutes(self.months["ms"].sum())

    @property
    def top_month(self) -> dt.date | None:
        return top_month(self.months)


# What a review is made of, in the order of Review's fields after the year.
PARTS = (months, discovered, top_tracks, top_artists, most_returned)


def review(year: int) -> Review:
    return Review(year, *(part(year) for part in PARTS))
