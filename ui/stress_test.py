"""The sidebar's stress test: the concurrent-write benchmark, run from the app, side by side
with SQLite. Its writes go to their own schema: the dashboard's numbers never change."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from db import bench
from db.pool import get_pool
from ui.charts import SPOTIFY_GREEN

RESULT_KEY = "stress_test_result"


def panel() -> None:
    with st.expander("Stress test", icon="🏋️", expanded=RESULT_KEY in st.session_state):
        st.caption("Overlapping writers upsert one snapshot row through the shared connection "
                   "pool, as the earlier app's test_concurrent.py did. Your history is not "
                   "touched.")
        max_workers = get_pool().max_size
        writes = st.number_input("Writes", min_value=1, max_value=bench.MAX_WRITES, value=500,
                                 step=100, key="stress_writes")
        workers = st.number_input("Workers", min_value=1, max_value=max_workers,
                                  value=min(10, max_workers), key="stress_workers",
                                  help=f"Threads sharing the pool (at most its size, {max_workers}).")
        compare = st.checkbox("Also run it on SQLite", value=True, key="stress_sqlite")
        if st.button("Run stress test", type="primary", width="stretch", key="stress_run"):
            _run(int(writes), int(workers), compare)
        if RESULT_KEY in st.session_state:
            _show(*st.session_state[RESULT_KEY])


def _run(writes: int, workers: int, compare: bool) -> None:
    bar = st.progress(0.0, text="PostgreSQL…")

    def progress(label):
        return lambda done, total: bar.progress(done / total, text=f"{label}: {done:,} / {total:,}")

    try:
        result = bench.run_benchmark(writes, workers, progress=progress("PostgreSQL"))
        others = []
        if compare:
            for timeout in (5.0, 0.0):
                others.append(bench.run_sqlite_benchmark(
                    writes, workers, timeout, progress(f"SQLite, {timeout:g} s busy timeout")))
    except bench.BenchmarkBusy:
        st.warning("A benchmark is already running on this database; try again in a moment.")
        return
    finally:
        bar.empty()
    st.session_state[RESULT_KEY] = (result, others)


def _show(result: bench.BenchmarkResult, others: list[bench.BenchmarkResult]) -> None:
    if result.failures:
        st.error(f"{result.summary_line}, {result.failures:,} failed", icon="⚠️")
        for message, count in result.errors.items():
            st.text(f"{count:,} × {message}")
    else:
        st.success(result.summary_line, icon="✅")
    if result.final_rank_valid is False:  # the writes' end state: exactly one row for the key
        st.error(f"After the run the benchmark key has {result.rows_for_key} rows (expected one "
                 "row with a rank the writers wrote).", icon="⚠️")
    cards = st.columns(2)
    cards[0].metric("Failures", f"{result.failures:,}")
    cards[1].metric("Writes/s", f"{result.writes_per_s:,.0f}")
    # One line per engine: it wraps to the sidebar's width, where a table would scroll.
    for engine in [result, *others]:
        st.markdown(f"**{_short(engine)}** · {_line(engine)}")
    if others:
        st.caption("SQLite 5s: Python's default busy timeout, a writer waits up to 5 s for the "
                   "lock; SQLite 0s: no busy timeout.")
    histogram = px.histogram(pd.DataFrame({"latency (ms)": result.latencies_ms}),
                             x="latency (ms)", nbins=30, title="PostgreSQL write latency",
                             color_discrete_sequence=[SPOTIFY_GREEN])
    histogram.update_layout(height=220, margin={"t": 40, "l": 8, "r": 8, "b": 8},
                            yaxis_title="writes")
    st.plotly_chart(histogram, width="stretch")
    if others:
        waiting, failing = others
        st.caption(
            f"SQLite keeps up on one machine when its writers may wait: with a busy timeout, "
            f"{waiting.successes:,} of {waiting.writes:,} writes landed, the slowest after "
            f"{waiting.max_ms:,.0f} ms in line for the file's single write lock; without one, "
            f"{failing.failures:,} failed with “database is locked”. A PostgreSQL server takes "
            f"writes from many processes and machines at once, which a deployed app with "
            f"several replicas needs and a file on one disk cannot give.")
    st.caption(f"Pool: {result.pool.get('requests_queued', 0):,} of "
               f"{result.pool.get('requests_num', 0):,} borrows waited for a connection.")


def _short(result: bench.BenchmarkResult) -> str:
    if result.engine == "PostgreSQL":
        return "PostgreSQL"
    return "SQLite 0s" if result.engine.endswith(" 0 s)") else "SQLite 5s"


def _line(result: bench.BenchmarkResult) -> str:
    return (f"{result.successes:,} of {result.writes:,} landed, {result.failures:,} failed · "
            f"{result.writes_per_s:,.0f} writes/s · latency p50 {result.p50_ms:.1f} · "
            f"p95 {result.p95_ms:.1f} · p99 {result.p99_ms:.1f} · max {result.max_ms:.1f} ms")
