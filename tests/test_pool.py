import psycopg
import pytest

from db import pool as db_pool
from db.errors import DatabaseUnavailable


def test_one_shared_pool_sized_from_the_environment(use_database, monkeypatch):
    monkeypatch.setenv("MTM_POOL_MIN", "1")
    monkeypatch.setenv("MTM_POOL_MAX", "3")
    pool = db_pool.get_pool()
    assert db_pool.get_pool() is pool
    assert (pool.min_size, pool.max_size) == (1, 3)
    with db_pool.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    stats = db_pool.pool_stats()
    assert stats["pool_max"] == 3 and stats["requests_num"] >= 1


def test_pool_survives_the_server_dropping_its_connections(use_database):
    """What a server restart does to a pool: every connection it holds dies."""
    with db_pool.connection() as conn:
        dbname = conn.info.dbname
    with psycopg.connect(use_database, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchone()[0]
    assert killed >= 1
    for _ in range(3):  # each borrowed connection is checked and replaced if dead
        with db_pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_unreachable_database_fails_fast_with_the_reason(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://me:hunter2@127.0.0.1:1/music")
    with pytest.raises(DatabaseUnavailable) as caught:
        db_pool.get_pool()
    message = str(caught.value)
    assert message.startswith("cannot connect to the database at postgresql://me:***@127.0.0.1:1/music")
    assert "hunter2" not in message and "\n" not in message


def test_a_given_connection_is_used_as_it_is(conn):
    with db_pool.connection(conn) as same:
        assert same is conn


def test_prepared_statements_off_reaches_every_pooled_connection(use_database, monkeypatch):
    from db import bench

    monkeypatch.setenv("MTM_PREPARED_STATEMENTS", "off")
    with db_pool.connection() as conn:
        assert conn.prepare_threshold is None
    result = bench.run_benchmark(300, 4)  # the plain execute() path
    assert (result.successes, result.failures) == (300, 0)
    with db_pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0
