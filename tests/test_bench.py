"""The concurrent-write benchmark: honest numbers, nothing lost, the user's history untouched."""

import json
import re

import psycopg
import pytest
import streamlit as st
from test_cli import one_line_error, run_cli

from db import bench, demo
from db.errors import InvalidData
from queries import dashboard

from conftest import app_test

END = demo.dt.date(2026, 6, 30)
HISTORY = ("SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM snapshots), "
           "(SELECT coalesce(sum(rank), 0) FROM snapshots), (SELECT max(updated_at) FROM tracks)")


@pytest.fixture
def history(use_database):
    demo.seed_demo(tracks=200, days=10, seed=3, end=END)
    with psycopg.connect(use_database) as conn:
        yield conn, conn.execute(HISTORY).fetchone()


def test_500_writes_from_10_workers_succeed_and_leave_the_history_alone(history):
    conn, before = history
    st.cache_data.clear()
    shown_before = dashboard.summary(None, None, None)
    result = bench.run_benchmark(500, 10)
    assert (result.successes, result.failures, result.errors) == (500, 0, {})
    assert result.rows_for_key == 1 and result.final_rank_valid
    assert result.summary_line.startswith("500 writes completed in ")
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms
    assert len(result.latencies_ms) == 500 and result.writes_per_s > 0
    assert result.pool["requests_num"] >= 500
    assert conn.execute(HISTORY).fetchone() == before
    st.cache_data.clear()
    assert dashboard.summary(None, None, None) == shown_before


def test_runs_again_with_one_row_for_the_key(history):
    bench.run_benchmark(50, 3)
    assert bench.run_benchmark(80, 5).rows_for_key == 1


def test_one_run_at_a_time(history, use_database):
    with psycopg.connect(use_database, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (bench._LOCK_KEY,))
        with pytest.raises(bench.BenchmarkBusy, match="a benchmark is already running"):
            bench.run_benchmark(10, 2)
    assert bench.run_benchmark(10, 2).successes == 10  # released with the other session


@pytest.mark.parametrize(("writes", "workers", "message"), [
    (0, 5, "writes must be between 1 and 20,000"),
    (20_001, 5, "writes must be between"),
    (10, 0, "workers must be between 1 and"),
    (10, 11, "workers must be between 1 and 10 \\(the pool's size\\)"),
])
def test_bounds_keep_a_public_deployment_safe(use_database, writes, workers, message):
    with pytest.raises(InvalidData, match=message):
        bench.run_benchmark(writes, workers)


def test_sqlite_side_by_side():
    waiting = bench.run_sqlite_benchmark(300, 8, busy_timeout_s=5.0)
    assert (waiting.successes, waiting.failures) == (300, 0)
    assert waiting.rows_for_key == 1 and waiting.final_rank_valid
    impatient = bench.run_sqlite_benchmark(300, 8, busy_timeout_s=0.0)
    assert impatient.successes + impatient.failures == 300
    assert set(impatient.errors) <= {"database is locked"}
    assert impatient.rows_for_key == 1


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 50) == 50.0
    assert bench.percentile(values, 95) == 95.0
    assert bench.percentile(values, 99) == 99.0
    assert bench.percentile([7.0], 99) == 7.0 and bench.percentile([], 50) == 0.0


def test_cli_json_is_one_object_and_history_is_unchanged(history):
    conn, before = history
    url = conn.info.dsn
    result = run_cli("bench", "--writes", "500", "--workers", "10", "--json", database_url=url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"writes", "workers", "successes", "failures", "elapsed_s", "writes_per_s", "p50_ms",
            "p95_ms", "p99_ms", "max_ms"} <= set(data)
    assert (data["writes"], data["workers"], data["successes"], data["failures"]) == (500, 10, 500, 0)
    assert conn.execute(HISTORY).fetchone() == before


def test_cli_plain_output_ends_with_the_seeds_sentence(history):
    url = history[0].info.dsn
    result = run_cli("bench", "--writes", "200", "--workers", "4", "--sqlite", database_url=url)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"200 writes completed in \d+\.\d\ds", result.stdout.strip().splitlines()[-1])
    assert "SQLite (WAL, busy timeout 0 s)" in result.stdout


def test_cli_rejects_too_many_workers(use_database):
    line = one_line_error(run_cli("bench", "--workers", "64", database_url=use_database))
    assert "workers must be between 1 and 10" in line


def test_sidebar_button_runs_it_and_the_dashboard_stays_the_same(history):
    at = app_test()
    at.run()
    before = {m.label: m.value for m in at.metric}
    at.number_input(key="stress_writes").set_value(500)
    at.checkbox(key="stress_sqlite").set_value(False)
    at.button(key="stress_run").click().run()
    assert not at.exception
    assert any(s.value.startswith("500 writes completed in ") for s in at.success)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Failures"] == "0"
    assert {k: v for k, v in shown.items() if k in before} == before


def test_dashboard_queries_keep_answering_while_it_runs(history):
    import threading
    import time

    results = {}
    runner = threading.Thread(target=lambda: results.update(run=bench.run_benchmark(4000, 8)))
    runner.start()
    answered_during_run = 0
    while runner.is_alive():
        st.cache_data.clear()
        started = time.perf_counter()
        numbers = dashboard.summary(None, None, None)
        assert numbers["tracks"] == 200
        assert time.perf_counter() - started < 5
        answered_during_run += runner.is_alive()
    runner.join()
    assert results["run"].successes == 4000
    assert answered_during_run >= 1
