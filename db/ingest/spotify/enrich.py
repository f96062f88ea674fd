"""Enrichment: the Spotify track object of every track known only from the data export.

The export names a track (and its id) but says nothing of its release date or explicit flag, so
such tracks are stored with ``raw_json IS NULL`` and count as Unknown on the dashboard. This asks
GET /v1/tracks/{id} for each of them, one track a request (development-mode apps lost Get Several
Tracks in February 2026), at most MTM_ENRICH_PER_SECOND requests a second (default 5), as the
connected account and under its lease (db.ingest.spotify.sync.leased_client: never beside a sync).

- Each object is written as every writer writes tracks (db.tracks.track_row, ON_CONFLICT_TRACK,
  through db.bulk), so the display and generated columns fill in; what was fetched is committed
  every few tracks and whenever the run ends, however it ends: a run stopped and started again
  never asks twice for a track it has (only a process killed outright loses the last few).
- A 404 records the track in ``tracks_unavailable``; it is never asked for again.
- A 429 that asks for a short wait is waited out (api.Policy); a longer one, or a spent quota,
  ends the run at once with the time to continue, and the track is not recorded as missing.
- Tracks with an object (from a sync, an import, an earlier run) are never asked for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from db import access, bulk
from db.errors import ConfigurationError, DatabaseError, InvalidData, first_line
from db.ingest.spotify.api import (
    Policy,
    SpotifyError,
    SpotifyRateLimited,
    duration,
    settings,
)
from db.ingest.spotify.sync import TAKEN_OVER, SyncBusy, leased_client
from db.pool import connection
from db.tracks import ON_CONFLICT_TRACK, TRACK_COLUMNS, track_row

Progress = Callable[[str, int, int], None]
RATE_SETTING = "MTM_ENRICH_PER_SECOND"
DEFAULT_PER_SECOND = 5.0
MAX_PER_SECOND = 50.0  # catches a typo (500 for 5.00); Spotify would answer 429s long before
PAGE = 50  # ids read at a time: a track described meanwhile by an import is rarely asked for
# A write moves the data version, and with it every cached answer of the app: a few tracks at a
# time (a second or so at the default rate) keeps the caches useful while losing little.
BATCH = 8
FLUSH_S = 2.0

# Tracks still to ask for: no object, not known to be gone, and an id Spotify could have (the
# export's are checked; anything else would only earn a 400 and stop every run at that track).
TODO = """
FROM tracks t
WHERE t.raw_json IS NULL AND t.track_id ~ '^[0-9A-Za-z]{22}$'
  AND NOT EXISTS (SELECT 1 FROM tracks_unavailable u WHERE u.track_id = t.track_id)
"""


@dataclass
class EnrichReport:
    asked: int = 0  # tracks Spotify answered for (a track's retries count once)
    enriched: int = 0  # objects written
    unavailable: int = 0  # 404s, recorded in tracks_unavailable
    left: int = 0  # tracks still to ask for when the run ended
    stopped_until: dt.datetime | None = None  # Spotify asked the app to wait until then (UTC)
    stopped: str | None = None  # why the run ended before it was done, when Spotify made it

    def line(self) -> str:
        done = (f"Spotify track objects: {self.asked:,} asked, {self.enriched:,} enriched, "
                f"{self.unavailable:,} no longer on Spotify; {self.left:,} left")
        if self.stopped:
            return f"{done}; stopped: {self.stopped}"
        return done + ("" if self.left else " (every track has its object)")


def enrich_tracks(grant: access.Grant | None, *, progress: Progress | None = None,
                  per_second: float | None = None, limit: int | None = None,
                  conn: psycopg.Connection | None = None, policy: Policy | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                  ) -> EnrichReport:
    """Fetch and store the objects of up to ``limit`` tracks that have none (all by default).

    ``policy.sleep`` does every wait (the rate's too) and ``clock`` tells the time between
    requests: tests give both. ``conn``, when given, must be in autocommit mode, so that what is
    fetched is committed as the run goes."""
    access.check(grant)
    rate = checked_rate(per_second)
    if limit is not None and limit < 0:
        raise InvalidData(f"limit must be 0 or more, not {limit}")
    if conn is not None and not conn.autocommit:
        raise ValueError("enrich_tracks commits as it goes: give it an autocommit connection")
    policy = policy or Policy()
    step = progress or (lambda stage, done, total: None)
    report = EnrichReport()
    with connection(conn) as c:
        waiting = c.execute("SELECT count(*) " + TODO).fetchone()[0]
    total = waiting if limit is None else min(limit, waiting)
    if total:  # nothing to ask for needs no Spotify settings, account or lease
        with leased_client(settings(), policy, conn=conn) as run:
            fetched = _Fetched(conn, report, clock)
            try:
                _ask(run, fetched, _Pace(rate, clock, policy.sleep), total, step)
            except SpotifyRateLimited as limited:
                _stop(report, limited, now())
            except BaseException:
                # Keep what was fetched, whatever ended the run; failing to, while another
                # failure is on its way out, must not hide that one.
                with contextlib.suppress(DatabaseError, psycopg.Error):
                    fetched.flush()
                raise
            fetched.flush()
    with connection(conn) as c:
        report.left = c.execute("SELECT count(*) " + TODO).fetchone()[0]
    step("done", report.asked, total)
    return report


def _ask(run, fetched: _Fetched, pace: _Pace, total: int, step: Progress) -> None:
    step("renewing access", 0, total)
    run.client.refresh()
    for track_id in _todo(fetched.conn, total):
        pace.wait()
        _renew(run)
        found = run.client.track(track_id)  # a 429 that ends the run leaves it unrecorded
        fetched.report.asked += 1
        fetched.add(track_id, found)
        step("asking Spotify for tracks", fetched.report.asked, total)


def checked_rate(per_second: float | None = None) -> float:
    """Requests a second: ``per_second``, else MTM_ENRICH_PER_SECOND, else 5."""
    where, given, value = "per_second", per_second, per_second
    if value is None:
        given = os.environ.get(RATE_SETTING, "").strip()
        if not given:
            return DEFAULT_PER_SECOND
        where = RATE_SETTING
        try:
            value = float(given)
        except ValueError:
            value = math.nan
    if isinstance(value, bool) or not (isinstance(value, int | float)
                                       and 0 < value <= MAX_PER_SECOND):
        raise ConfigurationError(f"{where} must be a number of requests a second above 0 and at "
                                 f"most {MAX_PER_SECOND:g}, such as 5; not {str(given)[:40]!r}")
    return float(value)


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
    """Up to ``total`` ids to ask for, in id order, read a page at a time: a track that gets an
    object meanwhile (an import) is not asked for, and none is asked twice in one run."""
    last, given = "", 0
    while given < total:
        with connection(conn) as c:
            page = [row[0] for row in c.execute(
                "SELECT t.track_id " + TODO + " AND t.track_id > %s ORDER BY t.track_id LIMIT %s",
                (last, min(PAGE, total - given))).fetchall()]
        if not page:
            return
        yield from page
        given += len(page)
        last = page[-1]


def _renew(run) -> None:
    try:
        run.renew()
    except SyncBusy:
        raise SyncBusy(TAKEN_OVER.replace("nothing was written", "the track objects fetched "
                                          "before were kept")) from None


def _stop(report: EnrichReport, limited: SpotifyRateLimited, at: dt.datetime) -> None:
    """How the run that Spotify stopped ends: when to continue, if Spotify said."""
    if limited.retry_after_s is None:
        report.stopped = f"{limited}; Spotify did not say for how long"
        return
    report.stopped_until = at + dt.timedelta(seconds=math.ceil(limited.retry_after_s))
    why = ("Spotify says this app's quota is spent" if limited.quota
           else "Spotify is limiting this app's requests")
    report.stopped = (f"{why}: continue after "
                      f"{report.stopped_until:%Y-%m-%d %H:%M:%S} UTC (in "
                      f"{duration(limited.retry_after_s)})")


class _Fetched:
    """What the run fetched and has not written yet: objects, and tracks Spotify does not have.
    Written every BATCH tracks, or FLUSH_S after the first one waiting (a slow rate)."""

    def __init__(self, conn: psycopg.Connection | None, report: EnrichReport,
                 clock: Callable[[], float]) -> None:
        self.conn, self.report, self.clock = conn, report, clock
        self.rows: list[tuple] = []
        self.gone: list[str] = []
        self.since = 0.0

    def add(self, track_id: str, found: dict | None) -> None:
        if not self.rows and not self.gone:
            self.since = self.clock()
        if found is None:
            self.gone.append(track_id)
        else:
            self.rows.append(_row(track_id, found))
        if len(self.rows) + len(self.gone) >= BATCH or self.clock() - self.since >= FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if not self.rows and not self.gone:
            return
        with connection(self.conn) as c, c.transaction():
            if self.rows:
                try:
                    bulk.stage(c, "tracks", TRACK_COLUMNS, self.rows)
                    bulk.merge_staged(c, "tracks", TRACK_COLUMNS, ("track_id",),
                                      ON_CONFLICT_TRACK)
                except psycopg.DataError as exc:
                    raise SpotifyError(f"Spotify's objects for tracks {self.rows[0][0]} to "
                                       f"{self.rows[-1][0]} were refused by the database "
                                       f"({first_line(exc)[:200]}); they were not recorded"
                                       ) from None
            if self.gone:
                c.cursor().executemany(
                    "INSERT INTO tracks_unavailable (track_id) VALUES (%s)"
                    " ON CONFLICT (track_id) DO NOTHING", [(t,) for t in self.gone])
        self.report.enriched += len(self.rows)
        self.report.unavailable += len(self.gone)
        self.rows, self.gone = [], []


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
