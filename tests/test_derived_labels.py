"""Lists derived from the streaming history are labelled as such (issue #18): the time machine,
Compare, Rank history and the track view say which lists (and ranks) are derived, in a caption
and in a `source` column of the table and its CSV download; movement works across lists of
either source. AppTest on a real PostgreSQL, derived rows written as derivation writes them."""

from __future__ import annotations

import csv
import io
import json

import psycopg
import pytest

from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support.apptest import app_test, open_page
from support.time_machine_data import MT, ST, TRACKS, D

SPOTIFY, HISTORY = "Spotify", "Streaming history"
LABEL = "derived from your streaming history"

# Short term: Spotify's list on March 1, derived lists on March 2 and 3 (Spotify -> derived,
# derived -> derived), Spotify's again on March 4 (derived -> Spotify). Medium term: derived on
# March 1, Spotify's on March 3.
SPOTIFY_RANKS = [
    ("tA", D(2026, 3, 1), ST, 1), ("tB", D(2026, 3, 1), ST, 2), ("tC", D(2026, 3, 1), ST, 3),
    ("tA", D(2026, 3, 4), ST, 1), ("tD", D(2026, 3, 4), ST, 2), ("tF", D(2026, 3, 4), ST, 3),
    ("tE", D(2026, 3, 3), MT, 1),
]
DERIVED_RANKS = [
    ("tB", D(2026, 3, 2), ST, 1), ("tA", D(2026, 3, 2), ST, 2), ("tD", D(2026, 3, 2), ST, 3),
    ("tD", D(2026, 3, 3), ST, 1), ("tB", D(2026, 3, 3), ST, 2), ("tC", D(2026, 3, 3), ST, 3),
    ("tA", D(2026, 3, 1), MT, 1), ("tE", D(2026, 3, 1), MT, 2),
]


def write_derived(url: str, rows) -> None:
    """Derived ranks, written where derivation writes them (db/derive/top_lists.py): one row of
    derived_lists per day and time range, the tracks' keys in rank order."""
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute(
            "INSERT INTO derived_lists (snapshot_date, time_range, track_keys)"
            " SELECT r.day, r.time_range, array_agg(t.track_key ORDER BY r.rank)"
            " FROM unnest(%s::text[], %s::date[], %s::text[], %s::int[])"
            "   AS r(track_id, day, time_range, rank)"
            " JOIN tracks t USING (track_id) GROUP BY 1, 2", [list(c) for c in zip(*rows, strict=True)])


@pytest.fixture
def lists(use_database):
    save_tracks(TRACKS)
    save_snapshots(SPOTIFY_RANKS)
    write_derived(use_database, DERIVED_RANKS)
    return use_database


@pytest.fixture
def downloads(monkeypatch):
    """The CSV of every table a page draws, by its file name (AppTest has no media files to
    download from)."""
    from ui import tables

    got: dict[str, list[dict]] = {}
    show = tables.show

    def recording(shown, name, *args, **kwargs):
        got[name] = list(csv.DictReader(io.StringIO(tables.as_csv(shown))))
        return show(shown, name, *args, **kwargs)

    monkeypatch.setattr(tables, "show", recording)
    return got


def captions(at) -> str:
    return " ".join(str(c.value) for c in at.caption)


def labelled(at) -> bool:
    """Whether any text on the page says a list is derived (any case)."""
    texts = [str(e.value) for kind in ("caption", "markdown", "info") for e in getattr(at, kind)]
    return any(LABEL in text.lower() for text in texts)


def column(frame, name, key="track_id"):
    return dict(zip(frame[key], frame[name], strict=True))


# --- Time machine ---------------------------------------------------------------------------

@pytest.mark.parametrize(("date", "moves", "source", "previous_source"), [
    # Spotify -> derived
    ("2026-03-02", {"tB": "▲ 1", "tA": "▼ 1", "tD": "new"}, HISTORY, SPOTIFY),
    # derived -> derived: nothing to say about the list before
    ("2026-03-03", {"tD": "▲ 2", "tB": "▼ 1", "tC": "back"}, HISTORY, None),
    # derived -> Spotify
    ("2026-03-04", {"tA": "back", "tD": "▼ 1", "tF": "new"}, SPOTIFY, HISTORY),
])
def test_time_machine_labels_derived_lists_and_moves_across_sources(
        app, lists, downloads, date, moves, source, previous_source):
    at = open_page(app, "time_machine", date=date, time_range=ST, window="all")
    top = at.dataframe[0].value
    assert column(top, "movement") == moves
    assert set(top["source"]) == {source}
    derived = source == HISTORY
    assert labelled(at) == derived
    if derived:  # what it means: streams of 30 s or more, the 28-day window ending that day
        assert "Derived from your streaming history" in captions(at)
        assert f"at least 30 s not in incognito mode) in the 28 days ending on {date}" in \
            captions(at)
    assert ("(source: " in captions(at)) == (previous_source is not None)
    if previous_source:
        assert f"(source: {previous_source})." in captions(at)
    csv_rows = downloads[f"top_list_{ST}_{date}"]
    assert list(csv_rows[0]) == ["rank", "track_id", "track", "artist", "album", "year",
                                 "explicit", "spotify_url", "source", "previous_rank", "change",
                                 "movement"]
    assert {row["track_id"]: (row["source"], row["movement"]) for row in csv_rows} == \
        {track: (source, move) for track, move in moves.items()}


def test_time_machine_first_lists_of_each_source(app, lists, downloads):
    at = open_page(app, "time_machine", date="2026-03-01", time_range=ST)
    assert not labelled(at)
    assert set(at.dataframe[0].value["source"]) == {SPOTIFY}
    # A link opens a new session: the list of March 1.
    at = open_page(app_test(), "time_machine", date="2026-03-02", time_range=MT)
    assert labelled(at)
    assert "in the 182 days ending on 2026-03-01" in captions(at)
    assert set(at.dataframe[0].value["source"]) == {HISTORY}
    assert [row["source"] for row in downloads[f"top_list_{MT}_2026-03-01"]] == [HISTORY] * 2


def test_spotify_list_written_over_a_derived_day_loses_the_label(app, lists, downloads):
    save_snapshots([("tC", D(2026, 3, 3), ST, 1)])  # Spotify's own list wins the day
    at = open_page(app, "time_machine", date="2026-03-03", time_range=ST)
    assert not labelled(at)
    assert column(at.dataframe[0].value, "source") == {"tC": SPOTIFY}
    assert "(source: Streaming history)." in captions(at)  # March 2 is still derived


# --- Compare --------------------------------------------------------------------------------

def test_compare_says_which_side_is_derived(app, lists, downloads):
    at = open_page(app, "compare", a="2026-03-01", b="2026-03-02", time_range=ST)
    assert "A: Spotify's own list; B: derived from your streaming history." in captions(at)
    assert "Derived from your streaming history: not Spotify's own list" in captions(at)
    movers, entered, dropped = (at.dataframe[i].value for i in range(3))
    assert column(movers, "source_a") == {"tA": SPOTIFY, "tB": SPOTIFY}
    assert column(movers, "source_b") == {"tA": HISTORY, "tB": HISTORY}
    assert column(entered, "source") == {"tD": HISTORY}
    assert column(dropped, "source") == {"tC": SPOTIFY}
    assert list(downloads["compare_movers"][0]) == [
        "track_id", "track", "artist", "album", "year", "explicit", "position_a", "source_a",
        "position_b", "source_b", "change", "move"]
    assert [(r["track_id"], r["source"]) for r in downloads["compare_entered"]] == \
        [("tD", HISTORY)]
    assert [(r["track_id"], r["source"]) for r in downloads["compare_dropped"]] == \
        [("tC", SPOTIFY)]


def test_compare_of_spotify_lists_has_no_label(app, lists, downloads):
    at = open_page(app, "compare", a="2026-03-01", b="2026-03-04", time_range=ST)
    assert not labelled(at)
    assert {r["source"] for r in downloads["compare_entered"]} == {SPOTIFY}


@pytest.mark.parametrize(("a", "b", "says", "sources"), [
    ("2026-03-01..2026-03-02", "2026-03-03..2026-03-04",
     "A: 1 of its 2 lists derived from your streaming history; "
     "B: 1 of its 2 lists derived from your streaming history.",
     ("Spotify and streaming history", "Spotify and streaming history")),
    ("2026-03-02..2026-03-03", "2026-03-04..2026-03-04",
     "A: 2 of its 2 lists derived from your streaming history; "
     "B: 0 of its 1 lists derived from your streaming history.",
     (HISTORY, SPOTIFY)),
])
def test_compare_periods_count_their_derived_lists(app, lists, downloads, a, b, says, sources):
    at = open_page(app, "compare", a=a, b=b, time_range=ST)
    assert says in captions(at)
    source_a, source_b = sources
    rows = [(row["source"], None) for row in downloads.get("compare_dropped", [])] + \
        [(None, row["source"]) for row in downloads.get("compare_entered", [])] + \
        [(row["source_a"], row["source_b"]) for row in downloads.get("compare_movers", [])]
    assert rows  # some table to look at
    for a_source, b_source in rows:
        assert a_source in (None, source_a) and b_source in (None, source_b)


def test_compare_periods_of_spotify_lists_only_have_no_label(app, lists, downloads):
    at = open_page(app, "compare", a="2026-03-01..2026-03-01", b="2026-03-04..2026-03-04",
                   time_range=ST)
    assert not labelled(at)


# --- Rank history ---------------------------------------------------------------------------

def test_rank_history_says_which_ranks_are_derived(app, lists, downloads):
    at = open_page(app, "history", tracks="tD", time_range=ST)
    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    points = list(zip(trace["x"], trace["y"], trace["customdata"], strict=True))
    assert points == [("2026-03-02", 3, HISTORY), ("2026-03-03", 1, HISTORY),
                      ("2026-03-04", 2, SPOTIFY)]
    assert "%{customdata}" in trace["hovertemplate"]
    assert "2 of the 3 ranks shown are from lists derived from your streaming history" in \
        captions(at)
    assert "in the 28 days ending on each list's day" in captions(at)
    table = at.dataframe[0].value
    assert column(table, "source", "snapshot_date") == {
        D(2026, 3, 2): HISTORY, D(2026, 3, 3): HISTORY, D(2026, 3, 4): SPOTIFY}
    assert list(downloads["rank_history"][0]) == ["time_range", "snapshot_date", "track_id",
                                                  "rank", "source", "track"]
    assert [(r["snapshot_date"], r["rank"], r["source"]) for r in downloads["rank_history"]] == \
        [("2026-03-02", "3", HISTORY), ("2026-03-03", "1", HISTORY), ("2026-03-04", "2", SPOTIFY)]


def test_rank_history_gap_has_no_source(app, lists, downloads):
    at = open_page(app, "history", tracks="tC", time_range=ST)
    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert list(zip(trace["y"], trace["customdata"], strict=True)) == [
        (3, SPOTIFY), (None, ""), (3, HISTORY), (None, "")]


def test_rank_history_of_spotify_ranks_only_has_no_label(app, lists, downloads):
    at = open_page(app, "history", tracks="tF", time_range=ST)
    assert not labelled(at)
    assert [r["source"] for r in downloads["rank_history"]] == [SPOTIFY]


def test_rank_history_of_all_ranges_names_the_three_windows(app, lists, downloads):
    at = open_page(app, "history", tracks="tE", time_range="all")
    assert "1 of the 2 ranks shown" in captions(at)
    assert "in the 28, 182 or 365 days (by time range)" in captions(at)


# --- Tracks: the track view -----------------------------------------------------------------

def test_track_view_counts_days_on_derived_lists(app, lists, downloads):
    at = open_page(app, "tracks", track="tD")
    summary = at.dataframe[1].value
    assert column(summary, "days", "time_range") == {ST: 3}
    assert column(summary, "derived_days", "time_range") == {ST: 2}
    assert list(downloads["charts_tD"][0]) == ["time_range", "best_rank", "days",
                                               "derived_days", "first_on_list", "last_on_list"]
    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert trace["customdata"] == [HISTORY, HISTORY, SPOTIFY]


def test_rank_history_opens_on_the_latest_list_when_it_is_derived(lists):
    """With no tracks in its link, Rank history shows the first tracks of the latest short-term
    list, whichever its source (derived lists live in derived_lists since migration 0013)."""
    from queries import history

    write_derived(lists, [("tF", D(2026, 3, 5), ST, 1), ("tC", D(2026, 3, 5), ST, 2),
                          ("tB", D(2026, 3, 5), ST, 3), ("tA", D(2026, 3, 5), ST, 4)])
    assert history.latest_top.uncached(ST) == ["tF", "tC", "tB"]
