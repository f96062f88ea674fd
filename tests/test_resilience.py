"""The app keeps working when the database misbehaves: a restart mid-session, a failing query
(test_app.py), an unreachable server at start (test_app.py, test_cli.py)."""

import streamlit as st

from db.ingest import demo

from support.apptest import app_test

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
