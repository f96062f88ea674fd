"""The time machine's pages (issue #11) in AppTest, on data built for the test, each checked
against an independent reading of the same rows (semantics.py)."""

import json

import pytest

from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support import semantics
from support.apptest import app_test, metrics, open_page, shown_text
from support.browser import plotly_values
from support.time_machine_data import MT, SNAPSHOTS, ST, TRACKS, D


@pytest.fixture
def time_machine_lists(use_database):
    """The time machine's seven tracks and fifteen ranks (support/time_machine_data.py), stored."""
    save_tracks(TRACKS)
    save_snapshots(SNAPSHOTS)


def table(at, index=0):
    return at.dataframe[index].value


# --- Time machine ---------------------------------------------------------------------------

@pytest.mark.parametrize("date", [D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4),
                                  D(2026, 12, 31)])
def test_the_list_on_a_date_with_its_movement_and_turnover(app, time_machine_lists, date):
    at = open_page(app, "time_machine", date=date.isoformat(), time_range=ST)
    day, ranks = semantics.list_on(SNAPSHOTS, date, ST)
    shown = table(at)
    assert dict(zip(shown["track_id"], shown["rank"], strict=True)) == ranks
    assert dict(zip(shown["track_id"], shown["movement"], strict=True)) == \
        semantics.movement(SNAPSHOTS, date, ST)
    moved = semantics.movement(SNAPSHOTS, date, ST)
    new_or_back = sum(label in ("new", "back") for label in moved.values())
    expected = "—" if day == D(2026, 3, 1) else f"{new_or_back / len(moved):.0%}"
    assert metrics(at)["Turnover"] == expected
    assert f"the list of {day}" in shown_text(at, "caption")
    assert at.query_params["date"] == date.isoformat()


def test_back_after_a_gap_and_new_are_told_apart(app, time_machine_lists):
    at = open_page(app, "time_machine", date="2026-03-04", time_range=ST)
    moves = dict(zip(table(at)["track_id"], table(at)["movement"], strict=True))
    assert moves == {"tA": "▲ 1", "tB": "▼ 1", "tD": "back", "tF": "new"}
    assert metrics(at)["New"] == "1"
    assert metrics(at)["Back"] == "1"


@pytest.mark.parametrize(("date", "window", "start"), [
    ("2026-03-04", "all", D(2000, 1, 1)),
    ("2026-03-04", "28", D(2026, 2, 5)),
    ("2026-03-30", "28", D(2026, 2, 5)),  # the window ends at the list shown (March 4)
])
def test_the_most_consistent_artist(app, time_machine_lists, date, window, start):
    at = open_page(app, "time_machine", date=date, time_range=ST, window=window)
    artists = table(at, 1)
    expected = semantics.consistent_artists(TRACKS, SNAPSHOTS, ST, start, D(2026, 3, 4))
    assert list(zip(artists["artist"], artists["days"], strict=True)) == expected[:5]


def test_an_unknown_window_gives_a_hint(app, time_machine_lists):
    at = open_page(app, "time_machine", window="7")
    assert "Unknown window '7'" in shown_text(at, "warning")
    assert at.query_params["window"] == "182"


def test_a_date_before_the_first_list_says_when_it_starts(app, time_machine_lists):
    at = open_page(app, "time_machine", date="2026-02-01", time_range=MT)
    assert "No medium term (about 6 months) list on or before 2026-02-01: the first one is " \
           "dated 2026-03-01" in shown_text(at, "info")
    assert not at.dataframe


def test_time_machine_on_an_empty_database(app, use_database):
    at = open_page(app, "time_machine")
    assert "No short term (about 4 weeks) lists yet" in shown_text(at, "info")


# --- Compare --------------------------------------------------------------------------------

def test_two_dates_compared(app, time_machine_lists):
    at = open_page(app, "compare", a="2026-03-01", b="2026-03-04", time_range=ST)
    a = semantics.list_on(SNAPSHOTS, D(2026, 3, 1), ST)[1]
    b = semantics.list_on(SNAPSHOTS, D(2026, 3, 4), ST)[1]
    expected = semantics.compare(a, b)
    shown = metrics(at)
    assert shown["Entered"] == str(len(expected["entered"]))
    assert shown["Dropped"] == str(len(expected["dropped"]))
    movers, entered, dropped = (table(at, i) for i in range(3))
    assert dict(zip(movers["track_id"], movers["change"], strict=True)) == expected["movers"]
    assert set(entered["track_id"]) == expected["entered"]
    assert set(dropped["track_id"]) == expected["dropped"]


def test_two_periods_compared_with_their_mix(app, time_machine_lists):
    at = open_page(app, "compare", a="2026-03-01..2026-03-02", b="2026-03-03..2026-03-04",
                   time_range=ST)
    a = semantics.best_in_period(SNAPSHOTS, D(2026, 3, 1), D(2026, 3, 2), ST)
    b = semantics.best_in_period(SNAPSHOTS, D(2026, 3, 3), D(2026, 3, 4), ST)
    expected = semantics.compare(a, b)
    movers, entered = table(at, 0), table(at, 1)
    assert dict(zip(movers["track_id"], movers["change"], strict=True)) == expected["movers"]
    assert set(entered["track_id"]) == expected["entered"]
    assert expected["dropped"] == set()
    assert "Nothing in A that is not in B." in shown_text(at, "caption")
    by_id = {t["id"]: t for t in TRACKS}
    for index, side in ((0, a), (1, b)):  # decades chart: a bar trace per side
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        trace = spec["data"][index]
        counted = semantics.decades([by_id[t] for t in side])
        assert {x: y for x, y in zip(trace["x"], plotly_values(trace["y"]), strict=True)
                if y} == counted
    explicit = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][1]
    assert {x: y for x, y in zip(explicit["x"], plotly_values(explicit["y"]), strict=True)
            if y} == semantics.explicit([by_id[t] for t in b])


def test_a_date_compared_with_a_period_is_refused_with_a_hint(app, time_machine_lists):
    at = open_page(app, "compare", a="2026-03-01", b="2026-03-03..2026-03-04")
    assert "compares a date with a period" in shown_text(at, "warning")


def test_compare_on_an_empty_database(app, use_database):
    at = open_page(app, "compare")
    assert "Neither side has any lists" in shown_text(at, "info")


# --- Rank history ---------------------------------------------------------------------------

def test_rank_history_has_gaps_where_a_track_was_off_the_list(app, time_machine_lists):
    at = open_page(app, "history", tracks="tD,tA", time_range=ST)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["autorange"] == "reversed"  # rank 1 at the top
    lines = {trace["name"]: list(zip(trace["x"], trace["y"], strict=True))
             for trace in spec["data"]}
    for tid, name in (("tD", "Delta"), ("tA", "Alpha Song")):
        expected = [(d.isoformat(), r) for d, r in semantics.rank_series(SNAPSHOTS, tid, ST)]
        assert lines[name] == expected
    assert (D(2026, 3, 3).isoformat(), None) in lines["Delta"]  # the gap


def test_rank_history_one_line_per_time_range(app, time_machine_lists):
    at = open_page(app, "history", tracks="tA", time_range="all")
    names = sorted(t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"])
    assert names == ["Alpha Song · medium term", "Alpha Song · short term"]


def test_rank_history_names_are_chart_text_not_html(app, time_machine_lists):
    at = open_page(app, "history", tracks="tE", time_range=ST)
    names = [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert names == ["Epsilon &lt;b&gt;bold&lt;/b&gt;"]


def test_rank_history_link_with_bad_ids(app, time_machine_lists):
    at = open_page(app, "history", tracks="tA,<script>,nope", time_range=ST)
    assert "'<script>' in the link is not a track id" in shown_text(at, "warning")
    assert "1 track(s) in the link are not in the library" in shown_text(at, "warning")
    assert at.multiselect[0].value == ["tA"]


def test_rank_history_on_an_empty_database(app, use_database):
    at = open_page(app, "history")
    assert "No track has been on a list yet" in shown_text(at, "info")


# --- Tracks: search, track view, explorer ---------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("song", ["tA", "tB"]),           # best rank first
    ("XAVI", ["tA", "tB", "tG"]),     # artist names, any case; charted first, then the library
    ("amm", ["tC"]),                  # any part of a charted track's name
    ("駆け", ["tF"]),                  # any Unicode
    ("never", ["tG"]),                # the library, by the start of a word
    ("ever", []),                     # ...not the middle of an uncharted one
    ("50%_", []),                     # LIKE's wildcards are literal
    ("zoë", ["tE"]),
])
def test_search(app, time_machine_lists, query, expected):
    at = open_page(app, "tracks", q=query)
    if not expected:
        assert "No track or artist name matches" in shown_text(at, "caption")
        return
    assert table(at)["track_id"].tolist() == expected


def test_a_search_link_is_length_limited(app, time_machine_lists):
    at = open_page(app, "tracks", q="x" * 5000)
    assert "5,000 characters long; using the first 100" in shown_text(at, "warning")
    assert at.text_input[0].value == "x" * 100


def test_track_view_shows_what_the_payload_holds(app, time_machine_lists):
    at = open_page(app, "tracks", track="tA")
    facts = dict(zip(table(at)[""], table(at)["value"], strict=True))
    assert facts == {"Artists": "Xavi", "Album": "First", "Album type": "single",
                     "Released": "1987-05-01 (to the day)", "Explicit": "yes",
                     "Duration": "3:21", "ISRC": "USABC8700001", "Track id": "tA"}
    summary = table(at, 1)
    assert dict(zip(summary["time_range"], summary["best_rank"], strict=True)) == {ST: 1, MT: 1}
    assert at.get("link_button")[0].proto.url == "https://open.spotify.com/track/tA"
    assert json.loads(at.json[0].proto.body)["external_ids"]["isrc"] == "USABC8700001"


def test_track_view_of_a_sparse_payload(app, time_machine_lists):
    at = open_page(app, "tracks", track="tE")
    facts = dict(zip(table(at)[""], table(at)["value"], strict=True))
    assert facts["Released"] == "Unknown" and facts["Album"] == "—"
    assert "Never on a list" not in shown_text(at, "caption")  # it was on one
    at = open_page(app_test(), "tracks", track="tG")  # a link opens a new session
    assert "Never on a list." in shown_text(at, "caption")


def test_an_unknown_track(app, time_machine_lists):
    at = open_page(app, "tracks", track="nope")
    assert "No track with this id" in shown_text(at, "warning")


def has(track, question):
    album = track.get("album") if isinstance(track.get("album"), dict) else {}
    return {
        "explicit": track.get("explicit") is True,
        "clean": track.get("explicit") is False,
        "single": album.get("album_type") == "single",
        "compilation": album.get("album_type") == "compilation",
        "year_precision": album.get("release_date_precision") == "year",
        "has_isrc": "isrc" in (track.get("external_ids") or {}),
        "has_popularity": "popularity" in track,
        "no_album": "album" not in track,
        "no_explicit": "explicit" not in track,
    }[question]


@pytest.mark.parametrize("questions", [("explicit",), ("clean",), ("single", "clean"),
                                       ("compilation",), ("year_precision",), ("has_isrc",),
                                       ("has_popularity",), ("no_album",), ("no_explicit",),
                                       ("explicit", "no_album")])
def test_explorer(app, time_machine_lists, questions):
    at = open_page(app, "tracks", explore=",".join(questions))
    expected = {t["id"] for t in TRACKS if all(has(t, q) for q in questions)}
    code = at.code[0].value
    assert all(f"%({q})s" in code for q in questions)  # the statement shown, parameterized
    if not expected:
        assert "No track matches" in shown_text(at, "caption")
        return
    assert set(table(at)["track_id"]) == expected
    matches = "1 track matches" if len(expected) == 1 else f"{len(expected):,} tracks match"
    assert matches in shown_text(at, "caption")


def test_tracks_page_on_an_empty_database(app, use_database):
    at = open_page(app, "tracks", q="anything")
    assert "No track or artist name matches" in shown_text(at, "caption")
