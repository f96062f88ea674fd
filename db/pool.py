"""The one shared connection pool of the process.

Opened explicitly on first use (failing fast with the server's own reason when the database
cannot be reached), checking each connection before lending it so that it survives a server
restart, and closed at exit before the embedded server stops.

The check costs no round trip (see check_connection): psycopg_pool's own check sends a query on
every borrow, a round trip to a database that may be far away (docs/decisions.md).
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from db import config, redact
from db.errors import DatabaseBusy, DatabaseUnavailable, QueryTimeout, first_line

CONNECT_TIMEOUT_S = 5
GETCONN_TIMEOUT_S = 10
# How long a borrower waits for a pooled connection before asking the server directly whether it
# is there at all (a busy pool and a dead server look the same from inside the pool).
QUICK_WAIT_S = 0.5
# While the server is down, at most one caller a second asks it again; the others are told at
# once. A hosted database that sleeps (Neon's free tier) holds a new connection while it wakes,
# for a few seconds: the probe waits as long as any connection does.
PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = CONNECT_TIMEOUT_S

_pool: ConnectionPool | None = None
T = TypeVar("T")
_lock = threading.Lock()
log = logging.getLogger(__name__)


def connection_kwargs(url: str | None = None) -> dict:
    """Options for every connection the app opens. Over TCP, keepalives find a host that vanished
    without a word under an idle connection (and keep a NAT entry from expiring), and a TCP
    user timeout bounds how long a statement sent to such a host hangs before it fails (and is
    asked again on a fresh connection, see read_each); the connection string's values win."""
    kwargs = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": config.APP_NAME}
    kwargs |= {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
               "keepalives_count": 3, "tcp_user_timeout": 20_000}
    given = (redact.parse(url) or {}) if url else {}
    return {k: v for k, v in kwargs.items() if k not in given}


# Pooled connections are in autocommit mode: a lone statement is its own transaction, one
# round trip instead of three (BEGIN, the statement, COMMIT). Work that must be atomic says so
# with `conn.transaction()`, as every multi-statement write in db/ does.
POOL_CONNECTION_SETTINGS = {"autocommit": True}


def get_pool() -> ConnectionPool:
    """The shared pool, opened on first call against the resolved database."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = _open(config.resolve())
    return _pool


def _open(target: config.DatabaseTarget) -> ConnectionPool:
    if not _outage.answered_recently():  # else the server just answered: no second connect
        check_reachable(target)
    low, high = config.pool_sizes()
    pool = ConnectionPool(
        target.url,
        min_size=low,
        max_size=high,
        kwargs=connection_kwargs(target.url) | POOL_CONNECTION_SETTINGS
        | _prepare_setting(target.url),
        timeout=GETCONN_TIMEOUT_S,
        configure=_hear_goodbye,
        name="mtm",
        open=False,
    )
    pool.open(wait=True, timeout=GETCONN_TIMEOUT_S)
    _close_at_exit()
    return pool


@functools.cache
def _close_at_exit() -> None:
    # Registered after the embedded server's own exit handler, so it runs before it.
    atexit.register(close_pool)


def _prepare_setting(url: str) -> dict:
    # psycopg prepares a statement after its fifth execution on a connection; None never does.
    return {} if config.prepared_statements(url) else {"prepare_threshold": None}


def unavailable(target: config.DatabaseTarget, exc: BaseException) -> DatabaseUnavailable:
    """The error for a database that cannot be reached: the operator's message names the
    database (masked) and libpq's reason; the visitor's names only its kind and host."""
    detail = first_line(exc)
    return DatabaseUnavailable(
        f"cannot connect to the database at {target.display}: {detail}",
        public=f"Cannot reach {target.public_label}: {redact.public_reason(detail)}.")


def check_reachable(target: config.DatabaseTarget, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Connect once, so that an unreachable database fails with the server's own reason."""
    try:
        psycopg.connect(target.url, **connection_kwargs(target.url)
                        | {"connect_timeout": timeout}).close()
    except psycopg.Error as exc:
        raise unavailable(target, exc) from None


def check_connection(conn: psycopg.Connection) -> None:
    """Raise if ``conn`` is no longer usable, without a round trip.

    A server that restarts, terminates a backend, or suspends (Neon's free tier after 5 idle
    minutes) sends an error or closes the socket: reading what is waiting on the socket (about
    a microsecond) finds that out. A host that vanished without a word is left to keepalives
    and the TCP user timeout (connection_kwargs), and a read that fails on a broken connection
    is asked again on another (read_each). Not psycopg_pool's own check, which pings on every
    borrow; not a `reset` callback to note returns: with one, psycopg_pool hands every return
    to its worker thread, which costs more than it saves.
    """
    pgconn = conn.pgconn
    pgconn.consume_input()  # raises OperationalError when the server has closed the socket
    pgconn.is_busy()  # parses what was read: the goodbye sent before closing (_hear_goodbye)
    pgconn.consume_input()  # ...and the end of the stream, when it came already
    if pgconn.status != pq.ConnStatus.OK or conn in _told_goodbye:
        raise psycopg.OperationalError("the connection to the server was lost")


# The connections whose server has said it is ending their session.
_told_goodbye: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()


def _hear_goodbye(conn: psycopg.Connection) -> None:
    """A server ending a session (a restart, a terminated backend, a suspend) first sends a FATAL
    message, then closes the socket. On an idle connection libpq hands that message to the
    notice handlers: noted here, the connection counts as lost from the message on, not only
    once the close has arrived too (a borrow can come between the two)."""
    ref = weakref.ref(conn)

    def heard(diagnostic: psycopg.errors.Diagnostic) -> None:
        if diagnostic.severity_nonlocalized in ("FATAL", "PANIC") and (told := ref()) is not None:
            _told_goodbye.add(told)

    conn.add_notice_handler(heard)


class _Outage:
    """Whether this process finds the server down, shared by every session's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.error: DatabaseUnavailable | None = None
        self.asked_at = -math.inf

    def ask_server(self) -> None:
        """Raise DatabaseUnavailable unless the server answers a new connection. One caller at
        a time asks, at most once per PROBE_EVERY_S; the others share its answer. When a server
        found down answers again, the pool is renewed: the old one's reconnection attempts
        back off exponentially (up to minutes between tries)."""
        with self.lock:
            if time.monotonic() - self.asked_at >= PROBE_EVERY_S:
                target = config.resolve()
                was_down = self.error is not None
                try:
                    check_reachable(target, PROBE_TIMEOUT_S)
                except DatabaseUnavailable as exc:
                    if not was_down:
                        log.warning("database down: %s", exc)
                    self.error = exc
                else:
                    self.error = None
                    if was_down:
                        log.warning("database answers again: renewing the connection pool")
                        renew_pool()
                self.asked_at = time.monotonic()
            if self.error is not None:
                raise self.error

    def answered_recently(self) -> bool:
        """Whether the server answered a new connection within the last PROBE_EVERY_S."""
        return self.error is None and time.monotonic() - self.asked_at < PROBE_EVERY_S

    def reset(self) -> None:
        with self.lock:
            self.error, self.asked_at = None, -math.inf


_outage = _Outage()


def _borrow() -> tuple[ConnectionPool, psycopg.Connection]:
    """A checked connection, and the pool to return it to.

    Fails within about QUICK_WAIT_S + PROBE_TIMEOUT_S when the server is down (at once while it
    is known to be), instead of waiting out the pool's timeout once per query. A dead connection
    is discarded at once; when the server answers, the pool that held it is renewed (after a
    restart every connection it holds is dead, and its reconnection attempts may be backing
    off)."""
    if _outage.error is not None:
        _outage.ask_server()
    pool = get_pool()
    for _ in range(pool.max_size + 2):
        try:
            try:
                conn = pool.getconn(timeout=QUICK_WAIT_S)
            except PoolTimeout:
                _outage.ask_server()  # down: say so now; up: every connection is busy, wait
                conn = pool.getconn(timeout=GETCONN_TIMEOUT_S - QUICK_WAIT_S)
        except PoolTimeout:
            raise DatabaseBusy(
                f"no database connection became free within {GETCONN_TIMEOUT_S} s: all "
                f"{pool.max_size} of the pool's connections are in use (MTM_POOL_MAX)",
                public="The database is busy; try again in a moment.") from None
        except PoolClosed:  # renewed by another thread meanwhile
            pool = get_pool()
            continue
        try:
            check_connection(conn)
        except psycopg.Error as exc:
            log.info("discarding a dead pooled connection: %s", first_line(exc))
            conn.close()
            pool.putconn(conn)
            _outage.ask_server()
            renew_pool(pool)
            pool = get_pool()
            continue
        return pool, conn
    raise DatabaseUnavailable("the pool lent only dead connections",
                              public="The database connection keeps dropping.")


def renew_pool(old: ConnectionPool | None = None) -> None:
    """Replace the shared pool (``old``, when given, only if it is still the shared one). Its
    connections in use are closed when they are returned; the next get_pool() opens anew."""
    global _pool
    with _lock:
        if _pool is None or (old is not None and _pool is not old):
            return
        stale, _pool = _pool, None
    stale.close(timeout=0)


def close_pool() -> None:
    """Close the shared pool; the next get_pool() opens a new one."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None
    _outage.reset()


def pool_stats() -> dict[str, int]:
    """psycopg_pool's counters (pool_size, requests_waiting, requests_wait_ms, ...)."""
    return get_pool().get_stats()


@contextmanager
def connection(conn: psycopg.Connection | None = None) -> Iterator[psycopg.Connection]:
    """Use ``conn`` as it is (its owner commits), or borrow one from the shared pool for one unit
    of work, in autocommit mode: wrap statements that belong together in `conn.transaction()`."""
    if conn is not None:
        yield conn
        return
    pool, pooled = _borrow()
    try:
        with pooled:  # commits on success, rolls back on error; a pooled one is not closed
            yield pooled
    except psycopg.OperationalError as exc:
        raise _explained(exc, pooled) from exc
    finally:
        pool.putconn(pooled)


def _explained(exc: psycopg.OperationalError, conn: psycopg.Connection) -> Exception:
    """What an operational error means, in words a user can act on."""
    if conn.broken:
        try:
            _outage.ask_server()
        except DatabaseUnavailable as down:
            return down
        return DatabaseUnavailable(f"the connection to the database was lost: {first_line(exc)}",
                                   public="The connection to the database was lost; try again.")
    message = first_line(exc)
    if isinstance(exc, psycopg.errors.QueryCanceled) and "statement timeout" in message:
        return QueryTimeout("the query took too long and was stopped by the statement timeout "
                            "(MTM_STATEMENT_TIMEOUT_MS for the dashboard's reads)")
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return QueryTimeout("the query waited too long for a lock that another session holds "
                            "and was stopped (MTM_LOCK_TIMEOUT_MS for the dashboard's reads)")
    return exc


# Session settings for one read transaction: what a dashboard read may cost the server.
_READ_LIMITS = ("SELECT set_config('statement_timeout', %(statement_timeout)s, true),"
                " set_config('lock_timeout', %(lock_timeout)s, true)")
_SETTING = "SELECT set_config(%s, %s, true)"


@dataclass(frozen=True)
class Statement:
    """One read-only statement, and settings it runs under (name, value pairs) beyond the read
    limits, e.g. a larger work_mem."""

    query: Any  # str or psycopg.sql.Composable
    params: Any = ()
    settings: tuple[tuple[str, str], ...] = ()


Rows = tuple[list[str], list[tuple]]  # column names, rows


def _limits() -> dict[str, str]:
    return {k: str(v) for k, v in config.read_limits().items()}


def _twice(work: Callable[[psycopg.Connection], T]) -> T:
    """Run ``work`` on a pooled connection; if the server drops the connection under it, once
    more on another. The check before lending misses a backend terminated a moment before (its
    goodbye not yet on the socket) or during the query, as in a restart or a suspend: for a
    read, asking again is safe, and the viewer sees the answer instead of an error box. A read
    that fails for any other reason (an error in it, a cancel, a timeout) is not repeated."""
    with connection() as conn:
        try:
            return work(conn)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
    # Leaving the block handed the broken connection back, and the pool discarded it.
    with connection() as conn:
        return work(conn)


def read_each(statements: Sequence[Statement]) -> list[Rows]:
    """Answer read-only ``statements`` in one round trip, under the read limits
    (MTM_STATEMENT_TIMEOUT_MS, MTM_LOCK_TIMEOUT_MS).

    They go in one pipeline, which PostgreSQL runs as one implicit transaction up to its one
    Sync: the limits, set locally, hold for each statement and end with it, behind transaction
    poolers too (PgBouncer keeps a pipeline on one server connection until its Sync), and never
    reach writers. (An explicit BEGIN and COMMIT in the pipeline cost no round trip, but leave a
    failed pipeline's connection in an aborted transaction to roll back.) Statements with
    settings of their own run last, after those settings. Every answer is read after the Sync,
    so the client waits for the server once. An error in any statement fails them all (the rest
    are not run)."""
    limits = _limits()
    order = sorted(range(len(statements)), key=lambda i: statements[i].settings)

    def run(conn: psycopg.Connection) -> list[Rows]:
        cursors: dict[int, psycopg.Cursor] = {}
        with conn.pipeline():
            conn.execute(_READ_LIMITS, limits)
            settings: tuple = ()
            for i in order:
                statement = statements[i]
                if statement.settings != settings:
                    for name, value in statement.settings:
                        conn.execute(_SETTING, (name, value))
                    settings = statement.settings
                cursors[i] = conn.cursor()
                cursors[i].execute(statement.query, statement.params)
        answers = []
        for i in range(len(statements)):
            with cursors[i] as cur:
                answers.append(([d.name for d in cur.description], cur.fetchall()))
        return answers

    return _twice(run)


def read(work: Callable[[psycopg.Connection], T]) -> T:
    """Run read-only ``work`` on a pooled connection, in a transaction under the read limits,
    asked again on a fresh connection if the server drops this one (see _twice). Each statement
    of ``work`` waits for the server: where statements are known beforehand, read_each asks
    them all in one round trip."""
    limits = _limits()

    def limited(conn: psycopg.Connection) -> T:
        with conn.transaction():
            conn.execute(_READ_LIMITS, limits)
            return work(conn)

    return _twice(limited)
