"""The Listening page's questions, asked of the listening rollups (db/migrations/0010), never of
plays: a page view reads at most one row per day (listening_days), per day and hour
(listening_hours), per month and track (listening_track_months) or, for the partial months at the
ends of a period, per day and track (listening_track_days).

Every function takes the period as plain values: start and end, both days included, local days
in the zone the rollups were made in (None, None: all time). What counts is
db/derive/streams.py's rule: a stream's day and hour are those of its end; minutes are its
milliseconds in minutes; the share skipped is of the plays (not incognito, any length) whose
skipped flag is known; a session's day is the day it began; a track is discovered on the day of
its first stream ever; the longest streak is the most consecutive days with a stream inside the
period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from psycopg import sql

from db.derive.local_time import month_end, next_month, whole_months
from db.derive.rollups import META_KEY
from db.derive.streams import minutes
from queries.core import cached, frame

TOP = 25
# Memory for one query's hash tables, for its transaction only. With the default 4 MB, summing a
# decade of months per track is planned as an index walk or spills to disk, about twice as slow.
# A page view runs a handful of these, one at a time per session. JIT is off for them too:
# compiling takes longer than they run (docs/performance.md, "Listening").
WORK_MEM = "32MB"
KINDS = ("tracks", "artists", "albums")

BOUNDS_SQL = """
SELECT min(day) FILTER (WHERE streams > 0) AS first, max(day) FILTER (WHERE streams > 0) AS last,
       count(*) AS days,
       (SELECT value ->> 'timezone' FROM app_meta WHERE key = %(key)s) AS zone
FROM listening_days
"""

# The rows of a track's streams and milliseconds in [start, end]: the calendar months wholly
# inside it from listening_track_months, the days of the partial months at its ends from
# listening_track_days, so that a long period reads months rather than years of days. Only the
# parts a period needs are composed in: a plain scan of one table is planned with its statistics,
# where a union would be guessed at (and then spill or go parallel for nothing).
_MONTHS = "SELECT track_id, streams, ms FROM listening_track_months" \
          " WHERE month >= %(first)s AND month < %(stop)s"
_HEAD = "SELECT track_id, streams, ms FROM listening_track_days" \
        " WHERE day >= %(start)s AND day < %(first)s"
_TAIL = "SELECT track_id, streams, ms FROM listening_track_days" \
        " WHERE day >= %(stop)s AND day <= %(end)s"

# A period holding every stream: each track's totals, one row per track ever streamed.
_ALL_TIME = "SELECT track_id, streams, ms FROM listening_track_firsts"

# The distinct tracks and artists streamed in the period; a period holding every stream asks
# listening_track_firsts (one row per track ever streamed) instead of a decade of months. DISTINCT
# in a subquery is hashed, where count(DISTINCT ...) sorts every row (about twice as slow here).
_DISTINCT = {
    False: ("(SELECT count(*) FROM (SELECT DISTINCT track_id FROM ({streamed}) s) d)",
            "(SELECT count(*) FROM (SELECT DISTINCT t.artist_name FROM ({streamed}) s"
            " JOIN tracks t USING (track_id) WHERE t.artist_name IS NOT NULL) a)"),
    True: ("(SELECT count(*) FROM listening_track_firsts)",
           "(SELECT count(*) FROM (SELECT DISTINCT t.artist_name FROM listening_track_firsts f"
           " JOIN tracks t USING (track_id) WHERE t.artist_name IS NOT NULL) a)"),
}

CARDS_SQL = """
WITH days AS (
    SELECT day, streams, ms, skip_known, skipped FROM listening_days
    WHERE day BETWEEN %(start)s AND %(end)s
),
-- Consecutive days with a stream share day - row number: each run is one group.
runs AS (
    SELECT min(day) AS first, max(day) AS last, count(*) AS days
    FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::int AS run
          FROM days WHERE streams > 0) d
    GROUP BY run
),
longest_run AS (SELECT first, last, days FROM runs ORDER BY days DESC, first LIMIT 1),
sessions AS (
    SELECT started_at, ended_at, day, streams FROM listening_sessions
    WHERE day BETWEEN %(start)s AND %(end)s
),
longest_session AS (
    SELECT day, started_at, ended_at, streams FROM sessions
    ORDER BY ended_at - started_at DESC, streams DESC, started_at LIMIT 1
)
SELECT (SELECT coalesce(sum(streams), 0) FROM days) AS streams,
       (SELECT coalesce(sum(ms), 0) FROM days) AS ms,
       (SELECT coalesce(sum(skipped), 0) FROM days) AS skipped,
       (SELECT coalesce(sum(skip_known), 0) FROM days) AS skip_known,
       {tracks} AS tracks,
       {artists} AS artists,
       (SELECT count(*) FROM listening_track_firsts
        WHERE first_day BETWEEN %(start)s AND %(end)s) AS discovered,
       (SELECT coalesce(max(days), 0) FROM longest_run) AS streak,
       (SELECT first FROM longest_run) AS streak_first,
       (SELECT last FROM longest_run) AS streak_last,
       (SELECT count(*) FROM sessions) AS sessions,
       (SELECT day FROM longest_session) AS longest_session_day,
       (SELECT extract(epoch FROM ended_at - started_at) FROM longest_session)
           AS longest_session_seconds,
       (SELECT streams FROM longest_session) AS longest_session_streams
"""

SERIES_SQL = """
SELECT date_trunc(%(unit)s, day::timestamp)::date AS period, sum(streams)::bigint AS streams,
       sum(ms)::bigint AS ms
FROM listening_days
WHERE day BETWEEN %(start)s AND %(end)s
GROUP BY 1
ORDER BY 1
"""

HEATMAP_SQL = """
SELECT extract(isodow FROM day)::int AS weekday, hour::int AS hour,
       sum(streams)::bigint AS streams, sum(ms)::bigint AS ms
FROM listening_hours
WHERE day BETWEEN %(start)s AND %(end)s
GROUP BY 1, 2
"""

_PER_TRACK = """per_track AS (
    SELECT track_id, sum(streams)::bigint AS streams, sum(ms)::bigint AS ms
    FROM ({streamed}) s GROUP BY track_id)"""

# The top lists: ties broken by the other measure, then by the key (a track's id, an artist's
# name, an album's name and artist) compared by code point (COLLATE "C") whatever the database's
# collation. The streams of a track without an artist (album) name count for no artist (album).
# Tracks: ranked first, named after, so that only the rows shown are looked up in tracks.
# Artists and albums: the period's rows are joined to their names and summed by name directly
# (a sum per track first would hash every track of the period twice); the tracks streamed are
# then counted for the rows shown only, through the index on tracks (artist_name).
_TOP = {
    "tracks": """
        WITH {per_track},
        ranked AS (SELECT * FROM per_track ORDER BY {order}, track_id COLLATE "C"
                   LIMIT %(limit)s)
        SELECT r.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
               r.streams, r.ms
        FROM ranked r JOIN tracks t USING (track_id)
        ORDER BY {order}, r.track_id COLLATE "C"
        """,
    "artists": """
        WITH top AS (
            SELECT t.artist_name AS artist, sum(s.streams)::bigint AS streams,
                   sum(s.ms)::bigint AS ms
            FROM ({streamed}) s JOIN tracks t USING (track_id)
            WHERE t.artist_name IS NOT NULL
            GROUP BY t.artist_name
            ORDER BY {order}, t.artist_name COLLATE "C"
            LIMIT %(limit)s)
        SELECT artist, streams, ms,
               (SELECT count(*) FROM tracks t
                WHERE t.artist_name = top.artist
                  AND ({streamed_track}))
                   AS tracks
        FROM top
        ORDER BY {order}, artist COLLATE "C"
        """,
    "albums": """
        WITH top AS (
            SELECT t.album_name AS album, t.artist_name AS artist,
                   sum(s.streams)::bigint AS streams, sum(s.ms)::bigint AS ms
            FROM ({streamed}) s JOIN tracks t USING (track_id)
            WHERE t.album_name IS NOT NULL AND t.artist_name IS NOT NULL
            GROUP BY t.album_name, t.artist_name
            ORDER BY {order}, t.album_name COLLATE "C", t.artist_name COLLATE "C"
            LIMIT %(limit)s)
        SELECT album, artist, streams, ms,
               (SELECT count(*) FROM tracks t
                WHERE t.artist_name = top.artist AND t.album_name = top.album
                  AND ({streamed_track}))
                   AS tracks
        FROM top
        ORDER BY {order}, album COLLATE "C", artist COLLATE "C"
        """,
}
_ORDER = {"streams": "streams DESC, ms DESC", "minutes": "ms DESC, streams DESC"}



@cached
def stream_bounds() -> dict:
    """The first and last day with a stream (None on a database without), the days with
    counted plays, and the time zone the rollups were made in (None before the first import)."""
    row = frame(BOUNDS_SQL, {"key": META_KEY}).iloc[0]
    return {"first": row["first"] if pd.notna(row["first"]) else None,
            "last": row["last"] if pd.notna(row["last"]) else None,
            "days": int(row["days"]), "zone": row["zone"] if pd.notna(row["zone"]) else None}


def _params(start: dt.date | None, end: dt.date | None) -> dict:
    """The period's bounds as query parameters (all time: the span of the streams), the whole
    months inside it [first, stop), and whether it holds every stream."""
    bounds = stream_bounds()
    none = dt.date(2000, 1, 1)  # no streams: any empty period will do
    if start is None or end is None:
        start, end = bounds["first"] or none, bounds["last"] or none
        # No stream lies outside, so whole months serve: no partial month to read day by day.
        first, stop = whole_months(start.replace(day=1), month_end(end))
    else:
        first, stop = whole_months(start, end)
    everything = bounds["first"] is not None and start <= bounds["first"] and \
        end >= bounds["last"]
    return {"start": start, "end": end, "first": first, "stop": stop, "everything": everything}


def _parts(params: dict) -> list[str]:
    """The queries whose rows (track_id, streams, ms) sum to each track's figures in the period."""
    if params["everything"]:
        return [_ALL_TIME]
    parts = []
    if params["first"] < params["stop"]:
        parts.append(_MONTHS)
    if params["start"] < params["first"]:
        parts.append(_HEAD)
    if params["stop"] <= params["end"]:
        parts.append(_TAIL)
    return parts


def _streamed(params: dict) -> sql.Composable:
    return sql.SQL(" UNION ALL ".join(_parts(params)))


def _streamed_track(params: dict) -> sql.Composable:
    """Whether the track `t` was streamed in the period: one index probe a part (EXISTS over
    their union is planned as a semi-join against every track of the period)."""
    return sql.SQL(" OR ".join(
        f"EXISTS (SELECT 1 FROM ({part}) p WHERE p.track_id = t.track_id)"
        for part in _parts(params)))


def cards_query(params: dict) -> sql.Composable:
    tracks, artists = (sql.SQL(part).format(streamed=_streamed(params))
                       for part in _DISTINCT[params["everything"]])
    return sql.SQL(CARDS_SQL).format(tracks=tracks, artists=artists)


# For the statements over every track of a period: WORK_MEM, and neither JIT nor parallel workers.
ROOMY = (("work_mem", WORK_MEM), ("jit", "off"), ("max_parallel_workers_per_gather", "0"))


@cached
def cards(start: dt.date | None, end: dt.date | None) -> dict:
    """The period's figures: minutes, streams, distinct tracks and artists, tracks discovered,
    share skipped (None: no play says), longest streak (days, first and last day), sessions and
    the longest one (its day, its length in minutes from its first start to its last end, and
    its streams; of equally long ones, the one with more streams, then the earliest)."""
    params = _params(start, end)
    row = frame(cards_query(params), params, ROOMY).iloc[0]
    known = int(row["skip_known"])
    seconds = row["longest_session_seconds"]
    day = row["longest_session_day"]
    return {
        "minutes": minutes(row["ms"]), "streams": int(row["streams"]),
        "tracks": int(row["tracks"]), "artists": int(row["artists"]),
        "discovered": int(row["discovered"]),
        "skipped": int(row["skipped"]), "skip_known": known,
        "share_skipped": int(row["skipped"]) / known if known else None,
        "streak": int(row["streak"]),
        "streak_first": row["streak_first"] if pd.notna(row["streak_first"]) else None,
        "streak_last": row["streak_last"] if pd.notna(row["streak_last"]) else None,
        "sessions": int(row["sessions"]),
        "longest_session_day": day if pd.notna(day) else None,
        "longest_session_minutes": float(seconds) / 60 if pd.notna(seconds) else None,
        "longest_session_streams": (int(row["longest_session_streams"])
                                    if pd.notna(row["longest_session_streams"]) else None),
    }


@cached
def series(start: dt.date | None, end: dt.date | None, granularity: str = "week"
           ) -> pd.DataFrame:
    """period (the first day of each day, week from Monday, or month), streams, minutes: one
    row per period from the first to the last that overlaps [start, end], zeros included."""
    params = _params(start, end) | {"unit": granularity}
    found = frame(SERIES_SQL, params)
    every = _periods(params["start"], params["end"], granularity)
    shown = (pd.DataFrame({"period": every})
             .merge(found, on="period", how="left").fillna({"streams": 0, "ms": 0}))
    shown["streams"] = shown["streams"].astype(int)
    shown["minutes"] = minutes(shown["ms"])
    return shown[["period", "streams", "minutes"]]


def _periods(start: dt.date, end: dt.date, granularity: str) -> list[dt.date]:
    if granularity == "day":
        first, step = start, dt.timedelta(days=1)
    elif granularity == "week":
        first, step = start - dt.timedelta(days=start.weekday()), dt.timedelta(days=7)
    else:
        months = []
        month = start.replace(day=1)
        while month <= end:
            months.append(month)
            month = next_month(month)
        return months
    count = (end - first).days // step.days + 1
    return [first + n * step for n in range(count)]


@cached
def heatmap(start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """weekday (1 Monday .. 7 Sunday), hour (0-23), streams, minutes: all 168 cells, zeros
    included, the hour a stream ended in."""
    found = frame(HEATMAP_SQL, _params(start, end))
    cells = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    grid = (found.set_index(["weekday", "hour"]).reindex(cells, fill_value=0).reset_index())
    grid["streams"] = grid["streams"].astype(int)
    grid["minutes"] = minutes(grid["ms"])
    return grid[["weekday", "hour", "streams", "minutes"]]


def top_query(kind: str, by: str, params: dict) -> sql.Composable:
    streamed = _streamed(params)
    per_track = sql.SQL(_PER_TRACK).format(streamed=streamed)
    return sql.SQL(_TOP[kind]).format(per_track=per_track, streamed=streamed,
                                      streamed_track=_streamed_track(params),
                                      order=sql.SQL(_ORDER[by]))


@cached
def top(start: dt.date | None, end: dt.date | None, kind: str = "tracks", by: str = "streams",
        limit: int = TOP) -> pd.DataFrame:
    """The period's top tracks, artists or albums by streams or minutes (ties: the other
    measure, then the name): rank, the names (track_id for tracks), streams, minutes (and
    tracks streamed, for artists and albums)."""
    if kind not in _TOP or by not in _ORDER:
        raise ValueError(f"unknown top list {kind!r} by {by!r}")
    params = _params(start, end)
    found = frame(top_query(kind, by, params), params | {"limit": limit}, ROOMY)
    found.insert(0, "rank", range(1, len(found) + 1))
    found["minutes"] = minutes(found.pop("ms"))
    return found


def top_tracks(start, end, by: str = "streams", limit: int = TOP) -> pd.DataFrame:
    return top(start, end, "tracks", by, limit)


def top_artists(start, end, by: str = "streams", limit: int = TOP) -> pd.DataFrame:
    return top(start, end, "artists", by, limit)


def top_albums(start, end, by: str = "streams", limit: int = TOP) -> pd.DataFrame:
    return top(start, end, "albums", by, limit)

