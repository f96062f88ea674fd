"""The sidebar's stress test: the concurrent-write benchmark, run from the app, side by side
with SQLite. Its writes go to their own schema: the dashboard's numbers never change."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from db import config
from db.stress import runner, workload
from db.stress.runner import StressTestBusy
from ui.charts import SPOTIFY_GREEN
from ui.text import plain

RUN_KEY = "stress_test_run"  # the id of the run this session started
RESULT_KEY = "stress_test_result"
PANEL_KEY = "stress_test_open"
POLL_S = 0.5


def panel() -> None:
    """The stress test's expander; nothing at all when the app does not offer it."""
    if not config.stress_test_enabled():
        return
    # Drawn only while open (the expander reruns the page when it opens): its widgets would
    # otherwise load and render on every page view, for the few who open it.
    box = st.expander("Stress test", icon="🏋️", key=PANEL_KEY, on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption("Overlapping writers upsert one snapshot row through a connection pool of "
                   "their own, as the earlier app's test_concurrent.py did. Your history is not "
                   "touched, and viewers keep their connections.")
        writes = st.number_input("Writes", min_value=1, max_value=workload.MAX_WRITES, value=500,
                                 step=100, key="stress_writes")
        workers = st.number_input("Workers", min_value=1, max_value=workload.MAX_WORKERS,
                                  value=10, key="stress_workers",
                                  help="Threads sharing the stress test's pool, one connection "
                                       f"each (at most {workload.MAX_WORKERS}).")
        compare = st.checkbox("Also run it on SQLite", value=True, key="stress_sqlite")
        current = runner.background_run()
        running = current is not None and current.running
        if st.button("Run stress test", type="primary", width="stretch", key="stress_run",
                     disabled=running):
            try:
                current = runner.start_in_background(int(writes), int(workers), compare,
                                                     config.stress_test_cooldown())
            except StressTestBusy as exc:
                reason = str(exc)
                st.warning(plain(reason[:1].upper() + reason[1:]), icon="⏳")
            else:
                st.session_state[RUN_KEY] = current.id
                st.session_state.pop(RESULT_KEY, None)
                st.rerun()  # drawn again with the button disabled while the run lasts
        if running:
            _watch()
        else:
            _collect(current)
        if RESULT_KEY in st.session_state:
            _show(st.session_state[RESULT_KEY])


@st.fragment(run_every=POLL_S)
def _watch() -> None:
    """While a run lasts: its progress, redrawn every POLL_S without rerunning the page; then one
    whole rerun to draw the result. The run goes on whatever this session does meanwhile."""
    current = runner.background_run()
    if current is None or not current.running:
        st.rerun()
    if current.id != st.session_state.get(RUN_KEY):
        st.info("A stress test started in another session is running; try again when it is "
                "done.", icon="⏳")
        return
    share = current.done / current.total if current.total else 0.0
    st.progress(share, text=f"{current.stage}: {current.done:,} / {current.total:,}")


def _collect(current: runner.BackgroundRun | None) -> None:
    """Keep this session's finished run (another session may start the next)."""
    if current is not None and current.id == st.session_state.get(RUN_KEY):
        st.session_state[RESULT_KEY] = current
        del st.session_state[RUN_KEY]


def _show(finished: runner.BackgroundRun) -> None:
    if finished.error or finished.result is None:
        st.error(plain(finished.error or "the stress test ended without a result"), icon="⚠️")
        return
    result, others = finished.result.postgres, finished.result.sqlite
    if result.failures:
        st.error(f"{result.summary_line}, {result.failures:,} failed", icon="⚠️")
        for message, count in result.errors.items():
            st.text(f"{count:,} × {message}")  # the server's words: plain text
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


def _short(result: workload.BenchmarkResult) -> str:
    if result.engine == "PostgreSQL":
        return "PostgreSQL"
    return "SQLite 0s" if result.engine.endswith(" 0 s)") else "SQLite 5s"


def _line(result: workload.BenchmarkResult) -> str:
    return (f"{result.successes:,} of {result.writes:,} landed, {result.failures:,} failed · "
            f"{result.writes_per_s:,.0f} writes/s · latency p50 {result.p50_ms:.1f} · "
            f"p95 {result.p95_ms:.1f} · p99 {result.p99_ms:.1f} · max {result.max_ms:.1f} ms")
