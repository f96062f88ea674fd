"""A connected Spotify account, and the daily sync of its top tracks into dated ranks.

Connecting (the Data page): begin_connect() needs a Grant and stores a PKCE verifier under a
hash of a fresh ``state``; Spotify sends the browser back with that state and a code, often to a
new session or tab, and complete_connect() redeems them. The state is the capability there: only
a granted begin_connect() can have made it, it is single use and lives PENDING_MINUTES, so a
callback with any other state (a forged link) changes nothing. Read-only refuses both.

Syncing (the Sync now button, `python -m db sync-spotify`): /v1/me/top/tracks for the three time
ranges, 50 ranks a page and a second page from offset 49 for ranks 50-99 when the account has
them; every page is fetched and checked before one transaction writes the tracks, replaces the
day's list of each time range and records the run in ``imports``. A second run on the same day
with the same lists changes no row. A run that fails anywhere writes none of it; only a refresh
token that Spotify replaced during the run is kept (the old one may no longer work).

Every run that talks to Spotify as the account (this sync, db.ingest.spotify.enrich) does so
through leased_client(): one at a time, each keeping the refresh token Spotify rotated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import psycopg
from psycopg.rows import dict_row

from db import ingest, redact
from db.derive import local_time
from db.errors import DatabaseError, first_line
from db.ingest import json_files
from db.ingest.spotify import budget
from db.ingest.spotify.api import (
    LAST_OFFSET,
    LIBRARY_SCOPE,
    PAGE_LIMIT,
    RECENT_SCOPE,
    SCOPE,
    TOP_SCOPE,
    Policy,
    Settings,
    SpotifyClient,
    SpotifyError,
    authorize_url,
    pkce_pair,
    settings,
)
from db.model import access
from db.model.snapshots import TIME_RANGES
from db.model.tracks import serialised
from db.pool import connection

log = logging.getLogger(__name__)
PENDING_MINUTES = 15
SCHEMA_VERSION = 8  # the migration that made spotify_account
TAKEN_OVER = ("the Spotify account was disconnected, or another sync took over, while this one "
              "ran: nothing was written")
Progress = Callable[[str, int, int], None]
STEPS = 2 * len(TIME_RANGES) + 2  # renew access, two pages per time range, save


class SyncBusy(DatabaseError):
    pass


class NotConnected(SpotifyError):
    pass


@dataclass(frozen=True)
class Account:
    """The connected account as the app may show it to its owner: no token."""

    user_id: str | None
    display_name: str | None
    scope: str
    connected_at: dt.datetime
    last_sync_at: dt.datetime | None

    @property
    def name(self) -> str:
        return self.display_name or self.user_id or "your Spotify account"

    def grants(self, scope: str) -> bool:
        """Whether the owner let the app do what ``scope`` allows (an account connected before
        the app asked for it did not)."""
        return scope in self.scope.split()

    @property
    def bulk_details(self) -> bool:
        """Whether saved and recently played tracks can bring details, 50 a request."""
        return self.grants(LIBRARY_SCOPE) and self.grants(RECENT_SCOPE)


# Said wherever an account connected before the app asked for the library scopes is shown.
RECONNECT_FOR_DETAILS = (
    "Connect Spotify again (Data page: Disconnect, then Connect Spotify) to let the app read "
    "your saved and recently played tracks, which bring details 50 tracks a request instead of "
    "one; the daily sync of your top lists keeps working meanwhile.")


ACCOUNT_SQL = ("SELECT user_id, display_name, scope, connected_at, last_sync_at"
               " FROM spotify_account")


def account(conn: psycopg.Connection | None = None) -> Account | None:
    with connection(conn) as c, c.cursor(row_factory=dict_row) as cur:
        row = cur.execute(ACCOUNT_SQL).fetchone()
    return Account(**row) if row else None


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin_connect(grant: access.Grant | None, conn: psycopg.Connection | None = None) -> str:
    """The address to send the owner to, to let this app read their top tracks."""
    access.check(grant)
    config = settings()
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    with connection(conn) as c, c.transaction():
        c.execute("DELETE FROM spotify_pending WHERE created_at < now() - make_interval(mins => %s)",
                  (PENDING_MINUTES,))
        c.execute("INSERT INTO spotify_pending (state_hash, code_verifier, redirect_uri)"
                  " VALUES (%s, %s, %s)", (_state_hash(state), verifier, config.redirect_uri))
    return authorize_url(config, state, challenge)


def complete_connect(state: str | None, code: str | None, error: str | None = None, *,
                     policy: Policy | None = None,
                     conn: psycopg.Connection | None = None) -> Account:
    """Redeem Spotify's answer to begin_connect(): store the account (replacing any other)."""
    access.refuse_if_read_only()
    config = settings()
    with connection(conn) as c:
        row = c.execute(
            "DELETE FROM spotify_pending WHERE state_hash = %s"
            " RETURNING code_verifier, redirect_uri,"
            " created_at >= now() - make_interval(mins => %s)",
            (_state_hash(state or ""), PENDING_MINUTES)).fetchone()
    if row is None or not row[2]:
        raise SpotifyError("this answer from Spotify does not match a connection started here "
                           f"in the last {PENDING_MINUTES} minutes (its state is unknown): "
                           "nothing was changed; connect again from the Data page")
    verifier, redirect_uri = row[0], row[1]
    if error:
        declined = error == "access_denied"
        raise SpotifyError("you did not allow the app to read your top tracks: nothing was "
                           "changed" if declined else
                           f"Spotify did not connect the account ({error[:100]}): nothing was "
                           "changed")
    if not code:
        raise SpotifyError("Spotify's answer held no authorization code: connect again")
    with SpotifyClient(replace(config, redirect_uri=redirect_uri), policy,
                       meter=budget.Meter("account", limited=False, conn=conn)) as client:
        tokens = client.exchange_code(code, verifier)
        if tokens.scope and TOP_SCOPE not in tokens.scope.split():
            raise SpotifyError(f"Spotify granted {tokens.scope!r}, without {TOP_SCOPE!r}: "
                               "connect again")
        profile = client.me()
        refresh_token = client.refresh_token  # Spotify may have replaced it already
    user_id, name = profile.get("id"), profile.get("display_name")
    with connection(conn) as c:
        c.execute(
            """
            INSERT INTO spotify_account (refresh_token, scope, user_id, display_name)
            VALUES (%(token)s, %(scope)s, %(user)s, %(name)s)
            ON CONFLICT (only_row) DO UPDATE SET
                refresh_token = EXCLUDED.refresh_token, scope = EXCLUDED.scope,
                user_id = EXCLUDED.user_id, display_name = EXCLUDED.display_name,
                connected_at = now(), sync_holder = NULL, sync_expires_at = NULL,
                last_sync_at = CASE WHEN spotify_account.user_id IS NOT DISTINCT FROM
                               EXCLUDED.user_id THEN spotify_account.last_sync_at END,
                -- Another account has another library: its reading starts over.
                library_offset = CASE WHEN spotify_account.user_id IS NOT DISTINCT FROM
                                 EXCLUDED.user_id THEN spotify_account.library_offset END,
                library_pass_newest = CASE WHEN spotify_account.user_id IS NOT DISTINCT FROM
                                      EXCLUDED.user_id THEN spotify_account.library_pass_newest END,
                library_seen_until = CASE WHEN spotify_account.user_id IS NOT DISTINCT FROM
                                     EXCLUDED.user_id THEN spotify_account.library_seen_until END,
                library_read_at = CASE WHEN spotify_account.user_id IS NOT DISTINCT FROM
                                  EXCLUDED.user_id THEN spotify_account.library_read_at END
            """,
            {"token": refresh_token, "scope": tokens.scope or SCOPE,
             "user": user_id if isinstance(user_id, str) else None,
             "name": name if isinstance(name, str) else None})
    return account(conn)


def disconnect(grant: access.Grant | None, conn: psycopg.Connection | None = None) -> bool:
    """Forget the account and its refresh token (and connections not finished); True if there
    was one. Spotify keeps listing the app under the account's apps until the owner removes it."""
    access.check(grant)
    with connection(conn) as c, c.transaction():
        c.execute("DELETE FROM spotify_pending")
        return c.execute("DELETE FROM spotify_account").rowcount > 0


@dataclass
class SyncReport(ingest.ImportReport):
    day: dt.date | None = None
    ranks: dict[str, int] = field(default_factory=dict)  # time range -> ranks fetched
    no_release_date: int = 0
    no_explicit_flag: int = 0

    def line(self) -> str:
        lists = ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in self.ranks.items())
        unknown = ""
        if self.no_release_date or self.no_explicit_flag:
            unknown = (f"; {self.no_release_date:,} without a release date and "
                       f"{self.no_explicit_flag:,} without the explicit flag, shown as Unknown")
        return (f"{self.source}: {self.day} synced ({lists}); tracks: {self.tracks}; "
                f"ranks: {self.snapshots}, {self.removed:,} removed{unknown}")


def sync_spotify(grant: access.Grant | None, *, progress: Progress | None = None,
                 policy: Policy | None = None, day: dt.date | None = None,
                 now: budget.Clock = budget.utc_now) -> SyncReport:
    """Fetch the three top-track lists and record them as ``day``'s (default: today()); its
    requests count into the daily budget at ``now``."""
    access.check(grant)
    config = settings()
    day = day or local_time.today()
    step = progress or (lambda stage, done, total: None)
    report = SyncReport("Spotify top tracks", "spotify", day=day)
    tracks: dict[str, tuple] = {}
    ranks: list[tuple] = []
    meter = budget.Meter("lists", limited=False, now=now)
    with leased_client(config, policy, meter=meter) as run, budget.keeping_stops(now):
        client = run.client
        step("renewing access", 0, STEPS)
        client.refresh()
        for number, time_range in enumerate(TIME_RANGES):
            label = time_range.replace("_", " ")
            run.renew()
            step(f"{label}: ranks 1-{PAGE_LIMIT}", 1 + 2 * number, STEPS)
            fetched, more = _page(client, time_range, 0, day, tracks)
            if more:
                run.renew()
                step(f"{label}: ranks {LAST_OFFSET + 1}-99", 2 + 2 * number, STEPS)
                rest, _ = _page(client, time_range, LAST_OFFSET, day, tracks)
                fetched += [row for row in rest if row[3] > PAGE_LIMIT]  # 50 is page one's
            listed = _best_rank_each(fetched)
            ranks += listed
            report.ranks[time_range] = len(listed)
        step("saving", STEPS - 1, STEPS)
        _save(run.holder, report, tracks, ranks)
    step("done", STEPS, STEPS)
    return report


@dataclass
class LeasedClient:
    """A run's client of the connected account, under the account's lease (one run at a time:
    Spotify replaces the refresh token as runs use it, so two at once would lock each other out).
    renew() before every request that may take a while; SyncBusy when another run took over."""

    client: SpotifyClient
    holder: str
    lease_s: float
    conn: psycopg.Connection | None = None

    def renew(self) -> None:
        with connection(self.conn) as c:
            renewed = c.execute("UPDATE spotify_account SET sync_expires_at = now() + "
                                "make_interval(secs => %s) WHERE sync_holder = %s",
                                (self.lease_s, self.holder)).rowcount
        if not renewed:
            raise SyncBusy(TAKEN_OVER)


@contextmanager
def leased_client(config: Settings, policy: Policy | None = None, *,
                  conn: psycopg.Connection | None = None,
                  meter: budget.Meter | None = None) -> Iterator[LeasedClient]:
    """The connected account's client, its lease taken (NotConnected, SyncBusy) and given back
    at the end, and a refresh token that Spotify replaced during the run kept. ``meter`` counts
    its Web API requests into the daily budget."""
    policy = policy or Policy()
    # Renewed before every request of the run's own (and every minute of a wait for the
    # budget); one is at most three (ask, renew, ask).
    lease_s = 3 * policy.worst_case_s() + 60
    holder = str(uuid.uuid4())
    refresh_token = _claim(holder, lease_s, conn)
    try:
        stored = [refresh_token]

        def keep(token: str) -> None:
            """Store the refresh token Spotify replaced ours with, unless the stored one is no
            longer ours (the account was reconnected meanwhile): never overwrite a newer one."""
            with connection(conn) as c:
                kept = c.execute("UPDATE spotify_account SET refresh_token = %s"
                                 " WHERE refresh_token = %s", (token, stored[0])).rowcount
            if kept:
                stored[0] = token
            else:
                log.warning("Spotify replaced the refresh token during a run, but the stored "
                            "one had changed meanwhile (reconnected?): kept the stored one")

        with SpotifyClient(config, policy, refresh_token=refresh_token,
                           on_new_refresh_token=keep, meter=meter) as client:
            yield LeasedClient(client, holder, lease_s, conn)
    finally:
        try:  # give the lease back if the run did not; a failure here must not hide the first
            with connection(conn) as c:
                c.execute("UPDATE spotify_account SET sync_holder = NULL, sync_expires_at = NULL"
                          " WHERE sync_holder = %s", (holder,))
        except (psycopg.Error, DatabaseError):
            pass  # the lease runs out by itself


def _claim(holder: str, lease_s: float, conn: psycopg.Connection | None = None) -> str:
    """Take the account's lease and return the refresh token; NotConnected or SyncBusy."""
    with connection(conn) as c:
        row = c.execute(
            "UPDATE spotify_account SET sync_holder = %s,"
            " sync_expires_at = now() + make_interval(secs => %s)"
            " WHERE sync_holder IS NULL OR sync_expires_at < now()"
            " RETURNING refresh_token",
            (holder, lease_s)).fetchone()
        if row is None:
            if c.execute("SELECT 1 FROM spotify_account").fetchone() is None:
                raise NotConnected("no Spotify account is connected: connect one on the Data "
                                   "page first")
            raise SyncBusy("a Spotify sync or track enrichment is already running for this "
                           "database: wait for it to finish")
    redact.remember(row[0])
    return row[0]


def _page(client: SpotifyClient, time_range: str, offset: int, day: dt.date,
          tracks: dict[str, tuple]) -> tuple[list[tuple], bool]:
    """One page's snapshot rows (rank = offset + position + 1), and whether the account has
    ranks past it; the page's tracks go into ``tracks``."""
    answer = client.top_tracks(time_range, offset)
    items = answer.get("items", [])
    where = f"Spotify's top tracks ({time_range.replace('_', ' ')}, from rank {offset + 1})"
    if not isinstance(items, list):
        raise SpotifyError(f"{where}: 'items' is not a list; nothing was written")
    if not items:
        return [], False
    # Ranks count from the offset asked for, whatever the answer says its offset is.
    parsed = json_files.parse_payload({**answer, "offset": offset}, day, time_range)
    if parsed.problems:
        raise SpotifyError(f"{where}: {ingest.problems_line(parsed.problems, len(parsed.problems))}"
                           "; nothing was written")
    tracks.update(parsed.tracks)
    total = answer.get("total")
    more = len(items) >= PAGE_LIMIT and (
        bool(answer.get("next")) or (isinstance(total, int) and total > offset + len(items))
        or ("next" not in answer and "total" not in answer))
    return parsed.ranks, more


def _best_rank_each(rows: list[tuple]) -> list[tuple]:
    """A track listed twice (it moved between the two pages' requests) keeps its best rank."""
    best: dict[str, tuple] = {}
    for row in rows:
        if row[0] not in best or row[3] < best[row[0]][3]:
            best[row[0]] = row
    return sorted(best.values(), key=lambda row: row[3])


DERIVED_GONE_SQL = """
SELECT count(*) FROM derived_lists l
CROSS JOIN LATERAL unnest(l.track_keys) AS u(track_key)
JOIN tracks t ON t.track_key = u.track_key
WHERE l.snapshot_date = %s AND l.time_range = %s AND NOT (t.track_id = ANY(%s))
"""


def _save(holder: str, report: SyncReport, tracks: dict[str, tuple], ranks: list[tuple]) -> None:
    """One transaction: the tracks, each time range's list for the day (replacing one an earlier
    sync that day recorded), the run's row in imports, and the lease given back."""
    with connection() as c, c.transaction():
        if c.execute("UPDATE spotify_account SET last_sync_at = now(), sync_holder = NULL,"
                     " sync_expires_at = NULL WHERE sync_holder = %s", (holder,)).rowcount != 1:
            raise SyncBusy(TAKEN_OVER)
        for time_range in TIME_RANGES:
            keep = [row[0] for row in ranks if row[2] == time_range]
            report.removed += c.execute(
                "DELETE FROM snapshots WHERE snapshot_date = %s AND time_range = %s"
                " AND NOT (track_id = ANY(%s))", (report.day, time_range, keep)).rowcount
            # The day's derived list goes too: its ranks not on Spotify's list count as removed
            # (the others are counted when Spotify's take their place), all of it when Spotify's
            # list of that range is empty (no list written to win over it).
            report.removed += c.execute(DERIVED_GONE_SQL, (report.day, time_range, keep)
                                        ).fetchone()[0]
            if not keep:
                c.execute("DELETE FROM derived_lists WHERE snapshot_date = %s AND time_range = %s",
                          (report.day, time_range))
        rows = ((*row[:-1], serialised(row[-1])) for row in tracks.values())
        try:
            json_files.write(c, report, rows, ranks)
        except psycopg.DataError as exc:  # e.g. a \u0000 that jsonb cannot hold
            raise SpotifyError(f"Spotify's top tracks were refused by the database "
                               f"({first_line(exc)[:200]}): nothing was written") from None
        # Unknown exactly as the charts count it: the columns derived from raw_json.
        report.no_release_date, report.no_explicit_flag = c.execute(
            "SELECT count(*) FILTER (WHERE album_release_year IS NULL),"
            " count(*) FILTER (WHERE is_explicit IS NULL) FROM tracks WHERE track_id = ANY(%s)",
            (list(tracks),)).fetchone()
