"""The listening rollups (migration 0010): what the Listening and year-in-review pages read
instead of the plays, rebuilt for the local days an import changed, inside its transaction.

A stream and its day are those of db.derive.streams, as for the derived lists. When the zone is not
the one the rollups were made in, they are all made again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from db.derive import local_time
from db.derive.streams import IS_COUNTED, IS_STREAM

META_KEY = "listening_rollups"
SESSION_GAP = dt.timedelta(minutes=20)

# The plays whose local day is in [first, last]: a local day lies within a day of the UTC day of
# the same date in every zone, so the UTC bounds let the primary key's index find them.
_PLAYS = f"""
SELECT played_at, (played_at AT TIME ZONE %(tz)s) AS local_at, track_id, ms_played, skipped,
       {IS_STREAM} AS stream, {IS_COUNTED} AS counted
FROM plays
WHERE played_at >= %(from_utc)s AND played_at < %(to_utc)s
"""

_DAYS = f"""
INSERT INTO listening_days (day, streams, ms, plays, skip_known, skipped)
SELECT local_at::date, count(*) FILTER (WHERE stream),
       coalesce(sum(ms_played) FILTER (WHERE stream), 0),
       count(*) FILTER (WHERE counted), count(*) FILTER (WHERE counted AND skipped IS NOT NULL),
       count(*) FILTER (WHERE counted AND skipped)
FROM ({_PLAYS}) p
WHERE local_at::date BETWEEN %(first)s AND %(last)s
GROUP BY 1
"""

_HOURS = f"""
INSERT INTO listening_hours (day, hour, streams, ms)
SELECT local_at::date, extract(hour FROM local_at), count(*), sum(ms_played)
FROM ({_PLAYS}) p
WHERE stream AND local_at::date BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2
"""

_TRACK_DAYS = f"""
INSERT INTO listening_track_days (day, track_id, streams, ms)
SELECT local_at::date, track_id, count(*), sum(ms_played)
FROM ({_PLAYS}) p
WHERE stream AND local_at::date BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2
"""

_TRACK_MONTHS = """
INSERT INTO listening_track_months (month, track_id, streams, ms, days)
SELECT date_trunc('month', day)::date, track_id, sum(streams), sum(ms), count(*)
FROM listening_track_days
WHERE day >= %(first_month)s AND day < %(after_month)s
GROUP BY 1, 2
"""

# The tracks played around the changed days (a play there, not only a stream: a stream can have
# gone, replaced by the same play given exactly, in incognito mode): their first and last stream,
# over all time, or no row when they have none left.
_CHANGED_TRACKS = """
SELECT DISTINCT track_id FROM plays WHERE played_at >= %(from_utc)s AND played_at < %(to_utc)s
"""

_FIRSTS_GONE = f"""
DELETE FROM listening_track_firsts f
WHERE f.track_id IN ({_CHANGED_TRACKS}) AND NOT EXISTS (
    SELECT 1 FROM plays p
    WHERE p.track_id = f.track_id AND {IS_STREAM})
"""

_FIRSTS = f"""
INSERT INTO listening_track_firsts (track_id, first_at, last_at, first_day, last_day, streams, ms)
SELECT k.track_id, s.first_at, s.last_at, (s.first_at AT TIME ZONE %(tz)s)::date,
       (s.last_at AT TIME ZONE %(tz)s)::date, s.streams, s.ms
FROM ({_CHANGED_TRACKS}) k
CROSS JOIN LATERAL (
    SELECT min(played_at) AS first_at, max(played_at) AS last_at, count(*) AS streams,
           sum(ms_played) AS ms
    FROM plays p
    WHERE p.track_id = k.track_id AND {IS_STREAM}) s
WHERE s.first_at IS NOT NULL
ON CONFLICT (track_id) DO UPDATE SET first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at,
    first_day = EXCLUDED.first_day, last_day = EXCLUDED.last_day, streams = EXCLUDED.streams,
    ms = EXCLUDED.ms
"""

# Sessions from a moment on: a stream that begins less than SESSION_GAP after the end of the one
# before joins its session.
_SESSIONS = f"""
INSERT INTO listening_sessions (started_at, ended_at, day, streams, ms)
SELECT min(began), max(played_at), (min(began) AT TIME ZONE %(tz)s)::date, count(*),
       sum(ms_played)
FROM (
    SELECT began, played_at, ms_played,
           count(*) FILTER (WHERE opens) OVER (ORDER BY played_at, track_id COLLATE "C", ms_played) AS session
    FROM (
        SELECT played_at - ms_played * interval '1 millisecond' AS began, played_at, ms_played,
               track_id,
               coalesce(played_at - ms_played * interval '1 millisecond'
                        - lag(played_at) OVER (ORDER BY played_at, track_id COLLATE "C", ms_played)
                        >= %(gap)s, true) AS opens
        FROM plays
        WHERE played_at >= %(since)s AND {IS_STREAM}
    ) s
) t
GROUP BY session
"""


@dataclass
class Refreshed:
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def refresh(c: psycopg.Connection, changed: tuple[dt.datetime, dt.datetime] | None,
            everything: bool = False) -> Refreshed:
    """Rebuild the rollups of the local days holding plays that ended between ``changed`` (UTC
    times; None: no play changed), or all of them (``everything``, or a new time zone). Inside
    the caller's transaction, which holds the writers' lock (the plays were just written)."""
    tz = local_time.zone_name()
    everything = everything or local_time.zone_changed(c, META_KEY, tz)
    if changed is None and not everything:
        return Refreshed()
    if everything:
        for table in ("listening_days", "listening_hours", "listening_track_days",
                      "listening_track_months", "listening_track_firsts", "listening_sessions"):
            c.execute(f"DELETE FROM {table}")  # noqa: S608 (names from this list)
        bounds = c.execute("SELECT min(played_at), max(played_at) FROM plays").fetchone()
        if bounds[0] is None:
            local_time.made_in(c, META_KEY, tz)
            return Refreshed()
        changed = bounds
    first, last = (local_time.local_day(c, t, tz) for t in changed)
    params = {"tz": tz, "first": first, "last": last} | local_time.utc_window(first, last)
    for table in ("listening_days", "listening_hours", "listening_track_days"):
        c.execute(f"DELETE FROM {table} WHERE day BETWEEN %(first)s AND %(last)s",  # noqa: S608
                  params)
    for statement in (_DAYS, _HOURS, _TRACK_DAYS):
        c.execute(statement, params)
    first_month = first.replace(day=1)
    after_month = local_time.next_month(last)
    months = {"first_month": first_month, "after_month": after_month}
    c.execute("DELETE FROM listening_track_months WHERE month >= %(first_month)s"
              " AND month < %(after_month)s", months)
    c.execute(_TRACK_MONTHS, months)
    c.execute(_FIRSTS_GONE, params)
    c.execute(_FIRSTS, params)
    _sessions(c, changed, tz)
    local_time.made_in(c, META_KEY, tz)
    return Refreshed(first, last)


def _sessions(c: psycopg.Connection, changed: tuple[dt.datetime, dt.datetime], tz: str) -> None:
    """Sessions again after the last stored one that ended more than SESSION_GAP before any
    play in ``changed`` began: the sessions before it cannot change, and it ends one."""
    began = c.execute(
        "SELECT min(played_at - ms_played * interval '1 millisecond') FROM plays"
        " WHERE played_at BETWEEN %s AND %s", changed).fetchone()[0] or changed[0]
    kept = c.execute("SELECT max(ended_at) FROM listening_sessions WHERE ended_at < %s",
                     (began - SESSION_GAP,)).fetchone()[0]
    if kept is None:
        c.execute("DELETE FROM listening_sessions")
        since = dt.datetime.min.replace(tzinfo=dt.UTC)
    else:
        c.execute("DELETE FROM listening_sessions WHERE ended_at > %s", (kept,))
        since = kept + dt.timedelta(microseconds=1)
    c.execute(_SESSIONS, {"since": since, "gap": SESSION_GAP, "tz": tz})
