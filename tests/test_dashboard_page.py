"""The Streamlit app, run headless with AppTest against a real database."""

import datetime as dt
import socket

import pytest

from db.ingest import demo
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support import semantics
from support.apptest import bars, chart, metrics, pie, values

END = dt.date(2026, 6, 30)  # demo_data's last day (tests/conftest.py's demo_spec)


def assert_matches(at, tracks, snapshots, start=None, end=None, time_range=None):
    chosen = semantics.selected(tracks, snapshots, start, end, time_range)
    shown = metrics(at)
    assert shown["Tracks"] == f"{len(chosen):,}"
    assert shown["Snapshot days"] == str(semantics.snapshot_days(snapshots, start, end, time_range))
    assert bars(at, "Release decades") == semantics.decades(chosen)
    assert bars(at, "Release years") == semantics.years(chosen)
    assert pie(at, "Explicit vs clean") == semantics.explicit(chosen)


def test_unfiltered_demo_dashboard(app, demo_data):
    at = app.run()
    assert not at.exception
    assert_matches(at, *demo_data)
    assert metrics(at)["Latest snapshot"] == "2026-06-30"
    assert any("demo data" in text for text in values(at, "info"))
    decades = list(bars(at, "Release decades"))
    assert decades[-1] == "Unknown" and decades[:-1] == sorted(decades[:-1])
    years = list(bars(at, "Release years"))
    assert years[:-1] == sorted(years[:-1], reverse=True)
    colors = chart(at, "Release decades")["data"][0]["marker"]["color"]
    assert colors == ["#1DB954"] * (len(decades) - 1) + ["#9E9E9E"]  # Unknown in grey
    assert at.query_params == {}


def test_link_sets_the_filter(app, demo_data):
    start, end = dt.date(2026, 6, 10), dt.date(2026, 6, 20)
    at = app
    at.query_params["start"] = start.isoformat()
    at.query_params["end"] = end.isoformat()
    at.query_params["time_range"] = "short_term"
    at.run()
    assert not at.exception
    assert at.selectbox(key="time_range").value == "short_term"
    assert at.date_input(key="dates").value == (start, end)
    assert at.selectbox(key="preset").value == "Custom range"
    assert_matches(at, *demo_data, start, end, "short_term")


@pytest.mark.parametrize("params", [
    {"start": "2026-99-01", "end": "2026-06-20"},
    {"start": "2026-06-20"},
    {"start": "2026-06-20", "end": "2026-06-01"},
    {"time_range": "eternal"},
])
def test_a_bad_link_gives_a_hint_not_an_exception(app, demo_data, params):
    for key, value in params.items():
        app.query_params[key] = value
    at = app.run()
    assert not at.exception
    assert any("link" in text for text in values(at, "warning"))
    assert_matches(at, *demo_data)  # the bad part is left off: all time, all ranges


def test_presets_and_time_range_drive_the_url(app, demo_data):
    at = app.run()
    at.selectbox(key="preset").set_value("Last 4 weeks").run()
    assert not at.exception
    start = END - dt.timedelta(days=27)
    assert at.query_params["start"] == start.isoformat()
    assert at.query_params["end"] == END.isoformat()
    assert_matches(at, *demo_data, start, END)
    assert at.selectbox(key="time_range").value == "all"
    at.selectbox(key="time_range").set_value("long_term").run()
    assert at.query_params["time_range"] == "long_term"
    assert_matches(at, *demo_data, start, END, "long_term")
    at.selectbox(key="preset").set_value("All time").run()
    assert "start" not in at.query_params
    assert_matches(at, *demo_data, None, None, "long_term")


def test_half_picked_range_shows_hint_and_keeps_the_last_range(app, demo_data):
    at = app.run()
    at.date_input(key="dates").set_value((dt.date(2026, 6, 5), dt.date(2026, 6, 9))).run()
    assert at.selectbox(key="preset").value == "Custom range"
    at.date_input(key="dates").set_value((dt.date(2026, 6, 12),)).run()
    assert not at.exception
    assert any("Pick an end date" in text for text in values(at, "info"))
    assert_matches(at, *demo_data, dt.date(2026, 6, 5), dt.date(2026, 6, 9))


def test_a_period_with_no_snapshots_is_an_honest_empty_state(app, demo_data):
    app.query_params["start"] = "2020-01-01"
    app.query_params["end"] = "2020-12-31"
    at = app.run()
    assert not at.exception
    assert metrics(at)["Tracks"] == "0"
    assert any("No tracks charted in this period" in text for text in values(at, "info"))
    assert not at.get("plotly_chart")


def test_names_are_shown_as_text(app, use_database):
    name = "<img src=x onerror=alert(1)> **bold** _it_"
    save_tracks([{"id": "x1", "name": name, "artists": [{"name": "<b>Artist</b>"}],
                  "album": {"name": "[link](http://example.com)", "release_date": "2001"}}])
    save_snapshots([("x1", END, "short_term", 1)])
    at = app.run()
    table = at.dataframe[0].value
    assert list(table["track"]) == [name] and list(table["artist"]) == ["<b>Artist</b>"]
    rendered = " ".join(values(at, "markdown") + values(at, "info") + values(at, "caption"))
    assert "onerror" not in rendered and "<b>Artist</b>" not in rendered


def test_a_missing_artist_or_album_shows_a_dash(app, use_database):
    save_tracks([{"id": "local1", "name": "Voice memo", "artists": []},
                 {"id": "full1", "name": "Song", "artists": [{"name": "Band"}],
                  "album": {"name": "Record", "release_date": "1999"}}])
    save_snapshots([("local1", END, "short_term", 1), ("full1", END, "short_term", 2)])
    table = app.run().dataframe[0].value
    assert table[["track", "artist", "album"]].values.tolist() == [
        ["Voice memo", "—", "—"], ["Song", "Band", "Record"]]


def test_a_users_own_data_is_not_called_demo(app, use_database):
    save_tracks(demo.generate_tracks(10, seed=2))
    at = app.run()
    assert metrics(at)["Tracks"] == "10"
    assert not any("demo data" in text for text in values(at, "info"))


def test_empty_database_is_friendly(app, use_database):
    at = app.run()
    assert not at.exception
    assert metrics(at)["Tracks"] == "0" and metrics(at)["Snapshot days"] == "0"
    assert metrics(at)["Latest snapshot"] == "—" and metrics(at)["Share explicit"] == "—"
    assert any("No tracks yet" in text for text in values(at, "info"))
    assert any("No snapshots yet" in text for text in values(at, "caption"))


def test_a_link_with_a_period_on_an_empty_database_says_what_to_do(app, use_database):
    app.query_params.update({"start": "2026-01-01", "end": "2026-01-31"})
    at = app.run()
    assert not at.exception and metrics(at)["Tracks"] == "0"
    assert any("No tracks yet" in text for text in values(at, "info"))
    assert not any("wider date range" in text for text in values(at, "info"))


def test_unreachable_database_shows_what_to_set(app, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://me:hunter2@127.0.0.1:{port}/music")
    at = app.run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "").replace("\u2060", "")
    assert message == ("Cannot reach PostgreSQL at 127.0.0.1: the server refused the connection "
                       "(is it running?).")
    assert any("DATABASE_URL" in md for md in values(at, "markdown"))
    shown = " ".join(values(at, "error") + values(at, "markdown"))
    # Visitors learn the host, not the password, the user, the port or the database's name.
    assert "hunter2" not in shown and str(port) not in shown and "music" not in shown


def test_one_failing_query_leaves_the_rest_of_the_page_standing(app, demo_data, use_database):
    import psycopg

    with psycopg.connect(use_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE chart_totals RENAME TO chart_totals_gone")  # breaks one query
    at = app.run()
    assert not at.exception
    assert any("Could not load the top tracks" in text for text in values(at, "error"))
    tracks, snapshots = demo_data
    assert_matches(at, tracks, snapshots)  # metrics and all three charts still drawn
    with psycopg.connect(use_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE chart_totals_gone RENAME TO chart_totals")
    at.run()  # the next interaction asks again: nothing failed was cached
    assert not at.error and len(at.dataframe) == 1
