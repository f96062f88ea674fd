"""The app keeps working when the database misbehaves: a restart mid-session, a server stopped
mid-session and back, callers told at once while it is down, a failing query (test_dashboard_page.py), an
unreachable server at start (test_dashboard_page.py, test_cli.py), a database far away and asleep
(test_remote_database.py), reads that would hang (test_read_limits.py)."""

import datetime as dt
import threading

import pytest
import streamlit as st

from db import pool as db_pool
from db.errors import DatabaseUnavailable
from db.ingest import demo

from support.apptest import app_test
from support.waits import wait_until

END = demo.dt.date(2026, 6, 30)


def test_server_restart_mid_session_the_next_interaction_works(own_server):
    st.cache_data.clear()
    st.cache_resource.clear()
    at = app_test()
    at.run()
    demo.seed_demo(tracks=120, days=8, seed=2, end=END)
    st.cache_data.clear()
    at.run()
    before = {m.label: m.value for m in at.metric}
    assert before["Tracks"] == "120"

    own_server("restart")  # every pooled connection dies with the old server process

    st.cache_data.clear()  # make the next interaction ask the database again
    at.selectbox(key="time_range").set_value("long_term").run()
    at.selectbox(key="time_range").set_value("all").run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric} == before
    st.cache_data.clear()
    st.cache_resource.clear()


def test_database_stopped_mid_session_one_box_then_back_by_itself(own_server, app):
    at = app.run()
    demo.seed_demo(tracks=120, days=8, seed=2, end=END)
    st.cache_data.clear()
    at.run()
    before = {m.label: m.value for m in at.metric}
    assert before["Tracks"] == "120"

    own_server("stop")
    at.selectbox(key="time_range").set_value("long_term").run()
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]  # one box, not one per section
    assert at.error[0].value.startswith("Cannot reach")
    assert any("server is running" in md.value for md in at.markdown)
    at.run()  # a reload while it is still down
    assert not at.exception and len(at.error) == 1

    own_server("start")
    wait_until(lambda: not at.run().error,
               lambda: f"still down: {[e.value for e in at.error]}", every_s=0.2)
    assert not at.exception and not at.error, [e.value for e in at.error]
    # The filter in force when it went down (the change that found it down never applied).
    assert {m.label: m.value for m in at.metric} == before
    assert at.selectbox(key="time_range").value == "all"


def test_a_session_that_survives_an_outage_keeps_its_filter(own_server, app):
    app.query_params.update({"start": "2026-06-25", "end": "2026-06-30"})
    at = app.run()  # migrates the new server
    demo.seed_demo(tracks=60, days=8, seed=2, end=END)
    st.cache_data.clear()
    at.run()
    assert at.query_params["start"] == "2026-06-25"
    own_server("stop")
    at.run()
    own_server("start")
    wait_until(lambda: not at.run().error,
               lambda: f"still down: {[e.value for e in at.error]}", every_s=0.2)
    assert not at.error and at.date_input(key="dates").value == (dt.date(2026, 6, 25), END)


def test_while_down_callers_are_told_at_once_and_one_asks_again(own_server, monkeypatch):
    monkeypatch.setattr(db_pool, "PROBE_EVERY_S", 3600)  # every call below is within one window
    db_pool.get_pool()
    own_server("stop")
    with pytest.raises(DatabaseUnavailable):
        db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
    asked = []
    real_check = db_pool.check_reachable

    def counting(*args, **kwargs):
        asked.append(1)
        return real_check(*args, **kwargs)

    db_pool.check_reachable = counting
    try:
        for _ in range(20):  # within PROBE_EVERY_S of the last question: no new connection
            with pytest.raises(DatabaseUnavailable):
                db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
    finally:
        db_pool.check_reachable = real_check
    assert len(asked) <= 1


def test_threads_of_many_sessions_share_one_outage(own_server):
    db_pool.get_pool()
    own_server("stop")
    errors: list[BaseException] = []

    def view() -> None:
        try:
            db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=view) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 10 and all(isinstance(e, DatabaseUnavailable) for e in errors)
