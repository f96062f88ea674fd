"""Interactions in Chromium that links alone do not reach: the sidebar's controls of the time
machine and the comparison, the rank history's track picker and its limit, the tracks search to
a track and back, the CSV download of every table, and an import that records ranks. Each
asserts what the user sees, and the URL where the state lives. Screenshots in test-artifacts/."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import psycopg
import pytest

from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks
from ui import tables

from support import browser, semantics
from support.browser import app_env
from support.databases import create_database, drop_database, url_for
from support.time_machine_data import SNAPSHOTS, TRACKS, track
from support.waits import wait_until

D = dt.date
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Streamlit's "Download as CSV" in a table's toolbar asks for the File System Access API's save
# dialog first, which a headless browser cannot answer; refused, it falls back to a download.
NO_SAVE_PICKER = "window.showSaveFilePicker = () => { throw new Error('no dialog in tests'); };"

# Five more charted tracks, on one long-term list only (the short- and medium-term lists of the
# time machine's data stay as they are): eleven charted tracks for the rank history's limit.
EXTRA = [track(f"tX{n}", f"Extra {n}", "Omega", explicit=False,
               album={"name": "Extras", "album_type": "album", "release_date": "2010-06-01"})
         for n in range(1, 6)]
EXTRA_SNAPSHOTS = [(t["id"], D(2026, 3, 4), "long_term", n) for n, t in enumerate(EXTRA, 1)]


@pytest.fixture(scope="module")
def app_url(server_url, template_db):
    """One app over one database for the tests that only read: the time machine's seven tracks
    and fifteen ranks, plus five long-term ones."""
    name = create_database(server_url, template_db)
    database = url_for(server_url, name)
    with psycopg.connect(database) as conn:
        save_tracks(TRACKS + EXTRA, conn=conn)
        save_snapshots(SNAPSHOTS + EXTRA_SNAPSHOTS, conn=conn)
    try:
        with browser.running_app(app_env(DATABASE_URL=database)) as url:
            yield url
    finally:
        drop_database(server_url, name)


@pytest.fixture
def page(chrome):
    opened = chrome.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    opened.add_init_script(NO_SAVE_PICKER)
    yield opened
    opened.close()


# --- what the page shows ---------------------------------------------------------------------

def idle(page):
    """The app has finished the run the last action started (a run starts a moment after the
    action: wait for it to be idle, give it the moment, and wait again)."""
    browser.settled(page)


def opened(page, url: str) -> None:
    """Go to the URL and wait for its page's first run to finish (before the app has connected,
    the page says it is not running)."""
    page.goto(url)
    page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
    idle(page)


def params_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def wait_for_state(page, path: str, params: dict[str, str]) -> None:
    """The URL names this page and exactly these parameters (in any order)."""
    try:
        page.wait_for_url(lambda url: urlsplit(url).path == path and params_of(url) == params,
                          timeout=30_000)
    except Exception as exc:
        browser.screenshot(page, "interactions-unexpected-url")
        raise AssertionError(f"the URL is {page.url}, not {path} with {params}") from exc
    idle(page)


def eventually(read, expected, timeout_s: float = 30):
    """`read()` once it equals `expected`; when the time is up, the test fails saying the last
    value read. Grids fill their cells after the script has finished."""
    seen = []

    def equal() -> bool:
        seen[:] = [read()]
        return seen[0] == expected

    wait_until(equal, lambda: f"{seen[0]!r} is still not {expected!r}", timeout_s, every_s=0.2)
    return seen[0]


def grid_cells(grid) -> list[list[str]]:
    """A table's rows of cells as the grid shows them. The grid draws on a canvas; its
    accessible markup holds the cells it has drawn."""
    grid.scroll_into_view_if_needed()
    return [row.locator("[role='gridcell']").all_text_contents()
            for row in grid.locator("[role='row']").all()[1:]]


def grid_rows(grid) -> list[dict[str, str]]:
    """The rows as column title -> cell text."""
    headers = grid.locator("[role='columnheader']").all_text_contents()
    return [dict(zip(headers, cells, strict=False)) for cells in grid_cells(grid)]


def column(grid, title: str) -> list[str]:
    return [row.get(title) for row in grid_rows(grid)]


def shown_column(page, title, expected, index=0, arranged=list):
    """Column ``title`` of the main area's ``index``-th visible table, as ``arranged``, once that
    equals ``expected``."""
    grid = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']:visible").nth(index)
    return eventually(lambda: arranged(column(grid, title)), expected)


def sorted_cells(cells) -> list:
    """Cells in order; one not drawn yet (None) sorts among them, to be asked again."""
    return sorted(cells, key=str)


def caption(page) -> str:
    return page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").first \
        .inner_text().replace("\u2060", "")


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']").replace("\u2060", "")


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


# --- driving the widgets ---------------------------------------------------------------------

def type_date(page, label: str, day: dt.date) -> None:
    """Streamlit's date field: year, month and day segments; typed, and kept when the field is
    left."""
    for part, text in (("year", f"{day.year}"), ("month", f"{day.month:02}"),
                       ("day", f"{day.day:02}")):
        page.get_by_role("spinbutton", name=f"{part}, {label}", exact=True).click()
        page.keyboard.type(text)
    page.get_by_role("heading", level=1).click()  # leave the field


def choose(within, label: str, option: str) -> None:
    """A selectbox (of the page, or of the part a locator names): open it, pick the option."""
    within.get_by_role("combobox", name=label, exact=True).click()
    page = getattr(within, "page", within)
    page.get_by_role("option", name=option, exact=True).click()


def metrics(page) -> dict[str, str]:
    return browser.metric_values(page.locator("[data-testid='stMain']"))


def download(page, trigger) -> tuple[str, str]:
    """What a click downloads: (file name, text)."""
    with page.expect_download(timeout=30_000) as started:
        trigger.click()
    done = started.value
    return done.suggested_filename, Path(done.path()).read_text(encoding="utf-8")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- 1. the time machine's sidebar -----------------------------------------------------------

def test_time_machine_sidebar_changes_the_list_and_the_url(app_url, page):
    opened(page, app_url + "/time_machine?date=2026-03-04&time_range=short_term&window=all")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert shown_column(page, "Track", ["Alpha Song", "Beta Song", "Delta", "夜に駆ける"]) == \
        ["Alpha Song", "Beta Song", "Delta", "夜に駆ける"]

    type_date(page, "The top list on", D(2026, 3, 3))
    wait_for_state(page, "/time_machine",
                   {"date": "2026-03-03", "time_range": "short_term", "window": "all"})
    assert "the list of 2026-03-03; movement since the list of 2026-03-01" in caption(page)
    expected = ["Beta Song", "Alpha Song", "Epsilon <b>bold</b>", "Gamma"]
    assert shown_column(page, "Track", expected) == expected
    assert shown_column(page, "Move", ["▲ 1", "▼ 1", "new", "▼ 1"]) == ["▲ 1", "▼ 1", "new", "▼ 1"]
    assert metrics(page)["New"] == "1"

    choose(sidebar, "Time range", "Medium term (about 6 months)")
    wait_for_state(page, "/time_machine",
                   {"date": "2026-03-03", "time_range": "medium_term", "window": "all"})
    assert "Medium term (about 6 months): the list of 2026-03-01, the latest on or before " \
           "2026-03-03; the first list of this time range" in caption(page)
    assert shown_column(page, "Track", ["Alpha Song"]) == ["Alpha Song"]

    choose(sidebar, "Time range", "Short term (about 4 weeks)")
    choose(sidebar, "Most consistent artist over", "Last 4 weeks")
    wait_for_state(page, "/time_machine",
                   {"date": "2026-03-03", "time_range": "short_term", "window": "28"})
    assert "Artists on the most of the 2 lists from 2026-02-04 to 2026-03-03" in main_text(page)
    browser.screenshot(page, "interactions-time-machine")
    no_exception(page)

    page.reload()  # the URL holds all of it
    idle(page)
    assert params_of(page.url) == {"date": "2026-03-03", "time_range": "short_term",
                                   "window": "28"}
    assert sidebar.get_by_role("combobox", name="Most consistent artist over").input_value() \
        == "Last 4 weeks"
    assert shown_column(page, "Track", expected) == expected


# --- 2. the comparison's sidebar and its mode ------------------------------------------------

def test_compare_sidebar_and_mode_switch_change_what_is_compared(app_url, page):
    opened(page, app_url + "/compare?a=2026-03-01&b=2026-03-04&time_range=short_term")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "A: 2026-03-01 against B: 2026-03-04" in caption(page)

    type_date(page, "B: the top list on", D(2026, 3, 3))
    wait_for_state(page, "/compare", {"a": "2026-03-01", "b": "2026-03-03",
                                      "time_range": "short_term"})
    assert "A: 2026-03-01 against B: 2026-03-03; positions are the rank on each date's list" \
        in caption(page)
    assert eventually(lambda: metrics(page), {"Tracks in A": "4", "Tracks in B": "4",
                                              "Entered": "1", "Dropped": "1"}) == \
        {"Tracks in A": "4", "Tracks in B": "4", "Entered": "1", "Dropped": "1"}
    page.get_by_role("tab", name="Entered (1)").click()
    assert shown_column(page, "Track", ["Epsilon <b>bold</b>"]) == ["Epsilon <b>bold</b>"]
    page.get_by_role("tab", name="Dropped (1)").click()
    assert shown_column(page, "Track", ["Delta"]) == ["Delta"]

    choose(sidebar, "Time range", "Medium term (about 6 months)")
    wait_for_state(page, "/compare", {"a": "2026-03-01", "b": "2026-03-03",
                                      "time_range": "medium_term"})
    assert "A: 2026-03-01 against B: 2026-03-03 (the list of 2026-03-01)" in caption(page)
    assert metrics(page)["Entered"] == "0"

    sidebar.get_by_text("Two periods", exact=True).click()  # four weeks against the four before
    wait_for_state(page, "/compare", {"a": "2026-01-08..2026-02-04",
                                      "b": "2026-02-05..2026-03-04", "time_range": "medium_term"})
    assert "A: 2026-01-08 to 2026-02-04 against B: 2026-02-05 to 2026-03-04; positions are the " \
           "best rank in each period" in caption(page)
    assert metrics(page)["Tracks in A"] == "0" and metrics(page)["Tracks in B"] == "2"

    page.get_by_role("tab", name="Entered (2)").click()
    assert shown_column(page, "Track", ["Alpha Song", "Gamma"], arranged=sorted_cells) == \
        ["Alpha Song", "Gamma"]
    browser.screenshot(page, "interactions-compare-periods")

    no_exception(page)


def test_compare_switches_back_from_periods_to_dates(app_url, page):
    opened(page, app_url + "/compare?a=2026-03-01&b=2026-03-03&time_range=medium_term")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Two periods", exact=True).click()
    wait_for_state(page, "/compare", {"a": "2026-01-08..2026-02-04",
                                      "b": "2026-02-05..2026-03-04", "time_range": "medium_term"})
    sidebar.get_by_text("Two dates", exact=True).click()  # back: the dates chosen before
    with contextlib.suppress(Exception):  # the assertions say what it shows instead
        page.wait_for_url(lambda url: params_of(url).get("a") == "2026-03-01", timeout=10_000)
    idle(page)
    assert params_of(page.url) == {"a": "2026-03-01", "b": "2026-03-03",
                                   "time_range": "medium_term"}
    assert "A: 2026-03-01 against B: 2026-03-03 (the list of 2026-03-01)" in caption(page)


# --- 3. the rank history's picker and its limit ----------------------------------------------

def chart_lines(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'),
        el => el.data.map(t => t.name)).flat()""")


def test_rank_history_picker_adds_and_removes_and_stops_at_ten(app_url, page):
    opened(page, app_url + "/history?tracks=tA,tD&time_range=short_term")
    picker = page.get_by_role("combobox", name="Tracks", exact=True)
    picker.click()
    page.keyboard.type("Gamma")
    page.get_by_role("option", name="Gamma — Yoko").click()
    page.keyboard.press("Escape")
    wait_for_state(page, "/history", {"tracks": "tA,tD,tC", "time_range": "short_term"})
    assert eventually(lambda: sorted(chart_lines(page)), ["Alpha Song", "Delta", "Gamma"]) == \
        ["Alpha Song", "Delta", "Gamma"]
    assert shown_column(page, "Track", ["Alpha Song", "Delta", "Gamma"],
                        arranged=lambda cells: sorted_cells(set(cells))) == \
        ["Alpha Song", "Delta", "Gamma"]

    page.get_by_role("button", name="Remove Alpha Song — Xavi").click()
    wait_for_state(page, "/history", {"tracks": "tD,tC", "time_range": "short_term"})
    assert eventually(lambda: sorted(chart_lines(page)), ["Delta", "Gamma"]) == \
        ["Delta", "Gamma"]

    def charted_tracks():  # one line per track and time range: "Alpha Song · short term"
        return len({name.split(" · ")[0] for name in chart_lines(page)})

    ten = ["tA", "tB", "tC", "tD", "tE", "tF", "tX1", "tX2", "tX3", "tX4"]
    opened(page, app_url + f"/history?tracks={','.join(ten)}&time_range=all")
    assert eventually(charted_tracks, 10) == 10
    picker.click()
    page.keyboard.type("Extra 5")
    full = page.get_by_role("option", name=re.compile("only select up to 10 options"))
    full.wait_for(timeout=15_000)
    limit_text = full.inner_text()
    assert page.get_by_role("option", name="Extra 5 — Omega").count() == 0
    browser.screenshot(page, "interactions-history-limit")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    idle(page)
    assert params_of(page.url)["tracks"] == ",".join(ten)
    assert charted_tracks() == 10
    assert limit_text == "You can only select up to 10 options. Remove an option first."

    # An eleventh in a link: the first ten, and a hint that says so.
    opened(page, app_url + f"/history?tracks={','.join([*ten, 'tX5'])}&time_range=all")
    assert "The link names 11 tracks; showing the first 10." in main_text(page)
    assert params_of(page.url)["tracks"] == ",".join(ten)
    no_exception(page)


# --- 4. tracks: search, a track, and back ----------------------------------------------------

def test_search_pick_a_row_see_the_track_and_come_back_to_the_search(app_url, page):
    opened(page, app_url + "/tracks")
    box = page.get_by_role("textbox", name="Track or artist name")
    box.fill("xavi")
    box.press("Enter")
    wait_for_state(page, "/tracks", {"q": "xavi"})
    assert "3 matches" in main_text(page)
    found = ["Alpha Song", "Beta Song", "Never charted"]
    assert shown_column(page, "Track", found) == found

    grid = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    area = grid.bounding_box()  # the row's selection box: left of its first cell
    page.mouse.click(area["x"] + 15, area["y"] + browser_row_px(2))
    wait_for_state(page, "/tracks", {"q": "xavi", "track": "tB"})
    page.get_by_role("button", name="← Back to the search").wait_for()
    text = main_text(page)
    assert "Beta Song" in text and "On the lists" in text
    facts = eventually(lambda: dict(c for c in grid_cells(grid) if len(c) == 2).get("Released"),
                       "1999 (to the year)")
    assert facts == "1999 (to the year)"
    browser.screenshot(page, "interactions-track-view")

    page.get_by_role("button", name="← Back to the search").click()
    wait_for_state(page, "/tracks", {"q": "xavi"})
    assert box.input_value() == "xavi"
    assert "3 matches" in main_text(page)
    assert shown_column(page, "Track", found) == found
    no_exception(page)


def browser_row_px(row: int) -> float:
    """The middle of a data row of a grid (1 = the first, under the header)."""
    return tables.ROW_PX * row + tables.ROW_PX / 2


# --- 5. the CSV download of every table ------------------------------------------------------

def button_csv(page, label_start: str, index: int = 0) -> tuple[str, list[list[str]]]:
    """What a download button gives; returns once the run its click starts is over, so that the
    next click does not land mid-run."""
    button = page.locator("[data-testid='stMain']").get_by_role(
        "button", name=re.compile("^" + re.escape(label_start))).nth(index)
    name, text = download(page, button)
    idle(page)
    return name, rows_of(text)


def toolbar_csv(page, index: int = 0) -> list[list[str]]:
    grid = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']:visible").nth(index)
    grid.scroll_into_view_if_needed()
    grid.hover()
    _, text = download(page, grid.get_by_role("button", name="Download as CSV"))
    return rows_of(text)


def test_every_table_downloads_as_csv_with_its_rows(app_url, page):
    got = {}
    page.goto(app_url + "/")
    browser.wait_until_ready(page, charts=3)
    for label in ("Download release decades", "Download explicit vs clean",
                  "Download release years"):
        got[label] = button_csv(page, label)
    got["top tracks (toolbar)"] = toolbar_csv(page)

    opened(page, app_url + "/time_machine?date=2026-03-03&time_range=short_term&window=all")
    got["top list"] = button_csv(page, "Download (CSV", 0)
    got["top list (toolbar)"] = toolbar_csv(page, 0)
    got["consistent artists"] = button_csv(page, "Download (CSV", 1)

    opened(page, app_url + "/compare?a=2026-03-01&b=2026-03-04&time_range=short_term")
    for tab in ("Biggest movers", "Entered", "Dropped"):
        # Its button once the tab shows (a click during a download's rerun once downloaded the
        # tab before's).
        page.get_by_role("tab", name=re.compile("^" + tab)).click()
        page.get_by_role("tab", name=re.compile("^" + tab), selected=True).wait_for()
        got[tab] = button_csv(page, "Download (CSV")

    opened(page, app_url + "/history?tracks=tA,tE&time_range=short_term")
    got["rank history"] = button_csv(page, "Download (CSV")

    opened(page, app_url + "/tracks?q=xavi")
    got["search"] = button_csv(page, "Download (CSV")
    opened(page, app_url + "/tracks?explore=explicit")
    got["explorer"] = button_csv(page, "Download (CSV")
    opened(page, app_url + "/tracks?track=tC")
    got["track facts (toolbar)"] = toolbar_csv(page, 0)
    got["track on the lists"] = button_csv(page, "Download (CSV")
    browser.screenshot(page, "interactions-downloads-track")

    everything = TRACKS + EXTRA  # the dashboard's "all time": every track in the library
    assert got["Download release decades"][0] == "release_decades.csv"
    assert got["Download release decades"][1][0] == ["decade", "tracks"]
    assert {d: int(n) for d, n in got["Download release decades"][1][1:]} == \
        semantics.decades(everything)
    assert got["Download explicit vs clean"][1][0] == ["content", "tracks"]
    assert {c: int(n) for c, n in got["Download explicit vs clean"][1][1:]} == \
        semantics.explicit(everything)
    assert got["Download release years"][1][0] == ["year", "tracks"]
    assert [(y, int(n)) for y, n in got["Download release years"][1][1:]] == [
        ("2024", 1), ("2021", 1), ("2015", 1), ("2010", 5), ("1999", 1), ("1987", 1),
        ("Unknown", 2)]
    assert semantics.years(everything) == dict(
        (y, int(n)) for y, n in got["Download release years"][1][1:])
    top = got["top tracks (toolbar)"]
    picked = [top[0].index(c) for c in ("track", "best_rank", "days_charted")]
    # Best rank first, then the most days on a list (any time range), then the name.
    assert [[row[i] for i in picked] for row in top[1:]] == [
        ["Alpha Song", "1", "3"], ["Beta Song", "1", "3"], ["Gamma", "1", "3"],
        ["Extra 1", "1", "1"], ["Extra 2", "2", "1"], ["Delta", "3", "2"],
        ["Epsilon <b>bold</b>", "3", "1"], ["Extra 3", "3", "1"], ["夜に駆ける", "4", "1"],
        ["Extra 4", "4", "1"], ["Extra 5", "5", "1"]]

    url = "https://open.spotify.com/track/"
    # The button's file holds the frame (ids, previous ranks); the toolbar's what the grid shows.
    # A missing year or previous rank is an empty cell, whole numbers are whole (not 1999.0); the
    # grid shows a missing year as a dash.
    assert got["top list"] == ("top_list_short_term_2026-03-03.csv", [
        ["rank", "track_id", "track", "artist", "album", "year", "explicit", "spotify_url",
         "source", "previous_rank", "change", "movement"],
        ["1", "tB", "Beta Song", "Xavi", "Second", "1999", "no", url + "tB", "Spotify", "2", "1",
         "▲ 1"],
        ["2", "tA", "Alpha Song", "Xavi", "First", "1987", "yes", url + "tA", "Spotify", "1",
         "-1", "▼ 1"],
        ["3", "tE", "Epsilon <b>bold</b>", "Zoë", "—", "", "no", url + "tE", "Spotify", "", "",
         "new"],
        ["4", "tC", "Gamma", "Yoko", "Third", "2021", "yes", url + "tC", "Spotify", "3", "-1",
         "▼ 1"]])
    # The grid's artist is a link to the artist view (its text the name): the toolbar's file
    # holds the link, the button's the name.
    artist = "tracks?artist="
    assert got["top list (toolbar)"] == [
        ["rank", "movement", "track", "artist_link", "album", "year", "explicit", "spotify_url",
         "source"],
        ["1", "▲ 1", "Beta Song", artist + "Xavi", "Second", "1999", "no", url + "tB", "Spotify"],
        ["2", "▼ 1", "Alpha Song", artist + "Xavi", "First", "1987", "yes", url + "tA",
         "Spotify"],
        ["3", "new", "Epsilon <b>bold</b>", artist + "Zo%C3%AB", "—", "—", "no", url + "tE",
         "Spotify"],
        ["4", "▼ 1", "Gamma", artist + "Yoko", "Third", "2021", "yes", url + "tC", "Spotify"]]
    assert got["consistent artists"] == ("consistent_artists.csv", [
        ["artist", "days", "tracks", "best_rank"], ["Xavi", "2", "2", "1"],
        ["Yoko", "2", "2", "3"], ["Zoë", "1", "1", "3"]])

    columns = ["track_id", "track", "artist", "album", "year", "explicit"]
    assert got["Biggest movers"] == ("compare_movers.csv", [
        [*columns, "position_a", "source_a", "position_b", "source_b", "change", "move"],
        ["tD", "Delta", "Yoko", "Fourth", "2015", "—", "4", "Spotify", "3", "Spotify", "1",
         "▲ 1"]])
    assert got["Entered"] == ("compare_entered.csv", [
        [*columns, "position", "source"],
        ["tF", "夜に駆ける", "—", "Sixth", "", "yes", "4", "Spotify"]])
    assert got["Dropped"] == ("compare_dropped.csv", [
        [*columns, "position", "source"],
        ["tC", "Gamma", "Yoko", "Third", "2021", "yes", "3", "Spotify"]])

    assert got["rank history"] == ("rank_history.csv", [
        ["time_range", "snapshot_date", "track_id", "rank", "source", "track"],
        ["short_term", "2026-03-01", "tA", "1", "Spotify", "Alpha Song"],
        ["short_term", "2026-03-03", "tA", "2", "Spotify", "Alpha Song"],
        ["short_term", "2026-03-04", "tA", "1", "Spotify", "Alpha Song"],
        ["short_term", "2026-03-03", "tE", "3", "Spotify", "Epsilon <b>bold</b>"]])

    assert got["search"] == ("search.csv", [  # a track never on a list: no best rank
        ["track_id", "track", "artist", "album", "best_rank"],
        ["tA", "Alpha Song", "Xavi", "First", "1"], ["tB", "Beta Song", "Xavi", "Second", "1"],
        ["tG", "Never charted", "Xavi", "Seventh", ""]])
    assert got["explorer"] == ("explorer.csv", [
        columns, ["tA", "Alpha Song", "Xavi", "First", "1987", "yes"],
        ["tC", "Gamma", "Yoko", "Third", "2021", "yes"], ["tF", "夜に駆ける", "—", "Sixth", "", "yes"]])
    assert got["track facts (toolbar)"] == [
        ["", "value"], ["Artists", "Yoko"], ["Album", "Third"], ["Album type", "album"],
        ["Released", "2021-03"], ["Explicit", "yes"], ["Duration", "—"], ["ISRC", "—"],
        ["Track id", "tC"]]
    assert got["track on the lists"] == ("charts_tC.csv", [
        ["time_range", "best_rank", "days", "derived_days", "first_on_list", "last_on_list"],
        ["short_term", "3", "2", "0", "2026-03-01", "2026-03-03"],
        ["medium_term", "1", "1", "0", "2026-03-04", "2026-03-04"]])


def test_whole_numbers_stay_whole_in_a_download():
    """A column of whole numbers with a missing value is float in pandas: 2021.0 and 19.0."""
    frame = pd.DataFrame({"track": ["a", "b"], "year": [2021, None], "rank": [None, 19],
                          "share": [0.5, None]})
    assert tables.as_csv(frame).splitlines() == ["track,year,rank,share", "a,2021,,0.5",
                                                 "b,,19,"]


# --- 6. an import that records ranks ---------------------------------------------------------

def test_an_import_with_ranks_records_the_order_on_the_chosen_day(use_database, tmp_path,
                                                                   page):
    day = dt.date.today() - dt.timedelta(days=3)
    top = [track(f"r{n}", f"Ranked {n}", "Rho", explicit=False,
                 album={"name": "R", "release_date": "2020"}) for n in range(1, 4)]
    (tmp_path / "top.json").write_text(json.dumps({"items": top, "offset": 0}))
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        opened(page, url + "/data")
        page.get_by_text("record their order as ranks").click()
        idle(page)
        type_date(page, "Snapshot date", day)
        idle(page)
        choose(page, "Time range", "medium_term")
        idle(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(tmp_path / "top.json"))
        page.get_by_text("What would change").wait_for(timeout=60_000)
        idle(page)
        preview = main_text(page)
        page.get_by_role("button", name="Import 1 file").click()
        page.get_by_text("top.json: imported").wait_for(timeout=60_000)
        idle(page)
        browser.screenshot(page, "interactions-import-ranks")
        imports = toolbar_csv(page, 0)  # the imports so far: a table without a button

        opened(page, url + f"/time_machine?date={day}&time_range=medium_term")
        listed = shown_column(page, "Track", ["Ranked 1", "Ranked 2", "Ranked 3"])
        said = caption(page)
    assert "ranks: 3 new" in preview, preview
    done = dict(zip(imports[0], imports[1], strict=True))
    assert len(imports) == 2 and (done["kind"], done["source"]) == ("json", "top.json")
    assert (done["tracks_inserted"], done["snapshots_inserted"]) == ("3", "3")
    assert listed == ["Ranked 1", "Ranked 2", "Ranked 3"]
    assert f"Medium term (about 6 months): the list of {day}" in said
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT track_id, snapshot_date, time_range, rank FROM snapshots "
                            "ORDER BY rank").fetchall() == [
            (f"r{n}", day, "medium_term", n) for n in range(1, 4)]
