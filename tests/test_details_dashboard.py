"""The dashboard says what it does not know yet (issue #24): tracks known only from plays count as
"No details yet", apart from "Unknown" (a Spotify object without the field, or a track Spotify no
longer has), and a notice says how many, what fills them and links to the Data page; once the
details arrive the notice goes and the charts show decades. AppTest against a real database."""

from __future__ import annotations

import datetime as dt

import pytest

from db.ingest.spotify import budget
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support.apptest import bars, chart, pie, values
from support.fake_spotify import track

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def library(use_database, conn):
    """Two tracks with objects (one without release date or flag), three known only from plays,
    one Spotify no longer has; all but the first on the list of DAY."""
    save_tracks([track(1), {"id": track(2)["id"], "name": "Bare", "type": "track"}])
    for n in (3, 4, 5, 6):
        conn.execute("INSERT INTO tracks (track_id, name, not_on_spotify) VALUES (%s, %s, %s)",
                     (track(n)["id"], f"Export name {n}", n == 6))
    save_snapshots([(track(n)["id"], DAY, "short_term", rank)
                    for rank, n in enumerate((2, 3, 4, 6), start=1)])
    return conn


def notice(at) -> str:
    return " ".join(values(at, "info"))


def test_tracks_without_details_are_told_apart_from_unknown(app, library):
    at = app.run()
    assert not at.exception
    assert bars(at, "Release decades") == {"1970s": 1, "Unknown": 2, "No details yet": 3}
    assert bars(at, "Release years") == {"1971": 1, "Unknown": 2, "No details yet": 3}
    assert pie(at, "Explicit vs clean") == {"Clean": 1, "Unknown": 2, "No details yet": 3}
    colors = chart(at, "Release decades")["data"][0]["marker"]["color"]
    assert colors == ["#1DB954", "#9E9E9E", "#CFD8DC"]
    days = budget.days_for(3, budget.DEFAULT_DAILY)
    assert "3 of the 6 tracks here have no details yet." in notice(at)
    assert "in all are waiting" not in notice(at)  # the period is all time
    assert f"that takes about {days} day" in notice(at)
    assert [link.proto.page for link in at.get("page_link")][-1] == "data"


def test_a_period_counts_its_own_tracks_without_details(app, library):
    at = app
    at.query_params.update(start=DAY.isoformat(), end=DAY.isoformat())
    at.run()
    assert bars(at, "Release decades") == {"Unknown": 2, "No details yet": 2}
    assert "2 of the 4 tracks here have no details yet." in notice(at)
    assert "3 tracks in all are waiting" in notice(at)


def test_once_the_details_arrive_the_notice_goes_and_decades_show(app, library):
    assert "no details yet" in notice(app.run())
    save_tracks([track(3), track(4), track(5)])  # as enrichment writes them
    at = app.run()
    assert not values(at, "info") and not at.get("page_link")
    assert bars(at, "Release decades") == {"1970s": 4, "Unknown": 2}


def test_lists_say_no_details_yet_where_the_flag_is_still_to_come(app, library):
    at = app
    at.run()
    at.switch_page("pages/time_machine.py").run()
    assert not at.exception
    top = at.dataframe[0].value
    assert dict(zip(top["track"], top["explicit"], strict=True)) == {
        "Bare": "—", "Export name 3": "no details yet", "Export name 4": "no details yet",
        "Export name 6": "—"}  # Spotify no longer has it: unknown, not awaited
    assert "awaiting" not in top.columns
