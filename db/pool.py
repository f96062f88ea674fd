"""The one shared connection pool of the process.

Opened explicitly on first use (failing fast with the server's own reason when the database
cannot be reached), checking each connection before lending it so that it survives a server
restart, and closed at exit before the embedded server stops.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from db import config
from db.errors import DatabaseUnavailable, first_line

CONNECT_TIMEOUT_S = 5
GETCONN_TIMEOUT_S = 10

_pool: ConnectionPool | None = None
_lock = threading.Lock()


def connection_kwargs() -> dict:
    return {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": config.APP_NAME}


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
        kwargs=connection_kwargs(),
        check=ConnectionPool.check_connection,
        timeout=GETCONN_TIMEOUT_S,
        name="mtm",
        open=False,
    )
    pool.open(wait=True, timeout=GETCONN_TIMEOUT_S)
    atexit.register(pool.close)
    return pool


def check_reachable(target: config.DatabaseTarget) -> None:
    """Connect once, so that an unreachable database fails with the server's own reason."""
    try:
        psycopg.connect(target.url, **connection_kwargs()).close()
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database at {target.display}: {first_line(exc)}"
        ) from None


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
    of work: committed when the block ends, rolled back when it raises."""
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
