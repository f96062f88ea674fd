"""A database far away and asleep, as hosted ones are: every page from a link costs at most two
round trips on a first view and one on a view again, and a database that suspends and wakes costs
a visitor no error box. Round trips are counted by a TCP proxy in front of the server
(tests/support/delay_proxy.py), which delays each one so that statements sent together are
never counted apart."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st

from db import config
from db import pool as db_pool
from db.ingest import demo, streaming_history
from db.model import access

from support import history_export as export
from support.apptest import app_test
from support.delay_proxy import DelayProxy

END = dt.date(2026, 11, 30)
DELAY_S = 0.2  # far more than the client takes between the writes of one pipeline
# Round trips at most. Issue #25 asks for 3 and 1; every page holds 2 on a first view (the data
# version with the page's first questions, then the rest), which keeps 100 ms under 0.3 s.
FIRST_VIEW, AGAIN = 2, 1


@pytest.fixture(scope="module")
def far_database(server_url, template_db, tmp_path_factory):
    """A database with lists, tracks and plays, reached through a delaying proxy."""
    from support.databases import create_database, drop_database, url_for

    name = create_database(server_url, template_db)
    url = url_for(server_url, name)
    folder = tmp_path_factory.mktemp("export")
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    try:
        demo.seed_demo(tracks=300, days=120, end=END)
        streaming_export = export.generate(7, plays=600, start=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
        streaming_history.import_history(
            [str(export.write_folder(export.files(streaming_export), folder / "export"))],
            access.operator())
    finally:
        db_pool.close_pool()
        config.reset()  # the app resolves its database anew: through the proxy
        mp.undo()
    with DelayProxy.to(url, DELAY_S) as proxy:
        yield proxy, proxy.url(url), streaming_export
    drop_database(server_url, name)


def links(streaming_export) -> dict[str, tuple[str, dict]]:
    """PAGES' links."""
    track = streaming_export.tracks[0]
    return {
        "dashboard": ("pages/dashboard.py", {"start": str(END - dt.timedelta(days=364)),
                                             "end": str(END)}),
        "time machine": ("pages/time_machine.py", {"date": str(END),
                                                   "time_range": "short_term"}),
        "compare": ("pages/compare.py", {"a": str(END - dt.timedelta(days=28)), "b": str(END),
                                         "time_range": "short_term"}),
        "rank history": ("pages/history.py", {"time_range": "all"}),
        "listening": ("pages/listening.py", {}),
        "listening, top tracks": ("pages/listening.py", {"view": "tracks"}),
        "tracks, a search": ("pages/tracks.py", {"q": "a"}),
        "a track": ("pages/tracks.py", {"track": track.id}),
        "an artist": ("pages/tracks.py", {"artist": track.artist}),
        "year in review": ("pages/recap.py", {}),
        "data": ("pages/data.py", {}),
    }


def view(proxy: DelayProxy, page: str, params: dict) -> tuple[int, object]:
    """Open ``page`` from a link in a new session; the round trips it made, and the session."""
    at = app_test()
    for key, value in params.items():
        at.query_params[key] = value
    if page != "pages/dashboard.py":
        at.switch_page(page)
    before = proxy.round_trips
    at.run()
    return proxy.round_trips - before, at


def shown_whole(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def far_app(far_database, monkeypatch):
    proxy, url, streaming_export = far_database
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MTM_TIMEZONE", "UTC")
    st.cache_data.clear()
    view(proxy, "pages/dashboard.py", {})  # the process has its pool open, as a served app has
    yield proxy, streaming_export
    st.cache_data.clear()


PAGES = ["dashboard", "time machine", "compare", "rank history", "listening",
         "listening, top tracks", "tracks, a search", "a track", "an artist", "year in review",
         "data"]


@pytest.mark.parametrize("name", PAGES)
def test_a_page_from_a_link_costs_three_round_trips_then_one(far_app, name):
    proxy, streaming_export = far_app
    page, params = links(streaming_export)[name]
    st.cache_data.clear()  # as after an import: every answer is asked anew
    first, at = view(proxy, page, params)
    shown_whole(at)
    again, at = view(proxy, page, params)
    shown_whole(at)
    assert first <= FIRST_VIEW and again <= AGAIN, (first, again)


def test_a_database_that_slept_costs_no_error_box(far_app):
    """Neon's free tier suspends after 5 idle minutes, dropping every connection; the next
    connection waits while it wakes. The pool's connections are all dead then: the view finds
    out without a round trip, waits for the wake once, and shows the page."""
    proxy, streaming_export = far_app
    page, params = links(streaming_export)["time machine"]
    proxy.suspend(wake_s=3)
    connections = proxy.connections
    _, at = view(proxy, page, params)
    shown_whole(at)
    assert at.title[0].value == "Time machine"
    assert at.dataframe, "the list is shown"
    assert proxy.connections > connections, "it did connect anew"
    _, at = view(proxy, page, params)
    shown_whole(at)


def test_a_failing_first_question_keeps_the_data_version(use_database, conn):
    """A page's first questions go with the data version; one that fails (a timeout, say) must
    not cost the run its version, or it would take answers cached before the last write."""
    from queries import core

    conn.execute("UPDATE data_version SET version = 41")

    def broken() -> None:
        core.frame("SELECT 1 / 0")

    assert core.sync_version((broken,)) == 41
    assert core.current_version() == 41
