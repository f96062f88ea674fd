"""The read side's core: run a query into a DataFrame, and cache answers by data version.

Every write to tracks or snapshots, by any process on any machine, moves `data_version` on (a
trigger, db/migrations/0004). Each script run reads it once (`sync_version`, in the entry
script) before asking anything else, and every cached answer is keyed by the version read: a new
import shows on the next click, in every replica, and an unchanged database is answered from the
cache. A query is one function:

    @cached
    def top_list(date, time_range) -> pd.DataFrame:
        return frame(TOP_LIST_SQL, {...})
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import psycopg
import streamlit as st
from psycopg import sql

from db.pool import read

CACHE = {"ttl": 600, "max_entries": 64, "show_spinner": False}
VERSION_SQL = "SELECT version FROM data_version"

# The data version this thread's script run goes by (0 outside a script run that synced).
_run = threading.local()

Answer = TypeVar("Answer")


def sync_version() -> int:
    """Read the data version, once at the start of each script run, before any cached answer is
    asked for. Streamlit runs each session's script in a thread of its own, so sessions never
    see each other's reading; and an answer computed after reading version v reflects at least v
    (the version commits with the data)."""
    _run.version = read(lambda conn: conn.execute(VERSION_SQL).fetchone()[0])
    return _run.version


def current_version() -> int:
    return getattr(_run, "version", 0)


def forget_version() -> None:
    """Forget this thread's reading (tests: one test's version must not key the next one's)."""
    _run.__dict__.clear()


def frame(query: sql.Composable | str, params: dict | tuple = ()) -> pd.DataFrame:
    """Run one query through the shared pool; the result as a DataFrame."""

    def run(conn: psycopg.Connection) -> pd.DataFrame:
        with conn.cursor() as cur:
            cur.execute(query, params)
            columns = [d.name for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)

    return read(run)


def cached(func: Callable[..., Answer]) -> Callable[..., Answer]:
    """Cache a query function's answers per data version and arguments (plain values).

    Streamlit keys a cache by the function's module, qualified name and source code; the wrapper
    carries all three of `func` (functools.wraps, and inspect.getsource unwraps), so each query
    has a cache of its own. The version is a keyword argument without a leading underscore, so
    it is hashed into every answer's key."""

    @st.cache_data(**CACHE)
    @functools.wraps(func)
    def by_version(*args, data_version: int, **kwargs):
        return func(*args, **kwargs)

    @functools.wraps(func)
    def ask(*args, **kwargs):
        return by_version(*args, data_version=current_version(), **kwargs)

    return ask
