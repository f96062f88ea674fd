"""The Streamlit app, run headless with AppTest against a real database."""

import json
import socket
from collections import Counter

import pytest
import streamlit as st
from conftest import ROOT, plotly_values
from streamlit.testing.v1 import AppTest

from db import demo
from db.tracks import save_tracks

END = demo.dt.date(2026, 6, 30)


@pytest.fixture
def app():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    st.cache_data.clear()
    st.cache_resource.clear()


def metrics(at):
    return {m.label: m.value for m in at.metric}


def chart(at, title):
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title):
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def expected_decades(tracks):
    def decade(t):
        date_ = t.get("album", {}).get("release_date")
        if isinstance(date_, str) and date_[:4].isdigit() and date_[:4] != "0000":
            return f"{int(date_[:4]) // 10 * 10}s"
        return "Unknown"
    return Counter(decade(t) for t in tracks)


def test_demo_database_shows_metrics_chart_and_says_it_is_demo(app, use_database):
    demo.seed_demo(tracks=400, days=30, seed=11, end=END)
    at = app.run()
    assert not at.exception
    assert metrics(at) == {"Tracks": "400", "Snapshot days": "30",
                           "Artists": metrics(at)["Artists"], "Latest snapshot": "2026-06-30"}
    assert any("demo data" in info.value for info in at.info)

    spec = chart(at, "Release decades")
    bars = spec["data"][0]
    expected = expected_decades(demo.generate_tracks(400, seed=11))
    assert dict(zip(bars["x"], plotly_values(bars["y"]), strict=True)) == expected
    labels = list(bars["x"])
    assert labels[-1] == "Unknown" and labels[:-1] == sorted(labels[:-1])
    assert bars["marker"]["color"] == "#1DB954"


def test_a_users_own_data_is_not_called_demo(app, use_database):
    save_tracks(demo.generate_tracks(10, seed=2))
    at = app.run()
    assert metrics(at)["Tracks"] == "10"
    assert not any("demo data" in info.value for info in at.info)


def test_empty_database_is_friendly(app, use_database):
    at = app.run()
    assert not at.exception
    assert metrics(at)["Tracks"] == "0" and metrics(at)["Snapshot days"] == "0"
    assert metrics(at)["Latest snapshot"] == "—"
    assert any("No tracks yet" in info.value for info in at.info)


def test_unreachable_database_shows_what_to_set(app, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://me:hunter2@127.0.0.1:{port}/music")
    at = app.run()
    assert not at.exception
    message = at.error[0].value
    assert "The database is not available" in message and "me:***@127.0.0.1" in message
    assert any("DATABASE_URL" in md.value for md in at.markdown)
    page_text = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption])
    assert "hunter2" not in page_text
