"""The one shared connection pool of the process.

Opened explicitly on first use (failing fast with the server's own reason when the database
cannot be reached), checking each connection before lending it so that it survives a server
restart, and closed at exit before the embedded server stops.

The check costs no round trip for a connection in use (see check_connection): psycopg_pool's
own check sends a query on every borrow, which made the concurrent-write benchmark's writes
a third slower.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout

from db import config
from db.errors import DatabaseUnavailable, first_line

CONNECT_TIMEOUT_S = 5
GETCONN_TIMEOUT_S = 10
# A connection idle for longer than this is checked with a round trip before it is lent.
PING_AFTER_IDLE_S = 30.0

_lent_at: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_pool: ConnectionPool | None = None
T = TypeVar("T")
_lock = threading.Lock()


def connection_kwargs() -> dict:
    return {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": config.APP_NAME}


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
    check_reachable(target)
    low, high = config.pool_sizes()
    pool = ConnectionPool(
        target.url,
        min_size=low,
        max_size=high,
        kwargs=connection_kwargs() | POOL_CONNECTION_SETTINGS | _prepare_setting(target.url),
        check=check_connection,
        timeout=GETCONN_TIMEOUT_S,
        name="mtm",
        open=False,
    )
    pool.open(wait=True, timeout=GETCONN_TIMEOUT_S)
    atexit.register(pool.close)
    return pool


def _prepare_setting(url: str) -> dict:
    # psycopg prepares a statement after its fifth execution on a connection; None never does.
    return {} if config.prepared_statements(url) else {"prepare_threshold": None}


def check_reachable(target: config.DatabaseTarget) -> None:
    """Connect once, so that an unreachable database fails with the server's own reason."""
    try:
        psycopg.connect(target.url, **connection_kwargs()).close()
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database at {target.display}: {first_line(exc)}"
        ) from None


def check_connection(conn: psycopg.Connection) -> None:
    """Raise if ``conn`` is no longer usable; the pool then replaces it.

    A server that restarts, or terminates a backend, sends an error and closes the socket:
    reading what is waiting on the socket (no round trip, about a microsecond) finds that out.
    A connection not lent for more than PING_AFTER_IDLE_S, whose peer may have vanished
    without a word (a dropped NAT entry, a killed host), is checked with a round trip as well.
    (Not a `reset` callback to note returns: with one, psycopg_pool hands every return to its
    worker thread, which costs more than the check saves.)
    """
    pgconn = conn.pgconn
    pgconn.consume_input()  # raises OperationalError when the server has closed the socket
    pgconn.is_busy()  # parses what was read: an error sent before closing
    pgconn.consume_input()  # ...and the end of the stream after it
    if pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("the connection to the server was lost")
    now = time.monotonic()
    last_lent = _lent_at.get(conn)
    _lent_at[conn] = now
    if last_lent is None or now - last_lent > PING_AFTER_IDLE_S:
        ConnectionPool.check_connection(conn)


def close_pool() -> None:
    """Close the shared pool; the next get_pool() opens a new one."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


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
    try:
        with get_pool().connection() as pooled:
            yield pooled
    except PoolTimeout:
        raise DatabaseUnavailable(
            f"no database connection became available within {GETCONN_TIMEOUT_S} s "
            f"({config.resolve().display})"
        ) from None
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"database unavailable: {first_line(exc)}") from exc


def read(work: Callable[[psycopg.Connection], T]) -> T:
    """Run read-only ``work`` on a pooled connection, once more on another if the server dropped
    the first under it. The check before lending misses a backend terminated a moment before
    (its goodbye not yet on the socket) or during the query, as in a restart: for a read, trying
    again is safe, and the viewer sees the answer instead of an error box. A query that fails
    for any other reason (an error in it, a cancel, a timeout) is not repeated."""
    with connection() as conn:
        try:
            return work(conn)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
    # Leaving the block handed the broken connection back, and the pool discarded it.
    with connection() as conn:
        return work(conn)
