import select
import threading

import psycopg
import pytest

from db import pool as db_pool
from db.errors import DatabaseUnavailable, QueryTimeout

from support.delay_proxy import DelayProxy
from support.waits import wait_until


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


def test_a_connection_the_server_said_goodbye_on_is_not_lent(use_database, monkeypatch):
    """A terminated backend sends its goodbye (FATAL), then closes the socket: a borrow that comes
    between the two gets another connection. The proxy holds the close back for good."""
    with DelayProxy.to(use_database) as proxy:
        proxy.hold_server_close = True
        monkeypatch.setenv("DATABASE_URL", proxy.url(use_database))
        monkeypatch.setenv("MTM_POOL_MIN", "2")
        idle = db_pool.get_pool()
        idle.wait()
        lent = [c for c in list(idle._pool)]  # psycopg_pool's idle connections
        pids = {c.info.backend_pid for c in lent}
        with psycopg.connect(use_database, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid",
                          (list(pids),))
        wait_until(lambda: len(select.select([c.pgconn.socket for c in lent], [], [], 0)[0])
                   == len(lent), "the goodbyes never came")
        for _ in range(3):
            with db_pool.connection() as conn:
                assert conn.info.backend_pid not in pids
                assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pool_survives_the_server_dropping_its_connections(use_database):
    """What a server restart does to a pool: every connection it holds dies."""
    with db_pool.connection() as conn:
        dbname = conn.info.dbname
    with psycopg.connect(use_database, autocommit=True) as admin:
        killed = [pid for (pid, _) in admin.execute(  # WHERE filters before the select list
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))]
        assert killed
    # pg_terminate_backend only signals: as after a restart, wait until every idle pooled
    # connection has the backend's goodbye to read (it leaves pg_stat_activity a moment before
    # its socket closes) before the app borrows one; the check before lending reads it, no ping.
    idle = list(db_pool.get_pool()._pool)  # psycopg_pool's idle connections
    assert idle
    wait_until(lambda: len(select.select([c.pgconn.socket for c in idle], [], [], 0)[0])
               == len(idle), "the terminated backends' sockets stayed open")
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
    from db.stress import runner

    monkeypatch.setenv("MTM_PREPARED_STATEMENTS", "off")
    with db_pool.connection() as conn:
        assert conn.prepare_threshold is None
    result = runner.run(300, 4).postgres  # the plain execute() path
    assert (result.successes, result.failures) == (300, 0)
    with db_pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0


def test_a_read_is_repeated_once_when_the_server_drops_its_connection(use_database, monkeypatch):
    """A restart can land between the check before lending and the query, or during it: the
    dashboard's reads go through db.pool.read, which tries once more on a fresh connection."""
    from queries import core

    monkeypatch.setenv("MTM_LOCK_TIMEOUT_MS", "0")  # the read waits on the test's lock below
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", "0")
    lock = 4_242_001
    query = f"SELECT 7 AS answer FROM pg_advisory_xact_lock_shared({lock}) -- read-retry probe"
    killed: list[int] = []

    def terminate_the_first_run(holder: psycopg.Connection) -> None:
        """Once the read waits for the lock the holder has, end its backend, then let go."""
        def terminated() -> list[int]:
            killed.extend(pid for (pid, _) in holder.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query = %s AND %s = ANY(pg_blocking_pids(pid))",
                (query, holder.info.backend_pid)))
            return killed

        try:
            wait_until(terminated, "the read never waited for the lock", every_s=0.01)
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (lock,))

    with psycopg.connect(use_database, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
        killer = threading.Thread(target=terminate_the_first_run, args=(holder,))
        killer.start()
        try:
            answer = core.frame(query)
        finally:
            killer.join()
    assert len(killed) == 1, "the first run was not terminated"
    assert answer["answer"].tolist() == [7]


def test_a_read_failing_for_its_own_reason_is_not_repeated(use_database):
    calls = []

    def bad_query(conn):
        calls.append("division")
        conn.execute("SELECT 1/0")

    def too_slow(conn):
        calls.append("timeout")
        with conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 50")
            conn.execute("SELECT pg_sleep(1)")

    with pytest.raises(psycopg.errors.DivisionByZero):
        db_pool.read(bad_query)
    with pytest.raises(QueryTimeout, match="stopped by the statement timeout"):
        db_pool.read(too_slow)
    assert calls == ["division", "timeout"]
