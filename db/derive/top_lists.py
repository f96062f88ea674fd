"""Daily top lists derived from plays, for the days Spotify's own lists do not cover.

The rule (docs/pages.md states it for listeners):
- a *stream* and its *day* are those of db.derive.streams;
- the list of day D for a time range of W days ranks the tracks streamed on days D-W+1 .. D by
  number of streams, then total ms_played of those streams, then the latest stream, then track
  id; ranks 1-99;
- there is a list for every day from the first stream's day to the last stream's day whose window
  holds a stream; a day and range with Spotify's own list keeps it.

Lists are written to derived_lists (migration 0013: one row per day and time range, its tracks'
keys in rank order), inside the caller's transaction. Only the days whose windows hold changed
plays are derived again (all of them when the time zone changed).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from db.derive import local_time, rollups
from db.derive.local_time import DAY
from db.derive.streams import IS_STREAM
from db.ingest import Counts
from db.model import access, bulk
from db.model.snapshots import WINDOW_DAYS
from db.pool import connection

MAX_RANK = 99
META_KEY = "derived_lists"
COLUMNS = ("snapshot_date", "time_range", "track_keys")

# What the staged lists change, counted in ranks as when each rank was a row: a (track, day,
# range) new, stored with another rank, or stored with the same; lists with the same array are
# not unnested.
COUNTS_SQL = """
WITH changed AS (
    SELECT i.snapshot_date, i.time_range, i.track_keys AS new, d.track_keys AS old
    FROM derived_lists_incoming i LEFT JOIN derived_lists d USING (snapshot_date, time_range)
    WHERE d.track_keys IS DISTINCT FROM i.track_keys
), old AS (
    SELECT c.snapshot_date, c.time_range, u.k, u.n
    FROM changed c CROSS JOIN LATERAL unnest(c.old) WITH ORDINALITY AS u(k, n)
    WHERE u.k IS NOT NULL
), new AS (
    SELECT c.snapshot_date, c.time_range, u.k, u.n
    FROM changed c CROSS JOIN LATERAL unnest(c.new) WITH ORDINALITY AS u(k, n)
)
SELECT count(*) FILTER (WHERE old.k IS NULL),
       count(*) FILTER (WHERE old.n <> new.n),
       count(*) FILTER (WHERE old.n = new.n)
         + (SELECT coalesce(sum(cardinality(i.track_keys)), 0)
            FROM derived_lists_incoming i JOIN derived_lists d USING (snapshot_date, time_range)
            WHERE d.track_keys = i.track_keys),
       count(*) FILTER (WHERE new.k IS NULL)
FROM new FULL JOIN old USING (snapshot_date, time_range, k)
"""

MERGE_SQL = """
INSERT INTO derived_lists (snapshot_date, time_range, track_keys)
SELECT snapshot_date, time_range, track_keys FROM derived_lists_incoming
ON CONFLICT (snapshot_date, time_range) DO UPDATE SET track_keys = EXCLUDED.track_keys
WHERE derived_lists.track_keys IS DISTINCT FROM EXCLUDED.track_keys
"""

# Streams per local day and track: how many, their milliseconds, and the latest one (in
# microseconds since the epoch, so that it can be negated for ordering).
DAILY_SQL = f"""
SELECT day, track_id, count(*), sum(ms_played),
       (extract(epoch FROM max(played_at)) * 1000000)::bigint
FROM (SELECT (played_at AT TIME ZONE %(tz)s)::date AS day, track_id, ms_played, played_at
      FROM plays
      WHERE {IS_STREAM}
        AND played_at >= %(from_utc)s AND played_at < %(to_utc)s) AS streams
WHERE day BETWEEN %(first)s AND %(last)s
GROUP BY day, track_id
ORDER BY day
"""

BOUNDS_SQL = f"""
SELECT min(played_at AT TIME ZONE %(tz)s)::date, max(played_at AT TIME ZONE %(tz)s)::date
FROM plays WHERE {IS_STREAM}
"""


@dataclass
class Derived:
    counts: Counts = field(default_factory=Counts)  # rows of derived lists
    removed: int = 0
    days: int = 0  # (day, range) lists written
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    def line(self) -> str:
        if not self.days and not self.removed:
            return "unchanged"
        span = f" for {self.first_day} to {self.last_day}" if self.first_day else ""
        return f"{self.days:,} lists{span} ({self.counts}, {self.removed:,} removed)"


def derive_again(grant: access.Grant | None,
                 progress: Callable[[str, int, int], None] | None = None,
                 conn: psycopg.Connection | None = None) -> Derived:
    """Derive every list, and make every listening rollup, from the stored plays again, in one
    transaction: after MTM_TIMEZONE changed (an import does it too), or to check them."""
    access.check(grant)
    with connection(conn) as c, c.transaction():
        rollups.refresh(c, None, everything=True)
        return derive(c, None, progress, everything=True)


def derive(c: psycopg.Connection, changed: tuple[dt.datetime, dt.datetime] | None,
           progress: Callable[[str, int, int], None] | None = None,
           everything: bool = False) -> Derived:
    """Derive again the lists whose windows hold plays ended between ``changed`` (UTC times),
    or every list (``everything``, or the time zone is not the one they were derived in);
    inside the caller's transaction."""
    tz = local_time.zone_name()
    result = Derived()
    everything = everything or local_time.zone_changed(c, META_KEY, tz)
    if changed is None and not everything:
        return result
    first, last = c.execute(BOUNDS_SQL, {"tz": tz}).fetchone()
    if first is None:  # no streams: no lists
        result.removed = _ranks_removed(c, "true", ())
        local_time.made_in(c, META_KEY, tz)
        return result
    # No list before the first stream's day or after the last's (which can move back, when an
    # exact play replaces one stored to the minute and is incognito).
    result.removed += _ranks_removed(c, "snapshot_date < %s OR snapshot_date > %s", (first, last))
    if everything:
        low, high = first, last
    else:
        low, high = (local_time.local_day(c, t, tz) for t in changed)
        low = max(low, first)
    bounds = {r: (low, min(high + (w - 1) * DAY, last)) for r, w in WINDOW_DAYS.items()}
    longest = max(WINDOW_DAYS.values())
    daily = _daily(c, tz, low - longest * DAY, max(b[1] for b in bounds.values()))
    spotify = set(c.execute(
        "SELECT snapshot_date, time_range FROM snapshots"
        " WHERE snapshot_date BETWEEN %s AND %s GROUP BY 1, 2", (low, last)).fetchall())
    keys = dict(c.execute("SELECT track_id, track_key FROM tracks WHERE track_id = ANY(%s)",
                          (list({row[0] for rows in daily.values() for row in rows}),)).fetchall())

    def lists():
        for number, (time_range, window) in enumerate(WINDOW_DAYS.items()):
            if progress:
                progress("deriving top lists", number, len(WINDOW_DAYS))
            start, end = bounds[time_range]
            for day, top in _sweep(daily, window, start, end):
                if (day, time_range) in spotify:
                    continue
                result.days += 1
                yield day, time_range, [keys[track_id] for track_id in top]

    bulk.stage(c, "derived_lists", COLUMNS, lists())
    c.execute("ALTER TABLE derived_lists_incoming ADD PRIMARY KEY (snapshot_date, time_range)")
    c.execute("ANALYZE derived_lists_incoming")
    for time_range, (start, end) in bounds.items():
        result.removed += _ranks_removed(
            c, "time_range = %s AND snapshot_date BETWEEN %s AND %s AND NOT EXISTS ("
            "SELECT 1 FROM derived_lists_incoming i WHERE i.snapshot_date = l.snapshot_date"
            " AND i.time_range = l.time_range)", (time_range, start, end))
    inserted, updated, unchanged, dropped = c.execute(COUNTS_SQL).fetchone()
    result.removed += dropped
    result.counts = Counts(inserted, updated, unchanged)
    c.execute(MERGE_SQL)
    c.execute("DROP TABLE derived_lists_incoming")
    result.first_day, result.last_day = low, max(b[1] for b in bounds.values())
    local_time.made_in(c, META_KEY, tz)
    if progress:
        progress("deriving top lists", len(WINDOW_DAYS), len(WINDOW_DAYS))
    return result


def _ranks_removed(c: psycopg.Connection, where: str, params: tuple) -> int:
    """Delete the derived lists ``where`` says (columns of derived_lists l); their ranks."""
    return c.execute(
        f"WITH gone AS (DELETE FROM derived_lists l WHERE {where} RETURNING track_keys)"
        " SELECT coalesce(sum(cardinality(array_remove(track_keys, NULL))), 0) FROM gone",
        params).fetchone()[0]


def _daily(c: psycopg.Connection, tz: str, first: dt.date, last: dt.date
           ) -> dict[dt.date, list[tuple]]:
    """Streams per day in [first, last]: {day: [(track_id, streams, ms, latest_us)]}."""
    by_day: dict[dt.date, list[tuple]] = defaultdict(list)
    with c.cursor() as cur:
        cur.execute(DAILY_SQL, {
            "tz": tz, "first": first, "last": last} | local_time.utc_window(first, last))
        for day, track_id, streams, ms, latest in cur:
            by_day[day].append((track_id, streams, ms, latest))
    return by_day


def _sweep(daily: dict[dt.date, list[tuple]], window: int, start: dt.date, end: dt.date):
    """(day, [track_id by rank]) for each day in [start, end] whose window holds a stream: the
    window's totals are kept as days enter and leave it, not summed again each day."""
    totals: dict[str, list] = {}  # track_id -> [streams, ms, latest]
    keys: dict[str, tuple] = {}  # track_id -> its ordering key (smallest first)

    def add(day: dt.date, sign: int) -> None:
        for track_id, streams, ms, latest in daily.get(day, ()):
            total = totals.get(track_id)
            if total is None:
                total = totals[track_id] = [0, 0, latest]
            total[0] += sign * streams
            total[1] += sign * ms
            if sign > 0 and latest > total[2]:
                total[2] = latest
            if total[0] == 0:  # its latest stream left with it
                del totals[track_id], keys[track_id]
            else:
                keys[track_id] = (-total[0], -total[1], -total[2], track_id)

    day = start - window * DAY  # from the day that leaves as ``start`` enters: it is subtracted
    while day < start:
        add(day, 1)
        day += DAY
    top: list[str] = []
    changed = True
    while day <= end:
        leaving = day - window * DAY
        if day in daily or leaving in daily:
            add(day, 1)
            add(leaving, -1)
            changed = True
        if keys:
            if changed:
                top = [key[3] for key in heapq.nsmallest(MAX_RANK, keys.values())]
                changed = False
            yield day, top
        day += DAY
