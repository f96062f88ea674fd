"""Reads that would hang are bounded: a read stuck behind a lock or running too long is stopped
with a QueryTimeout and gives its connection back; the limits never reach writers. (Their
settings: test_config.py; a read retried after a dropped connection: test_pool.py.)"""

import psycopg
import pytest

from db import pool as db_pool
from db.errors import QueryTimeout
from queries import core


def test_a_read_stuck_behind_a_lock_gives_its_connection_back(use_database, monkeypatch):
    monkeypatch.setenv("MTM_LOCK_TIMEOUT_MS", "200")
    monkeypatch.setenv("MTM_POOL_MIN", "1")
    monkeypatch.setenv("MTM_POOL_MAX", "1")  # a connection kept by the failed read: no other
    with psycopg.connect(use_database) as blocker:
        blocker.execute("LOCK TABLE data_version IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(QueryTimeout, match="waited too long for a lock"):
            core.sync_version()
        stats = db_pool.pool_stats()
        assert (stats["pool_size"], stats["pool_available"]) == (1, 1), stats  # back in the pool
        blocker.rollback()
        blocker.execute("UPDATE data_version SET version = version + 41")
        blocker.commit()
        stored = blocker.execute("SELECT version FROM data_version").fetchone()[0]
    assert core.sync_version() == stored  # the pool's one connection answers, and reads it


def test_a_read_that_runs_too_long_is_stopped(use_database, monkeypatch):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", "200")
    with pytest.raises(QueryTimeout, match="statement timeout"):
        core.frame("SELECT pg_sleep(5)")
    assert core.frame("SELECT 1 AS one")["one"].tolist() == [1]


def test_read_limits_never_reach_writers(use_database, monkeypatch):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", "100")
    core.frame("SELECT 1")
    with db_pool.connection() as conn:  # a writer on a connection a read just used
        conn.execute("SELECT pg_sleep(0.3)")
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "0"
