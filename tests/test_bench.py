"""The concurrent-write benchmark: honest numbers, nothing lost, the user's data untouched."""

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
import streamlit as st

from db.errors import InvalidData
from db.ingest import demo
from db.stress import runner, workload
from queries import dashboard
from ui import stress_test

from support import writes_seen as writes_seen_support
from support.apptest import app_test
from support.cli import one_line_error, run_cli
from support.waits import wait_until

END = demo.dt.date(2026, 6, 30)
DAY = demo.dt.date(2026, 7, 1)  # the day in-process runs date their rows (bench_day, pinned)
USERS_DATA = ("SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM list_ranks), "
           "(SELECT coalesce(sum(rank), 0) FROM list_ranks), (SELECT max(updated_at) FROM tracks)")


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    yield
    current = runner.background_run()
    if current is not None:
        current.thread.join(120)


@pytest.fixture
def users_data(use_database):
    """The user's own tracks and lists, which no run may change: a connection to the database
    and the checksum (USERS_DATA) they have before the test."""
    demo.seed_demo(tracks=200, days=10, seed=3, end=END)
    with psycopg.connect(use_database) as conn:
        yield conn, conn.execute(USERS_DATA).fetchone()


@pytest.fixture
def writes_seen(use_database, monkeypatch) -> Callable[[], list[int]]:
    """The ranks written to the benchmark's table since the last call, in commit order. Runs in
    this process date their row DAY."""
    monkeypatch.setattr(workload, "bench_day", lambda: DAY)
    with psycopg.connect(use_database, autocommit=True) as setup:
        writes_seen_support.install(setup, "mtm_bench.snapshots")

    def since_last_call() -> list[int]:
        with psycopg.connect(use_database, autocommit=True) as c:
            return writes_seen_support.ranks(c, forget=True)
    return since_last_call


def bench_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as c:
        return c.execute("SELECT track_id, snapshot_date, time_range, rank "
                         "FROM mtm_bench.snapshots").fetchall()


def test_500_writes_from_10_workers_succeed_and_leave_the_users_data_alone(users_data, writes_seen,
                                                                       use_database):
    conn, before = users_data
    st.cache_data.clear()
    shown_before = dashboard.summary(None, None, None)
    result = runner.run(500, 10).postgres
    assert (result.successes, result.failures, result.errors) == (500, 0, {})
    # Every write reached the table once, and the row holds the one that committed last.
    seen = writes_seen()
    assert sorted(seen) == list(range(1, 501))
    assert bench_rows(use_database) == [(workload.TRACK_ID, DAY, workload.TIME_RANGE, seen[-1])]
    assert result.final_rank_valid
    assert result.summary_line.startswith("500 writes completed in ")
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms
    assert len(result.latencies_ms) == 500 and result.writes_per_s > 0
    assert result.pool["requests_num"] >= 500
    assert conn.execute(USERS_DATA).fetchone() == before
    st.cache_data.clear()
    assert dashboard.summary(None, None, None) == shown_before


def test_a_run_replaces_the_rows_of_earlier_runs(users_data, writes_seen, use_database,
                                               monkeypatch):
    runner.run(50, 3)
    assert sorted(writes_seen()) == list(range(1, 51))
    later = DAY + demo.dt.timedelta(days=1)  # the next run is a day later: its row is another
    monkeypatch.setattr(workload, "bench_day", lambda: later)
    result = runner.run(80, 5).postgres
    seen = writes_seen()
    assert result.successes == 80 and sorted(seen) == list(range(1, 81))
    assert bench_rows(use_database) == [(workload.TRACK_ID, later, workload.TIME_RANGE, seen[-1])]


def test_one_run_at_a_time_and_a_cooldown_between_runs(users_data):
    held = runner.Lease.acquire()
    with pytest.raises(runner.StressTestBusy, match="a stress test is already running"):
        runner.run(10, 2)
    held.release()
    assert runner.run(10, 2).postgres.successes == 10
    with pytest.raises(runner.StressTestBusy, match="the next may start in"):
        runner.run(10, 2, cooldown_s=600)
    assert runner.run(10, 2, cooldown_s=0).postgres.successes == 10


def test_a_deleted_lease_row_is_put_back(users_data, use_database):
    with psycopg.connect(use_database, autocommit=True) as other:
        other.execute("DELETE FROM mtm_bench.run_lease")
    assert runner.run(10, 2).postgres.successes == 10


def test_a_lease_whose_process_died_runs_out(users_data, use_database):
    held = runner.Lease.acquire()
    held._released.set()  # as if its process had died: no more heartbeats, never released
    with psycopg.connect(use_database, autocommit=True) as other:
        other.execute("UPDATE mtm_bench.run_lease SET expires_at = now() - interval '1 second'")
    assert runner.run(10, 2).postgres.successes == 10


def test_a_run_that_loses_its_lease_stops_writing(users_data, use_database, writes_seen,
                                                 monkeypatch):
    monkeypatch.setattr(runner, "HEARTBEAT_S", 0.05)
    lease = runner.Lease.acquire()
    before_it_knew: list[int] = []
    with psycopg.connect(use_database, autocommit=True) as other, \
            psycopg.connect(use_database) as holder:
        def steal(stage, done, total):
            if done and not before_it_knew:  # another run took the lease over (it ran out, say)
                other.execute("UPDATE mtm_bench.run_lease SET holder = 'someone else'")
                # Hold the writers back until the run's heartbeat has found the lease gone.
                holder.execute("SELECT 1 FROM mtm_bench.snapshots FOR UPDATE")
                assert lease.lost.wait(60), "the heartbeat never noticed"
                before_it_knew.extend(writes_seen())
                holder.rollback()
        with pytest.raises(runner.DatabaseError, match="lost its lease"):
            runner.run(20_000, 2, progress=steal, lease=lease)
    assert before_it_knew
    assert len(writes_seen()) <= 2  # after that, only the writes the two writers had begun


@pytest.mark.parametrize(("writes", "workers", "message"), [
    (0, 5, "writes must be between 1 and 20,000"),
    (20_001, 5, "writes must be between"),
    (10, 0, "workers must be between 1 and"),
    (10, 17, "workers must be between 1 and 16"),
])
def test_bounds_keep_a_public_deployment_safe(use_database, writes, workers, message):
    with pytest.raises(InvalidData, match=message):
        runner.run(writes, workers)
    with pytest.raises(InvalidData, match=message):
        runner.start_in_background(writes, workers, False, 0)


def test_sqlite_side_by_side():
    waiting = workload.sqlite_part(300, 8, busy_timeout_s=5.0)
    assert (waiting.successes, waiting.failures) == (300, 0)
    assert waiting.final_rank_valid  # one row, with a rank that was written
    impatient = workload.sqlite_part(300, 8, busy_timeout_s=0.0)
    assert impatient.successes + impatient.failures == 300
    assert set(impatient.errors) <= {"database is locked"}
    assert impatient.final_rank_valid  # a refused writer means another one was writing


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert workload.percentile(values, 50) == 50.0
    assert workload.percentile(values, 95) == 95.0
    assert workload.percentile(values, 99) == 99.0
    assert workload.percentile([7.0], 99) == 7.0 and workload.percentile([], 50) == 0.0


def test_cli_json_is_one_object_and_the_users_data_is_unchanged(users_data):
    conn, before = users_data
    url = conn.info.dsn
    result = run_cli("bench", "--writes", "500", "--workers", "10", "--json", database_url=url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"writes", "workers", "successes", "failures", "elapsed_s", "writes_per_s", "p50_ms",
            "p95_ms", "p99_ms", "max_ms"} <= set(data)
    assert (data["writes"], data["workers"], data["successes"], data["failures"]) == (500, 10, 500, 0)
    assert conn.execute(USERS_DATA).fetchone() == before


def test_cli_plain_output_ends_with_the_seeds_sentence(users_data):
    url = users_data[0].info.dsn
    result = run_cli("bench", "--writes", "200", "--workers", "4", "--sqlite", database_url=url)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"200 writes completed in \d+\.\d\ds", result.stdout.strip().splitlines()[-1])
    assert "SQLite (WAL, busy timeout 0 s)" in result.stdout


def test_cli_rejects_too_many_workers(use_database):
    line = one_line_error(run_cli("bench", "--workers", "64", database_url=use_database))
    assert "workers must be between 1 and 16" in line


def wait_for_the_background_run() -> runner.BackgroundRun:
    current = runner.background_run()
    current.thread.join(120)
    assert not current.running
    return current


def opened(at):
    """The stress test's expander open, as the browser reports it with every rerun (AppTest
    sends no expander's state of its own)."""
    at.session_state[stress_test.PANEL_KEY] = True
    return at


def test_sidebar_button_runs_it_and_the_dashboard_stays_the_same(users_data, monkeypatch):
    monkeypatch.setenv("MTM_STRESS_TEST_COOLDOWN_S", "0")
    at = app_test()
    at.run()
    before = {m.label: m.value for m in at.metric}
    assert not [w for w in at.number_input if w.key == "stress_writes"]  # drawn once opened
    opened(at).run()
    at.number_input(key="stress_writes").set_value(500)
    at.checkbox(key="stress_sqlite").set_value(False)
    at.button(key="stress_run").click()
    opened(at).run()
    assert not at.exception
    assert wait_for_the_background_run().error is None
    opened(at).run()  # what the progress fragment asks for when the run is over
    assert any(s.value.startswith("500 writes completed in ") for s in at.success)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Failures"] == "0"
    assert {k: v for k, v in shown.items() if k in before} == before


@contextmanager
def writers_held_back(database_url: str) -> Iterator[Callable[[], None]]:
    """Hold a lock on the benchmark's row, so that a run that starts waits at its first statement
    until the test lets it go (calling what this yields): a run that is surely in progress,
    whatever the machine's speed."""
    holder = psycopg.connect(database_url)
    holder.execute("INSERT INTO mtm_bench.snapshots VALUES (%s, %s, %s, 1) ON CONFLICT DO NOTHING",
                   (workload.TRACK_ID, workload.bench_day(), workload.TIME_RANGE))
    holder.commit()
    holder.execute("SELECT 1 FROM mtm_bench.snapshots WHERE track_id = %s FOR UPDATE",
                   (workload.TRACK_ID,))
    try:
        yield holder.rollback
    finally:
        holder.close()


def overlapping(windows: list[tuple[float, float]]) -> list:
    ordered = sorted(windows)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b[0] < a[1]]


def test_a_rerun_during_a_run_never_lets_a_second_run_write(users_data, use_database, monkeypatch):
    """Streamlit stops a script run by raising in it: a click or any widget during a run used to
    free the lock while the writers went on, and a second click started a second run."""
    monkeypatch.setenv("MTM_STRESS_TEST_COOLDOWN_S", "0")
    at = opened(app_test()).run()
    at.number_input(key="stress_writes").set_value(2000)
    with writers_held_back(use_database) as let_go:
        at.button(key="stress_run").click()
        opened(at).run()
        first = runner.background_run()
        assert first.running
        at.selectbox(key="time_range").set_value("long_term")
        opened(at).run()  # a rerun mid-run
        assert not at.exception and first.running
        assert at.button(key="stress_run").disabled
        other = opened(app_test()).run()  # another visitor sees it running too
        assert other.button(key="stress_run").disabled
        assert any("started in another session" in i.value for i in other.info)
        with pytest.raises(runner.StressTestBusy, match="already running in this app"):
            runner.start_in_background(10, 2, False, 0)  # a stale page's click, called directly
        with pytest.raises(runner.StressTestBusy, match="already running on this database"):
            runner.run(10, 2)  # another process or replica
        assert runner.background_run() is first and first.running
        let_go()
        wait_for_the_background_run()
    opened(at).run()
    assert any(s.value.startswith("2000 writes completed in ") for s in at.success)
    parts = first.result.parts
    assert len(parts) == 3 and not overlapping([(p.writers_from, p.writers_until) for p in parts])


def test_runs_started_at_once_never_write_at_the_same_time(users_data, use_database):
    """Four threads and a second process keep starting runs (PostgreSQL and SQLite parts): the
    writers of any two runs never overlap in time."""

    barrier = threading.Barrier(4)
    finished: list[runner.StressTestResult] = []
    refused: list[str] = []
    tried = threading.Condition()

    def keep_starting() -> None:
        barrier.wait()
        for _ in range(6):
            try:
                finished.append(runner.run(300, 4, sqlite=True))
            except runner.StressTestBusy as exc:
                with tried:
                    refused.append(str(exc))
                    tried.notify_all()

    threads = [threading.Thread(target=keep_starting) for _ in range(4)]
    with writers_held_back(use_database) as let_go:  # the first run waits until all have tried
        for thread in threads:
            thread.start()
        with tried:  # the bound is for a stuck test, not a speed goal
            assert tried.wait_for(lambda: len(refused) >= 3, timeout=60)
        assert not finished
        let_go()
    cli = [run_cli("bench", "--writes", "300", "--workers", "4", "--sqlite", "--json",
                   database_url=use_database) for _ in range(3)]
    for thread in threads:
        thread.join()
    windows = [(p.writers_from, p.writers_until) for r in finished for p in r.parts]
    for result in cli:
        if result.returncode == 0:
            data = json.loads(result.stdout)
            windows += [(d["writers_from"], d["writers_until"]) for d in [data, *data["sqlite"]]]
        else:
            assert "a stress test is already running" in result.stderr, result.stderr
    assert finished and refused, (len(finished), len(refused))
    assert not overlapping(windows)
    assert all(p.failures == 0 for r in finished for p in r.parts[:2])


def blocked_by(pid: int, url: str) -> int:
    """How many backends wait for a lock that ``pid`` holds (read afresh: a transaction would
    see one snapshot of pg_stat_activity)."""
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                         (pid,)).fetchone()[0]


def test_dashboard_queries_keep_answering_while_it_runs(users_data, use_database, writes_seen):
    """Mid-run, with every writer holding a connection of the run's pool (held back by a row the
    test is inserting), the dashboard's questions are answered from the app's pool."""
    results = {}
    with psycopg.connect(use_database) as holder:
        holder.execute("INSERT INTO mtm_bench.snapshots VALUES (%s, %s, %s, 1)",
                       (workload.TRACK_ID, DAY, workload.TIME_RANGE))  # not committed (yet)
        pid = holder.info.backend_pid
        writer = threading.Thread(target=lambda: results.update(run=runner.run(4000, 8).postgres))
        writer.start()
        wait_until(lambda: blocked_by(pid, use_database) == 8, "the 8 writers never all waited")
        for _ in range(3):
            st.cache_data.clear()
            assert dashboard.summary(None, None, None)["tracks"] == 200
        assert blocked_by(pid, use_database) == 8 and writer.is_alive()
        holder.rollback()
    writer.join()
    assert results["run"].successes == 4000 and sorted(writes_seen()) == list(range(1, 4001))


def test_the_stress_test_can_be_hidden_and_then_refuses(app, use_database, monkeypatch):
    from db.stress import runner

    monkeypatch.setenv("MTM_STRESS_TEST", "off")
    at = app.run()
    assert not at.exception and not [b for b in at.button if b.key == "stress_run"]
    with pytest.raises(runner.StressTestBusy, match="turned off"):
        runner.start_in_background(10, 2, False, 0)
