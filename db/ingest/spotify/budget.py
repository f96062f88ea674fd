"""The daily budget of Spotify requests, kept in the database so that it holds across every
process that asks Spotify as this app: the Data page's buttons, the CLI, a cron job.

Spotify's development-mode quota (2026) is per developer over a rolling window and unpublished;
apps report QUOTA_EXCEEDED after about 1,100 requests in 24 hours. So every Web API request is
recorded (spotify_requests) before it is sent, and enrichment takes one only while fewer than
MTM_ENRICH_DAILY_REQUESTS (default 1,000) less the next sync's SYNC_REQUESTS were made in the
24 hours before: the daily sync always finds its requests. The sync records its own but is never
refused by the budget. When Spotify itself says stop (a quota 429, or a Retry-After too long to
wait out), the time it names is stored and no process sends anything before then.

Times are the caller's clock (``now``), so that tests and the benchmark can live through days in
seconds; a cron job and the app each use their machine's clock, which NTP keeps within a second.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from db import config
from db.ingest.spotify.api import SpotifyError, SpotifyRateLimited, duration
from db.model.snapshots import TIME_RANGES
from db.pool import connection

SETTING = "MTM_ENRICH_DAILY_REQUESTS"
DEFAULT_DAILY = 1000
MAX_DAILY = 100_000
SYNC_REQUESTS = 2 * len(TIME_RANGES)  # the most a sync asks: two pages of each top list
WINDOW = dt.timedelta(hours=24)
# A run that finds the budget spent waits for room when it comes this soon: a daily job runs
# about 24 hours after the last (a scheduled workflow often starts tens of minutes late, or
# early after a late one), while yesterday's requests leave the window at the pace they were made.
WAIT_FOR_BUDGET = dt.timedelta(hours=1)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BudgetSpent(SpotifyError):
    """No request is left for details in the last 24 hours (not an error of Spotify's)."""

    def __init__(self, standing: Standing) -> None:
        super().__init__(f"the daily budget of {standing.daily:,} Spotify requests "
                         f"({SETTING}) is spent")
        self.standing = standing


class SpotifyQuiet(SpotifyError):
    """Spotify asked this app to send nothing until ``until``; nothing was sent."""

    def __init__(self, until: dt.datetime, reason: str | None, now: dt.datetime) -> None:
        self.line = quiet_line(until, reason, now)
        super().__init__(f"{self.line}; nothing was asked of Spotify")
        self.until = until


def quiet_line(until: dt.datetime, reason: str | None, now: dt.datetime) -> str:
    """Why the app waits, and until when."""
    wait = (until - now).total_seconds()
    return (f"{reason or LIMITED}: continue after {until:%Y-%m-%d %H:%M:%S} UTC "
            f"(in {duration(wait)})")


def daily_requests(value: int | None = None) -> int:
    """Requests a day: ``value``, else MTM_ENRICH_DAILY_REQUESTS, else 1,000."""
    return config.number(
        SETTING, value, DEFAULT_DAILY, int, lambda v: SYNC_REQUESTS < v <= MAX_DAILY,
        f"a whole number of Spotify requests in 24 hours above {SYNC_REQUESTS} (the daily "
        f"sync's) and at most {MAX_DAILY:,}, such as {DEFAULT_DAILY}", argument="daily requests")


@dataclass(frozen=True)
class Standing:
    """Where the budget stands at ``now`` (times in UTC)."""

    now: dt.datetime
    daily: int  # the budget
    used: int  # requests in the 24 hours before now
    frees_at: dt.datetime | None  # when enough of them have left the window for one more
    not_before: dt.datetime | None  # Spotify asked for quiet until then (None: it did not)
    reason: str | None

    @property
    def for_details(self) -> int:
        """Requests enrichment may make now (the next sync's are kept)."""
        if self.quiet:
            return 0
        return max(0, self.daily - SYNC_REQUESTS - self.used)

    @property
    def quiet(self) -> bool:
        return self.not_before is not None and self.not_before > self.now

    @property
    def next_at(self) -> dt.datetime | None:
        """When details may be asked for again (None: now)."""
        if self.quiet:
            return self.not_before
        if self.for_details:
            return None
        return self.frees_at  # never None while the window holds requests

    def days_for(self, tracks: int) -> int:
        return days_for(tracks, self.daily)

    def line(self, left: int) -> str:
        """When the budget allows more details, and about how many days ``left`` tracks take."""
        when = self.next_at
        more = f"more after {when:%Y-%m-%d %H:%M} UTC" if when is not None else "more now"
        days = self.days_for(left)
        return (f"the daily budget of {self.daily:,} requests ({SETTING}) allows {more}; about "
                f"{days:,} day{'s' if days != 1 else ''} left at this budget")


def days_for(tracks: int, daily: int) -> int:
    """About how many daily runs ``tracks`` more requests take at ``daily`` requests a day."""
    return math.ceil(tracks / (daily - SYNC_REQUESTS)) if tracks else 0


# With `used` requests in the window and room for `room`, one more may go when the
# (used - room + 1)th oldest has left it.
STANDING_SQL = """
WITH recent AS (
    SELECT requested_at, row_number() OVER (ORDER BY requested_at) AS n,
           count(*) OVER () AS used
    FROM spotify_requests WHERE requested_at > %(since)s
)
SELECT coalesce((SELECT max(used) FROM recent), 0),
       (SELECT requested_at FROM recent WHERE n = greatest(used - %(room)s + 1, 1)),
       q.not_before, q.reason
FROM spotify_quota q
"""


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A timestamptz as UTC (psycopg gives it in the session's time zone)."""
    return None if moment is None else moment.astimezone(dt.UTC)


def standing(conn: psycopg.Connection | None = None, now: dt.datetime | None = None,
             daily: int | None = None) -> Standing:
    now, daily = now or utc_now(), daily_requests(daily)
    with connection(conn) as c:
        row = c.execute(STANDING_SQL, standing_params(now, daily)).fetchone()
    return standing_of(row, now, daily)


def standing_params(now: dt.datetime, daily: int) -> dict:
    return {"since": now - WINDOW, "room": daily - SYNC_REQUESTS}


def standing_of(row, now: dt.datetime, daily: int) -> Standing:
    """The Standing of STANDING_SQL's row."""
    used, oldest, not_before, reason = row
    return Standing(now, daily, used, _utc(oldest + WINDOW) if oldest is not None else None,
                    _utc(not_before), reason)


class Meter:
    """Counts a run's Web API requests into the budget, before each is sent (the client calls
    it). ``purpose`` says what the run is asking for now; with ``limited`` (enrichment) a request
    is only sent while the budget has room for it, else BudgetSpent, unless the room comes
    within WAIT_FOR_BUDGET and the meter may ``sleep`` (a minute at a time, calling ``on_wait``
    with the time it waits for before each). The sync is never limited. Either way SpotifyQuiet
    while Spotify asked for quiet.
    """

    def __init__(self, purpose: str, *, limited: bool, daily: int | None = None,
                 conn: psycopg.Connection | None = None, now: Clock = utc_now,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.purpose, self.limited, self.conn, self.now = purpose, limited, conn, now
        # Only enrichment reads the setting: a bad one must not stop the sync of the lists.
        self.daily = daily_requests(daily) if limited else None
        self.sleep = sleep
        self.on_wait: Callable[[dt.datetime], None] | None = None
        self.sent = 0

    def __call__(self, what: str) -> None:
        room = self.daily - SYNC_REQUESTS if self.limited else None
        waited = dt.timedelta(0)
        while True:
            now = self.now()
            with connection(self.conn) as c:
                taken, not_before, reason = c.execute(
                    "SELECT taken, not_before, reason FROM spotify_request_take(%s, %s, %s)",
                    (now, self.purpose, room)).fetchone()
            if taken:
                self.sent += 1
                return
            if not_before is not None and not_before > now:
                raise SpotifyQuiet(_utc(not_before), reason, now)
            spent = standing(self.conn, now, self.daily)
            wait = spent.frees_at - now + dt.timedelta(milliseconds=1)  # a hair past it
            if self.sleep is None or waited + wait > WAIT_FOR_BUDGET:
                raise BudgetSpent(spent)
            if self.on_wait:
                self.on_wait(spent.frees_at)
            step = min(wait, dt.timedelta(minutes=1))
            self.sleep(step.total_seconds())
            waited += step


def _stop_until(until: dt.datetime, reason: str, conn: psycopg.Connection | None = None) -> None:
    """Store Spotify's request for quiet (a later time than one stored wins)."""
    with connection(conn) as c:
        c.execute("UPDATE spotify_quota SET not_before = %(until)s, reason = %(reason)s"
                  " WHERE not_before IS NULL OR not_before < %(until)s",
                  {"until": until, "reason": reason})


def remember(limited: SpotifyRateLimited, at: dt.datetime,
             conn: psycopg.Connection | None = None) -> tuple[dt.datetime, str] | None:
    """Store the quiet a 429 asked for, from ``at``: (when it ends, why). A spent quota that
    does not say for how long waits out the window it is counted over; another 429 that does not
    say is not stored (None)."""
    if limited.retry_after_s is not None:
        until = at + dt.timedelta(seconds=math.ceil(limited.retry_after_s))
        reason = QUOTA_SPENT if limited.quota else LIMITED
    elif limited.quota:
        until, reason = at + WINDOW, f"{QUOTA_SPENT} and did not say for how long"
    else:
        return None
    _stop_until(until, reason, conn)
    return until, reason


QUOTA_SPENT = "Spotify says this app's quota is spent"
LIMITED = "Spotify is limiting this app's requests"


@contextmanager
def keeping_stops(now: Clock = utc_now, conn: psycopg.Connection | None = None) -> Iterator[None]:
    """A 429 that ends the run inside is remembered for every process (remember())."""
    try:
        yield
    except SpotifyRateLimited as limited:
        remember(limited, now(), conn)
        raise
