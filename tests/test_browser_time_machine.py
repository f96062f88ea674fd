"""The time machine's pages in Chromium: each opened from a link with its parameters shows that
state, keeps it through a reload, and is useful on an empty database and before the first list.
Screenshots of each in test-artifacts/."""

from __future__ import annotations

from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support import browser
from support.browser import app_env
from support.time_machine_data import SNAPSHOTS, TRACKS

# (link, what the page must show, Plotly charts it draws, screenshot)
LINKS = [
    ("/time_machine?date=2026-03-04&time_range=short_term&window=all",
     ["Time machine", "the list of 2026-03-04", "movement since the list of 2026-03-03",
      "Alpha Song", "back", "Most consistent artists", "Xavi"], 0, "time-machine"),
    ("/time_machine?date=2026-03-02&time_range=short_term",
     ["the list of 2026-03-01, the latest on or before 2026-03-02",
      "the first list of this time range"], 0, "time-machine-between-lists"),
    ("/time_machine?date=2026-02-01&time_range=medium_term",
     ["No medium term (about 6 months) list on or before 2026-02-01",
      "the first one is dated 2026-03-01"], 0, "time-machine-before-first-list"),
    ("/compare?a=2026-03-01&b=2026-03-04&time_range=short_term",
     ["A: 2026-03-01 against B: 2026-03-04", "Entered", "Biggest movers"], 2, "compare-dates"),
    ("/compare?a=2026-03-01..2026-03-02&b=2026-03-03..2026-03-04&time_range=short_term",
     ["A: 2026-03-01 to 2026-03-02 against B: 2026-03-03 to 2026-03-04",
      "best rank in each period"], 2, "compare-periods"),
    ("/history?tracks=tA,tD&time_range=short_term",
     ["Rank history", "Alpha Song", "Delta", "a gap is a list the track was not on"], 1,
     "rank-history"),
    ("/tracks?q=xavi", ["Tracks", "Alpha Song", "Beta Song", "Never charted"], 0,
     "tracks-search"),
    ("/tracks?track=tA", ["Alpha Song", "1987-05-01 (to the day)", "USABC8700001",
                          "On the lists", "The payload (raw_json)"], 1, "track-view"),
    ("/tracks?explore=explicit,single", ["raw_json @> %(explicit)s", "1 track matches",
                                         "Alpha Song"], 0, "tracks-explorer"),
]

EMPTY = [
    ("/time_machine", "No short term (about 4 weeks) lists yet"),
    ("/compare", "Neither side has any lists"),
    ("/history", "No track has been on a list yet"),
    ("/tracks?q=anything", "No track or artist name matches"),
    ("/tracks?explore=explicit", "No track matches all of these"),
]


def test_each_page_from_a_link_keeps_its_state_through_a_reload(use_database, browser_pages):
    save_tracks(TRACKS)
    save_snapshots(SNAPSHOTS)
    with browser.running_app(app_env(DATABASE_URL=use_database)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        for link, expected, charts, name in LINKS:
            page.goto(url + link)
            text = browser.shown(page, charts, expected)
            for words in expected:
                assert words in text, (link, words)
            browser.screenshot(page, name)
            query = link.split("?", 1)[1]
            assert query in page.url, (link, page.url)  # the state is still in the URL
            page.reload()
            again = browser.shown(page, charts, expected)
            for words in expected:
                assert words in again, ("after a reload", link, words)
            assert query in page.url


def test_every_page_is_useful_on_an_empty_database(use_database, browser_pages):
    with browser.running_app(app_env(DATABASE_URL=use_database)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 900})
        for link, expected in EMPTY:
            page.goto(url + link)
            text = browser.shown(page, 0, [expected])
            assert expected in text, (link, text[:400])
            # The way to import: the sidebar's link to the Data page, there to click.
            to_data = page.locator("[data-testid='stSidebarNav'] a[href$='/data']")
            assert to_data.count() == 1 and to_data.is_visible(), link
            browser.screenshot(page, "empty" + link.split("?")[0].replace("/", "-"))
