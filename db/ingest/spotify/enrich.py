"""Enrichment: the Spotify track object of every track known only from the data export.

The export names a track (and its id) but says nothing of its release date or explicit flag, so
such tracks are stored with ``raw_json IS NULL`` and their charts say "no details yet". A run, as
the connected account and under its lease (db.ingest.spotify.sync.leased_client: never beside a
sync), within the daily budget of requests (db.ingest.spotify.budget):

1. in bulk (db.ingest.spotify.library): recently played and saved tracks, 50 objects a request,
   when the account let the app read them;
2. then GET /v1/tracks/{id}, one track a request (development-mode apps lost Get Several Tracks
   in February 2026), most listened first: all-time streams, then days on the lists, so that each
   day's requests cover as much as they can of what the pages show; at most
   MTM_ENRICH_PER_SECOND requests a second (default 5).

- Each object is written as every writer writes tracks (db.model.tracks.track_row, ON_CONFLICT_TRACK,
  through db.model.bulk), so the display and generated columns fill in; what was fetched is committed
  every few tracks and whenever the run ends, however it ends: a run stopped and started again
  never asks twice for a track it has (only a process killed outright loses the last few).
- A 404 marks the track not_on_spotify; it is never asked for again (nor an id Spotify could
  not have, which would only earn a 400).
- A 429 that asks for a short wait is waited out (api.Policy); a longer one, or a spent quota,
  ends the run at once and the time it names is stored, so that no process asks before then;
  the track is not recorded as missing.
- A spent budget ends the run with when it allows more and about how many days are left.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from db import config
from db.errors import DatabaseError, InvalidData, first_line
from db.ingest.spotify import budget, library
from db.ingest.spotify.api import (
    Policy,
    SpotifyError,
    SpotifyForbidden,
    SpotifyRateLimited,
    settings,
)
from db.ingest.spotify.sync import TAKEN_OVER, SyncBusy, account, leased_client
from db.model import access, bulk
from db.model.tracks import AWAITING, ON_CONFLICT_TRACK, TRACK_COLUMNS, track_row
from db.pool import connection

Progress = Callable[[str, int, int], None]
RATE_SETTING = "MTM_ENRICH_PER_SECOND"
DEFAULT_PER_SECOND = 5.0
MAX_PER_SECOND = 50.0  # catches a typo (500 for 5.00); Spotify would answer 429s long before
PAGE = 50  # ids checked at a time: a track described meanwhile by an import is not asked for
# A write moves the data version, and with it every cached answer of the app: a few tracks at a
# time (a second or so at the default rate) keeps the caches useful while losing little.
BATCH = 8
FLUSH_S = 2.0

# Tracks still to ask for: no object, and not known to be missing from Spotify.
TODO = " FROM tracks WHERE " + AWAITING
# Most listened first: all-time streams, then days on any list, then id (a stable order).
ORDERED_SQL = """
SELECT t.track_id
FROM tracks t
LEFT JOIN listening_track_firsts f ON f.track_id = t.track_id
LEFT JOIN chart_totals c ON c.time_range = 'any' AND c.track_id = t.track_id
WHERE """ + AWAITING + """
ORDER BY coalesce(f.streams, 0) DESC, coalesce(c.days, 0) DESC, t.track_id
LIMIT %s
"""
# An id Spotify could not have (the export's are checked; others would earn a 400 that stops
# every run at that track) is never asked for.
IMPOSSIBLE_IDS_SQL = """
UPDATE tracks SET not_on_spotify = true
WHERE """ + AWAITING + """ AND track_id !~ '^[0-9A-Za-z]{22}$'
"""


@dataclass
class EnrichReport:
    asked: int = 0  # tracks asked for one by one that Spotify answered (retries count once)
    enriched: int = 0  # objects written from those answers
    in_bulk: int = 0  # objects written from recently played and saved tracks
    unavailable: int = 0  # 404s, marked not_on_spotify
    requests: int = 0  # Web API requests this run made (the budget counts these)
    left: int = 0  # tracks still to ask for when the run ended
    stopped_until: dt.datetime | None = None  # Spotify asked the app to wait until then (UTC)
    stopped: str | None = None  # why the run ended before it was done, when Spotify made it
    spent: budget.Standing | None = None  # the budget when it ended the run
    reconnect: bool = False  # the account does not let the app read saved or recent tracks

    def line(self) -> str:
        got = self.in_bulk + self.enriched
        done = (f"Spotify track details: fetched for {got:,} track{'s' if got != 1 else ''} "
                f"({self.in_bulk:,} from saved "
                f"and recently played, {self.enriched:,} one by one), {self.unavailable:,} no "
                f"longer on Spotify, {self.requests:,} requests; {self.left:,} left")
        if self.stopped:
            return f"{done}; stopped: {self.stopped}"
        if self.spent is not None and self.left:
            return f"{done}; {self.spent.line(self.left)}"
        return done + ("" if self.left else " (every track has its details)")


def enrich_tracks(grant: access.Grant | None, *, progress: Progress | None = None,
                  per_second: float | None = None, limit: int | None = None,
                  daily: int | None = None, wait_for_budget: bool = True,
                  conn: psycopg.Connection | None = None, policy: Policy | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  now: budget.Clock = budget.utc_now,
                  ) -> EnrichReport:
    """Fetch and store the objects of tracks that have none, within the daily budget (``daily``
    requests, else MTM_ENRICH_DAILY_REQUESTS); at most ``limit`` asked one by one. A spent budget
    that frees within budget.WAIT_FOR_BUDGET is waited for, unless not ``wait_for_budget`` (a
    person at the Data page is told when instead).

    ``policy.sleep`` does every wait (the rate's, the budget's) and ``clock`` tells the time
    between requests, ``now`` the time of day: tests give all three. ``conn``, when given, must
    be in autocommit mode, so that what is fetched is committed as the run goes."""
    access.check(grant)
    rate = checked_rate(per_second)
    daily = budget.daily_requests(daily)
    if limit is not None and limit < 0:
        raise InvalidData(f"limit must be 0 or more, not {limit}")
    if conn is not None and not conn.autocommit:
        raise ValueError("enrich_tracks commits as it goes: give it an autocommit connection")
    policy = policy or Policy()
    step = progress or (lambda stage, done, total: None)
    report = EnrichReport()
    with connection(conn) as c:
        c.execute(IMPOSSIBLE_IDS_SQL)
        waiting = c.execute("SELECT count(*) " + TODO).fetchone()[0]
    total = waiting if limit is None else min(limit, waiting)
    if total and _may_ask(report, budget.standing(conn, now(), daily), wait_for_budget):
        # Nothing to ask for, or no request to ask with, needs no Spotify settings or lease.
        meter = budget.Meter("details", limited=True, daily=daily, conn=conn, now=now,
                             sleep=policy.sleep if wait_for_budget else None)
        with leased_client(settings(), policy, conn=conn, meter=meter) as run:
            fetched = _Fetched(conn, report, clock)
            try:
                _ask(run, meter, fetched, _Pace(rate, clock, policy.sleep), total, step)
            except SpotifyRateLimited as limited:
                _stop(report, limited, now(), conn)
            except budget.SpotifyQuiet as quiet:  # another process met Spotify's 429 meanwhile
                report.stopped, report.stopped_until = quiet.line, quiet.until
            except budget.BudgetSpent as spent:
                report.spent = spent.standing
            except BaseException:
                # Keep what was fetched, whatever ended the run; failing to, while another
                # failure is on its way out, must not hide that one.
                with contextlib.suppress(DatabaseError, psycopg.Error):
                    fetched.flush()
                raise
            finally:
                report.requests = meter.sent
            fetched.flush()
    with connection(conn) as c:
        report.left = c.execute("SELECT count(*) " + TODO).fetchone()[0]
    if report.left and report.spent is None and not report.stopped:
        report.spent = budget.standing(conn, now(), daily)  # for the line: when, how many days
    step("done", report.asked, total)
    return report


def _may_ask(report: EnrichReport, standing: budget.Standing, wait: bool) -> bool:
    """False (and the report says why) when Spotify asked for quiet, or the budget is spent and
    will not free up within the wait a run allows (if it waits at all)."""
    if standing.quiet:
        report.stopped_until = standing.not_before
        report.stopped = budget.quiet_line(standing.not_before, standing.reason, standing.now)
        return False
    if not standing.for_details and (not wait or standing.frees_at is None or
                                     standing.frees_at - standing.now > budget.WAIT_FOR_BUDGET):
        report.spent = standing
        return False
    return True


def _ask(run, meter: budget.Meter, fetched: _Fetched, pace: _Pace, total: int,
         step: Progress) -> None:
    def waiting(until: dt.datetime) -> None:  # the lease is kept while the budget frees up
        _renew(run)
        step(f"waiting for the daily budget (until {until:%H:%M:%S} UTC)", fetched.report.asked,
             total)

    meter.on_wait = waiting
    step("renewing access", 0, total)
    run.client.refresh()
    known = account(fetched.conn)
    fetched.report.reconnect = known is not None and not known.bulk_details
    if known is not None and known.bulk_details:
        def before(stage: str) -> None:
            meter.purpose = "recent" if stage.startswith("recent") else "saved"
            pace.wait()
            _renew(run)
            step(stage, fetched.report.in_bulk, total)

        try:
            library.recently_played(run.client, fetched.conn, fetched.keep, before)
            library.saved_tracks(run.client, fetched.conn, fetched.keep, before, fetched.flush)
        except SpotifyForbidden:  # the scope was not granted after all: one by one, then
            fetched.report.reconnect = True
        fetched.flush()
    meter.purpose = "details"
    # No run can ask for more than two days' budget (one day's, and what leaves the window while
    # it waits): the order of a million tracks is not read for that.
    for track_id in _todo(fetched.conn, min(total, 2 * meter.daily)):
        pace.wait()
        _renew(run)
        found = run.client.track(track_id)  # a 429 that ends the run leaves it unrecorded
        fetched.report.asked += 1
        fetched.add(track_id, found)
        step("asking Spotify for tracks", fetched.report.asked, total)


def checked_rate(per_second: float | None = None) -> float:
    """Requests a second: ``per_second``, else MTM_ENRICH_PER_SECOND, else 5."""
    return config.number(
        RATE_SETTING, per_second, DEFAULT_PER_SECOND, float, lambda v: 0 < v <= MAX_PER_SECOND,
        f"a number of requests a second above 0 and at most {MAX_PER_SECOND:g}, such as 5",
        argument="per_second")


class _Pace:
    """Requests start at least 1/rate seconds apart. Retries inside one request (a 5xx, a short
    429) wait by the client's own policy, never less than what Spotify asked."""

    def __init__(self, per_second: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self.gap, self.clock, self.sleep = 1.0 / per_second, clock, sleep
        self.next: float | None = None

    def wait(self) -> None:
        start = self.clock()
        if self.next is not None and start < self.next:
            self.sleep(self.next - start)
            start = self.next
        self.next = start + self.gap


def _todo(conn: psycopg.Connection | None, total: int):
    """Up to ``total`` ids to ask for, most listened first. The order is read once; each page of
    it is checked again before it is asked for, so a track that gets an object meanwhile (an
    import, the bulk step) is not asked for, and none is asked twice in one run."""
    with connection(conn) as c:
        ordered = [row[0] for row in c.execute(ORDERED_SQL, (total,))]
    for start in range(0, len(ordered), PAGE):
        page = ordered[start:start + PAGE]
        still = library.awaiting(conn, page)
        yield from (track_id for track_id in page if track_id in still)


def _renew(run) -> None:
    try:
        run.renew()
    except SyncBusy:
        raise SyncBusy(TAKEN_OVER.replace("nothing was written", "the track objects fetched "
                                          "before were kept")) from None


def _stop(report: EnrichReport, limited: SpotifyRateLimited, at: dt.datetime,
          conn: psycopg.Connection | None) -> None:
    """How the run that Spotify stopped ends: when to continue (stored for every process),
    when Spotify said or its quota implies."""
    stored = budget.remember(limited, at, conn)
    if stored is None:
        report.stopped = f"{limited}; Spotify did not say for how long"
        return
    report.stopped_until, reason = stored
    report.stopped = budget.quiet_line(report.stopped_until, reason, at)


class _Fetched:
    """What the run fetched and has not written yet: objects, and tracks Spotify does not have.
    Written every BATCH tracks, or FLUSH_S after the first one waiting (a slow rate), or when the
    bulk step has taken a page."""

    def __init__(self, conn: psycopg.Connection | None, report: EnrichReport,
                 clock: Callable[[], float]) -> None:
        self.conn, self.report, self.clock = conn, report, clock
        self.rows: dict[str, tuple] = {}
        self.in_bulk = 0  # of the rows, those from the bulk step
        self.gone: list[str] = []
        self.since = 0.0

    def keep(self, found: dict) -> None:
        """An object from the bulk step: one that cannot be stored is left for the one-by-one
        step, which says why if it cannot store it either."""
        try:
            row = _row(found["id"], found)
        except SpotifyError:
            return
        if found["id"] not in self.rows:
            self.rows[found["id"]] = row
            self.in_bulk += 1

    def add(self, track_id: str, found: dict | None) -> None:
        if not self.rows and not self.gone:
            self.since = self.clock()
        if found is None:
            self.gone.append(track_id)
        else:
            self.rows[track_id] = _row(track_id, found)
        if len(self.rows) + len(self.gone) >= BATCH or self.clock() - self.since >= FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if not self.rows and not self.gone:
            return
        rows = list(self.rows.values())
        with connection(self.conn) as c, c.transaction():
            if rows:
                try:
                    bulk.stage(c, "tracks", TRACK_COLUMNS, rows)
                    bulk.merge_staged(c, "tracks", TRACK_COLUMNS, ("track_id",),
                                      ON_CONFLICT_TRACK)
                except psycopg.DataError as exc:
                    raise SpotifyError(f"Spotify's objects for tracks {rows[0][0]} to "
                                       f"{rows[-1][0]} were refused by the database "
                                       f"({first_line(exc)[:200]}); they were not recorded"
                                       ) from None
            if self.gone:
                c.execute("UPDATE tracks SET not_on_spotify = true WHERE track_id = ANY(%s)"
                          " AND raw_json IS NULL", (self.gone,))
        self.report.in_bulk += self.in_bulk
        self.report.enriched += len(rows) - self.in_bulk
        self.report.unavailable += len(self.gone)
        self.rows, self.gone, self.in_bulk = {}, [], 0


def _row(track_id: str, found: dict) -> tuple:
    """The tracks row for the object Spotify sent for ``track_id``; SpotifyError naming the track
    when it cannot be stored (checked before it joins a batch, so the others are still kept)."""
    try:
        row = track_row(found)
        if "\\u0000" in row[-1] or any("\x00" in v for v in row if isinstance(v, str)):
            raise InvalidData("it holds a \\u0000 character, which PostgreSQL cannot store")
    except InvalidData as exc:
        raise SpotifyError(f"Spotify's object for track {track_id} cannot be stored ({exc}); it "
                           "was not recorded") from None
    # Stored under the id asked for, which the plays name, whatever id the object carries (the
    # object itself is kept as Spotify sent it).
    return (track_id, *row[1:])
