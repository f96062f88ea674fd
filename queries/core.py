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
import time
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import psycopg
import streamlit as st
from psycopg import sql
from psycopg.types.json import Jsonb

from db.errors import DatabaseError, DatabaseUnavailable
from db.pool import Statement, read_each

CACHE = {"ttl": 600, "max_entries": 64, "show_spinner": False}
VERSION_SQL = "SELECT version FROM data_version"

# This thread's script run: the data version it goes by (0 outside a script run that synced),
# the answers asked ahead of the questions (`together`), and, while asking ahead, the
# statements the questions would send.
_run = threading.local()

Answer = TypeVar("Answer")

# Questions every page asks (registered with `every_run`): they go with the data version.
_EVERY_RUN: list[Callable[[], object]] = []


class _Asked(BaseException):
    """Raised by frame() while questions are only being listed. A BaseException, so that no
    `except Exception` on the way swallows it, and st.cache_data caches nothing."""


def sync_version(questions: tuple[Callable[[], object], ...] = ()) -> int:
    """Read the data version, once at the start of each script run, before any cached answer is
    asked for. Streamlit runs each session's script in a thread of its own, so sessions never
    see each other's reading; and an answer computed after reading version v reflects at least v
    (the version commits with the data).

    The questions every page asks go in the same round trip: at most a few rows each, answered
    again on every run so that a run whose answers are all cached waits for the server once;
    and so do the page's own ``questions`` (streamlit_app.py: WITH_THE_VERSION)."""
    # Until read, no answer cached under an earlier reading may be taken for this run's.
    _run.answers, _run.version = {}, -time.monotonic_ns()
    common = _listed([*(q.uncached for q in _EVERY_RUN), *questions])
    try:
        answers = read_each([Statement(VERSION_SQL), *common])
    except (DatabaseError, psycopg.Error) as exc:
        if not common or isinstance(exc, DatabaseUnavailable):
            raise
        answers = read_each([Statement(VERSION_SQL)])  # one of the page's questions failed
        common = []
    _run.version = answers[0][1][0][0]
    _run.answers = {_key(s): a for s, a in zip(common, answers[1:], strict=True)}
    return _run.version


def forget_answers() -> None:
    """Drop the answers asked ahead in this run: after a write in the middle of a run (one that
    does not rerun at once), its questions are asked anew."""
    _run.answers = {}


def current_version() -> int:
    return getattr(_run, "version", 0)


def forget_version() -> None:
    """Forget this thread's reading (tests: one test's version must not key the next one's)."""
    _run.__dict__.clear()


def _key(statement: Statement) -> str:
    query = statement.query
    text = query if isinstance(query, str) else query.as_string(None)
    return repr((text, _plain(statement.params), statement.settings))


def _plain(value):
    """Parameters as plain values whose repr is whole (a Jsonb's repr is cut short)."""
    if isinstance(value, Jsonb):
        return ("jsonb", _plain(value.obj))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def frame(query: sql.Composable | str, params: dict | tuple = (),
          settings: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """Run one query through the shared pool; the result as a DataFrame. ``settings``: (name,
    value) pairs set for this statement only (db.pool.Statement)."""
    return frames((query, params, settings))[0]


def frames(*statements: tuple) -> list[pd.DataFrame]:
    """Several queries, each (query, params[, settings]), answered in one round trip (or found
    among the answers asked ahead, see `together`); DataFrames in order."""
    return [pd.DataFrame(rows, columns=columns) for columns, rows in _answered(statements)]


def rows(query: str, params: dict | tuple = ()) -> list[tuple]:
    """One query's rows as the driver's own values (None stays None, not NaT)."""
    return list(_answered([(query, params)])[0][1])


def records(query: str, params: dict | tuple = ()) -> list[dict]:
    """One query's rows as dicts of the driver's own values."""
    columns, found = _answered([(query, params)])[0]
    return [dict(zip(columns, row, strict=True)) for row in found]


def _answered(statements) -> list:
    listed = [Statement(*s) for s in statements]
    known = getattr(_run, "answers", {})
    missing = [s for s in listed if _key(s) not in known]
    asking = getattr(_run, "asking", None)
    if missing and asking is not None:
        asking.extend(missing)
        raise _Asked
    answers = {}
    if missing:
        answers = dict(zip(map(_key, missing), read_each(missing), strict=True))
    return [known.get(_key(s)) or answers[_key(s)] for s in listed]


def _listed(questions) -> list[Statement]:
    """The statements ``questions`` need answered next: for each, the first it would send that
    is not answered yet (none for a question the cache, or the answers so far, settle)."""
    _run.asking = asked = []
    try:
        for question in questions:
            try:
                question()
            except _Asked:
                pass
            except Exception:  # noqa: BLE001 - its section asks again and says what failed
                pass
    finally:
        _run.asking = None
    return list({_key(s): s for s in asked}.values())


def together(*questions: Callable[[], object], waves: int = 3) -> None:
    """Ask the database what ``questions`` need, in as few round trips as their answers allow,
    before the page asks them one by one as it draws: each then finds its answer here instead of
    waiting for the server.

    Each wave lists the statement every question needs next, and asks them all in one round
    trip; a question whose next statement depends on an answer (the list of the date a first
    statement found) sends it in the next wave. A question the cache answers sends nothing. If
    a wave fails, nothing more is asked ahead: each question is asked alone as the page draws,
    and only its own section says what went wrong."""
    for _ in range(waves):
        listed = _listed(questions)
        if not listed:
            return
        try:
            answers = read_each(listed)
        except (DatabaseError, psycopg.Error):
            return
        _run.answers = getattr(_run, "answers", {}) | {
            _key(s): a for s, a in zip(listed, answers, strict=True)}


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

    ask.uncached = func
    return ask


def every_run(question: Callable[[], Answer]) -> Callable[[], Answer]:
    """Register a cached question without arguments that every page asks: it goes with the data
    version's round trip (sync_version)."""
    _EVERY_RUN.append(question)
    return question
