"""Plays on every track and artist (issue #19): the track view's plays, the artist view
(/tracks?artist=NAME) and the artist links of every table, checked against a plain reading of the
generated export's rows (below: loops and zoneinfo, no code shared with db/ or queries/), in UTC
and in zones where a play near midnight UTC lands on another local day and month."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import defaultdict
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import streamlit as st

from db.ingest import streaming_history
from db.model import access
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks
from queries import core, tracks
from ui import tables
from ui.state.tracks import MAX_ARTIST, TrackQuery, parse_track_query

from support import history_export as export
from support.apptest import app_test, metrics, open_page, shown_text
from support.time_machine_data import SNAPSHOTS, TRACKS

UTC = dt.UTC
# A track of our own, by an artist whose name needs every kind of care in a URL and in Markdown.
ODD_ARTIST = "Zoë & <b>Co</b> + 50% #1?"
MIDNIGHT = export.Track("MidnightTrack00000001Z", "Midnight *Song*", ODD_ARTIST, "Late")
ZONES = ("UTC", "America/New_York", "Asia/Tokyo")


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# (end, ms, incognito): near midnight UTC at the turn of a month, at the 30,000 ms line, incognito.
MIDNIGHT_PLAYS = [
    (_at("2019-11-30T23:50:00"), 200_000, False),  # New York: Nov 30 18:50; Tokyo: Dec 1 08:50
    (_at("2019-12-01T03:00:00"), 60_000, None),     # New York: Nov 30 22:00; Tokyo: Dec 1 12:00
    (_at("2020-01-01T00:10:00"), 30_000, False),    # New York: Dec 31 19:10; Tokyo: Jan 1 09:10
    (_at("2020-01-05T12:00:00"), 29_999, False),    # not a stream: too short
    (_at("2020-01-06T12:00:00"), 240_000, True),    # not a stream: incognito
]
_generated: dict = {}


def streaming_export() -> export.History:
    """A generated streaming-history export with the MIDNIGHT_PLAYS among its rows (made once)."""
    if "h" not in _generated:
        generated = export.generate(1919, plays=500, tracks=48)
        rng = random.Random(7)
        for end, ms, incognito in MIDNIGHT_PLAYS:
            generated.rows.append(export._music_row(rng, MIDNIGHT, end, ms, incognito))
            generated.rows[-1].update(master_metadata_track_name=MIDNIGHT.name,
                                      master_metadata_album_artist_name=MIDNIGHT.artist,
                                      master_metadata_album_album_name=MIDNIGHT.album)
        generated.rows.sort(key=lambda r: r["ts"])
        _generated["h"] = generated
    return _generated["h"]


# --- the plain reading -----------------------------------------------------------------------

def reading(rows: list[dict], zone: str) -> dict:
    """Per track: its artist (the first row that names it), streams, ms, first and last stream
    (local 'YYYY-MM-DD HH:MM'), streams and ms per local month ('YYYY-MM-01')."""
    tz = ZoneInfo(zone)
    seen, artist = set(), {}
    per = defaultdict(lambda: {"streams": 0, "ms": 0, "ends": [], "months": defaultdict(
        lambda: [0, 0])})
    for row in rows:
        uri = row.get("spotify_track_uri") or ""
        if not uri.startswith("spotify:track:"):
            continue
        track_id = uri.split(":")[2]
        if row["master_metadata_track_name"] is not None and track_id not in artist:
            artist[track_id] = row["master_metadata_album_artist_name"]
        key = (row["ts"], track_id, row["ms_played"])
        if key in seen:
            continue
        seen.add(key)
        if row["ms_played"] < 30_000 or row["incognito_mode"] is True:
            continue
        end = dt.datetime.strptime(row["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        local = end.astimezone(tz)
        figures = per[track_id]
        figures["streams"] += 1
        figures["ms"] += row["ms_played"]
        figures["ends"].append(local)
        month = figures["months"][local.strftime("%Y-%m-01")]
        month[0] += 1
        month[1] += row["ms_played"]
    out = {}
    for track_id, f in per.items():
        out[track_id] = {"artist": artist.get(track_id), "streams": f["streams"], "ms": f["ms"],
                         "first": min(f["ends"]).strftime("%Y-%m-%d %H:%M"),
                         "last": max(f["ends"]).strftime("%Y-%m-%d %H:%M"),
                         "months": {m: tuple(v) for m, v in sorted(f["months"].items())}}
    return out


def artist_reading(per_track: dict, artist: str) -> dict:
    mine = {t: f for t, f in per_track.items() if f["artist"] == artist}
    months = defaultdict(lambda: [0, 0])
    for f in mine.values():
        for month, (streams, ms) in f["months"].items():
            months[month][0] += streams
            months[month][1] += ms
    return {"streams": sum(f["streams"] for f in mine.values()),
            "ms": sum(f["ms"] for f in mine.values()),
            "first": min(f["first"] for f in mine.values()),
            "last": max(f["last"] for f in mine.values()),
            "months": {m: tuple(v) for m, v in sorted(months.items())},
            "top": sorted(mine, key=lambda t: (-mine[t]["streams"], -mine[t]["ms"]))}


def minutes(ms: int) -> str:
    return f"{ms / 60_000:,.0f}"


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def imported(use_database, tmp_path, monkeypatch, request):
    zone = getattr(request, "param", "UTC")
    monkeypatch.setenv("MTM_TIMEZONE", zone)
    paths = export.write_loose(export.files(streaming_export()), tmp_path / "export")
    streaming_history.import_history([str(p) for p in paths], access.operator())
    # Every test's database is a new one at the same data version: no answer of another's.
    st.cache_data.clear()
    core.sync_version()
    yield zone
    st.cache_data.clear()


def local_text(moment, zone):
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def open_tracks(**params):
    """The Tracks page opened from a link, in a session of its own (a page already shown in a
    session keeps its state, as a browser tab does). The test's `app` fixture clears caches."""
    return open_page(app_test(), "tracks", **params)


def month_bars(at):
    from support.browser import plotly_values

    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    bars = [c for c in charts if c["layout"]["title"]["text"] == "Streams per month"]
    assert len(bars) == 1
    trace = bars[0]["data"][0]
    return dict(zip(trace["x"], plotly_values(trace["y"]), strict=True))


# --- the link: a pure value -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Xavi", "  two  spaces ", ODD_ARTIST, "夜に駆ける", "a" * MAX_ARTIST])
def test_an_artist_link_keeps_the_name_exactly(name):
    query, hints = parse_track_query({"artist": name}, tracks.QUESTIONS)
    assert (query.artist, hints) == (name, [])
    assert query.query_params() == {"artist": name}


@pytest.mark.parametrize(("given", "hint"), [
    ("a" * (MAX_ARTIST + 1), f"The link's artist name is {MAX_ARTIST + 1:,} characters long"),
    ("bad\x07name", "The link's artist 'bad\\x07name' holds control characters"),
])
def test_a_bad_artist_link_gives_a_hint_and_the_search(given, hint):
    query, hints = parse_track_query({"artist": given, "q": "x"}, tracks.QUESTIONS)
    assert query == TrackQuery("x")
    assert len(hints) == 1 and hints[0].startswith(hint)


def test_a_link_with_a_track_and_an_artist_shows_the_track():
    query, hints = parse_track_query({"artist": "Xavi", "track": "tA"}, tracks.QUESTIONS)
    assert (query.track, query.artist) == ("tA", None)
    assert hints == ["The link names a track and an artist; showing the track."]
    assert parse_track_query({"artist": "   "}, tracks.QUESTIONS) == (TrackQuery(), [])


@pytest.mark.parametrize("name", ["Xavi", ODD_ARTIST, "a+b c", "100%", "夜に駆ける", "x?artist=y"])
def test_the_grid_shows_the_name_the_link_carries(name):
    """LinkColumn's display_text: the first group of a JS regular expression over the URL,
    then decodeURIComponent after + -> %20 (Streamlit 1.67's DataFrame.js); here the same in
    Python."""
    url = tables.artist_url(name)
    shown = re.search(tables._ARTIST_TEXT, url).group(1)
    assert unquote(shown.replace("+", "%20")) == name
    assert parse_track_query({"artist": unquote(url.split("?artist=")[1])},
                             tracks.QUESTIONS)[0].artist == name
    track = tables.track_url("tA", name)
    assert unquote(re.search(tables._TRACK_TEXT, track).group(1).replace("+", "%20")) == name
    assert track.startswith("tracks?track=tA#")


def test_no_link_for_a_missing_artist():
    assert tables.artist_url(None) is None and tables.artist_url(tables.MISSING) is None


# --- figures against the plain reading --------------------------------------------------------

@pytest.mark.parametrize("imported", ZONES, indirect=True)
def test_every_track_and_artist_figure_matches_the_plain_reading(imported):
    zone = imported
    expected = reading(streaming_export().rows, zone)
    for track_id, f in expected.items():
        plays = tracks.track_plays(track_id)
        months = {m.strftime("%Y-%m-01"): (s, ms) for m, s, ms in
                  plays.months.itertuples(index=False)}
        assert (plays.streams, plays.ms, local_text(plays.first_at, zone),
                local_text(plays.last_at, zone), months) == \
            (f["streams"], f["ms"], f["first"], f["last"], f["months"]), track_id
    for artist in {f["artist"] for f in expected.values() if f["artist"]}:
        want = artist_reading(expected, artist)
        plays = tracks.artist_plays(artist)
        months = {m.strftime("%Y-%m-01"): (s, ms) for m, s, ms in
                  plays.months.itertuples(index=False)}
        assert (plays.streams, plays.ms, local_text(plays.first_at, zone),
                local_text(plays.last_at, zone), months) == \
            (want["streams"], want["ms"], want["first"], want["last"], want["months"]), artist
        found = tracks.artist_tracks(artist)
        streamed = found[found["streams"] > 0]
        # Ties in streams and ms are ordered by name, then id: compare the keys, then the set.
        assert [(s, ms) for s, ms in zip(streamed["streams"], streamed["ms"], strict=True)] == \
            [(expected[t]["streams"], expected[t]["ms"]) for t in want["top"]]
        assert set(streamed["track_id"]) == set(want["top"])


@pytest.mark.parametrize(("imported", "first", "last", "months"), [
    ("UTC", "2019-11-30 23:50", "2020-01-01 00:10",
     {"2019-11-01": 1, "2019-12-01": 1, "2020-01-01": 1}),
    ("America/New_York", "2019-11-30 18:50", "2019-12-31 19:10",
     {"2019-11-01": 2, "2019-12-01": 1}),
    ("Asia/Tokyo", "2019-12-01 08:50", "2020-01-01 09:10", {"2019-12-01": 2, "2020-01-01": 1}),
], indirect=["imported"])
def test_the_track_view_shows_its_plays_in_the_local_zone(app, imported, first, last, months):
    """Written out by hand for the plays near midnight UTC, and against the reading."""
    at = open_tracks(track=MIDNIGHT.id)
    f = reading(streaming_export().rows, imported)[MIDNIGHT.id]
    assert (f["first"], f["last"], {m: s for m, (s, _) in f["months"].items()}) == \
        (first, last, months)
    assert metrics(at) == {"Streams": "3", "Minutes": minutes(290_000),
                           "First stream": first, "Last stream": last}
    assert month_bars(at) == months
    assert f"Dates and times in {imported}" in shown_text(at, "caption")
    assert at.query_params == {"track": MIDNIGHT.id}


@pytest.mark.parametrize("imported", ["America/New_York"], indirect=True)
def test_the_artist_view_shows_the_artists_figures_and_top_tracks(app, imported, conn):
    per_track = reading(streaming_export().rows, imported)
    busiest = max({f["artist"] for f in per_track.values() if f["artist"]},
                  key=lambda a: (artist_reading(per_track, a)["streams"], a))
    want = artist_reading(per_track, busiest)
    at = open_tracks(artist=busiest)
    assert metrics(at) == {"Streams": f"{want['streams']:,}", "Minutes": minutes(want["ms"]),
                           "First stream": want["first"], "Last stream": want["last"]}
    assert month_bars(at) == {m: s for m, (s, _) in want["months"].items()}
    top = at.dataframe[0].value
    assert list(top["streams"]) == [per_track[t]["streams"] for t in want["top"]]
    assert set(top["track_id"]) == set(want["top"])
    assert all(link.startswith(f"tracks?track={t}#")
               for link, t in zip(top["track_link"], top["track_id"], strict=True))
    assert at.dataframe[0].proto.column_order[0] == "track_link"
    # Lists: the import derived daily lists from the plays; the artist's tracks on any of them.
    mine = {t for t, f in per_track.items() if f["artist"] == busiest}
    listed = {r[0] for r in conn.execute("SELECT DISTINCT track_id FROM list_ranks")} & mine
    library = conn.execute("SELECT count(*) FROM tracks WHERE artist_name = %s",
                           (busiest,)).fetchone()[0]
    assert f"On your top lists: {len(listed):,} of its {library:,} tracks" in shown_text(at, "caption")
    assert at.query_params == {"artist": busiest}


def test_an_odd_artist_name_is_plain_text_and_matched_exactly(app, imported):
    at = open_tracks(artist=ODD_ARTIST)
    assert ODD_ARTIST in shown_text(at, "subheader")
    assert metrics(at)["Streams"] == "3"
    assert list(at.dataframe[0].value["track"]) == [MIDNIGHT.name]
    # A name that differs by case or a space is another artist.
    at = open_tracks(artist=ODD_ARTIST.upper())
    assert "No track by an artist named" in shown_text(at, "info")
    assert not at.metric


def test_the_track_view_links_its_artist(app, imported):
    at = open_tracks(track=MIDNIGHT.id)
    links = [m.value for m in at.markdown if "All plays by" in m.value]
    assert links == [f"All plays by [{tables_plain(ODD_ARTIST)}]({tables.artist_url(ODD_ARTIST)})"]


def tables_plain(text):
    from ui.text import plain

    return plain(text)


def test_without_plays_the_track_and_artist_views_say_so(app, use_database):
    save_tracks(TRACKS)
    save_snapshots(SNAPSHOTS)
    at = open_tracks(track="tA")
    assert "No streaming history imported yet" in shown_text(at, "caption")
    assert not at.metric and "On the lists" in shown_text(at, "subheader")
    at = open_tracks(artist="Xavi")
    assert "3 tracks in the library" in shown_text(at, "caption")
    assert "On your top lists: 2 of its 3 tracks (best rank #1)" in shown_text(at, "caption")
    assert "No streaming history imported yet" in shown_text(at, "caption")
    at = open_tracks(artist="Nobody")
    assert "No track by an artist named 'Nobody' in the library" in shown_text(at, "info")


def test_a_track_without_streams_says_so_in_one_line(app, imported, conn):
    conn.execute("INSERT INTO tracks (track_id, name, artist_name) VALUES ('quiet', 'Q', 'Q')")
    at = open_tracks(track="quiet")
    assert "No streams of this track in your streaming history." in shown_text(at, "caption")
    assert not at.metric and not at.get("plotly_chart")


def test_a_bad_artist_link_shows_a_hint_and_the_search(app, use_database):
    at = open_tracks(artist="x" * 400)
    assert "The link's artist name is 400 characters long" in shown_text(at, "warning")
    assert at.text_input(key="tracks_q") is not None and not at.query_params


def test_tables_carry_artist_links_and_the_csv_keeps_names(app, use_database):
    save_tracks(TRACKS)
    save_snapshots(SNAPSHOTS)
    app.run()
    app.query_params.update({"date": "2026-03-04", "time_range": "short_term", "window": "all"})
    at = app.switch_page("pages/time_machine.py").run()
    top, consistent = at.dataframe[0].value, at.dataframe[1].value
    for grid in (top, consistent):
        links = [None if pd.isna(link) else link for link in grid["artist_link"]]
        assert links == [tables.artist_url(a) for a in grid["artist"]]
    assert at.dataframe[1].proto.column_order[0] == "artist_link"
    assert "artist" not in at.dataframe[1].proto.column_order  # the name is the link's text


# --- in Chromium: an artist's name in a table opens the artist view --------------------------

def test_clicking_an_artist_in_the_time_machine_opens_the_artist_view(use_database,
                                                                      browser_pages):
    from urllib.parse import parse_qsl, urlsplit

    from support import browser

    save_tracks(TRACKS)
    save_snapshots(SNAPSHOTS)
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
    with browser.running_app(browser.app_env(DATABASE_URL=use_database)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/time_machine?date=2026-03-04&time_range=short_term&window=all")
        page.get_by_role("heading", name="Most consistent artists").wait_for(timeout=60_000)
        page.wait_for_selector(idle)
        # The consistent artists: Xavi, Yoko, Zoë. The grid draws on a canvas: click where the
        # third row's name is drawn (its first column, the name at the cell's left).
        grid = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").nth(1)
        grid.scroll_into_view_if_needed()
        grid.locator("[role='gridcell']").first.wait_for(state="attached")
        box = grid.bounding_box()
        x, y = box["x"] + 20, box["y"] + tables.ROW_PX * 3.5
        # The grid opens a link only under a hovered link: point at it until the grid says so.
        page.mouse.move(x, y)
        page.wait_for_function("([x, y]) => getComputedStyle(document.elementFromPoint(x, y))"
                               ".cursor === 'pointer'", arg=[x, y], timeout=30_000)
        with page.context.expect_page(timeout=30_000) as opened:
            page.mouse.click(x, y)
        artist = opened.value
        artist.wait_for_url(lambda u: urlsplit(u).path == "/tracks", timeout=30_000)
        artist.get_by_role("button", name="← Back to the search").wait_for(timeout=60_000)
        artist.get_by_text("1 track in the library", exact=False).wait_for()
        artist.wait_for_selector(idle)
        shown = artist.inner_text("[data-testid='stMain']").replace("\u2060", "")
        browser.screenshot(artist, "artist-view-from-time-machine")
        assert dict(parse_qsl(urlsplit(artist.url).query)) == {"artist": "Zoë"}
        assert "Zoë" in shown
        assert "On your top lists: 1 of its 1 track (best rank #3)" in shown
        assert "No streaming history imported yet" in shown
        assert artist.locator("[data-testid='stException']").count() == 0
