"""The Listening page in Chromium: opened from a link with a period, a granularity and a measure,
it shows that state (cards checked against the oracle, chart titles, the sidebar's controls);
a click on a top list's tab shows that list and puts it in the URL; both keep their state
through a reload; the page is useful on an empty database. Screenshots: test-artifacts/
listening.png and listening-top-tracks.png (the README's docs/img/listening.png is a copy of
the first)."""

from __future__ import annotations

import csv
import datetime as dt

from support import browser
from support import history_export as export
from support import listening_oracle as oracle
from support.browser import app_env

TZ = "Europe/Berlin"
LINK = "/listening?start=2019-11-01&end=2020-02-29&granularity=month&by=minutes"
PERIOD = (dt.date(2019, 11, 1), dt.date(2020, 2, 29))


def expected_cards(rows) -> dict[str, str]:
    cards = oracle.cards(rows, TZ, *PERIOD)
    return {"Minutes": f"{cards['minutes']:,.0f}", "Streams": f"{cards['streams']:,}",
            "Tracks": f"{cards['tracks']:,}", "Artists": f"{cards['artists']:,}",
            "Discovered": f"{cards['discovered']:,}",
            "Share skipped": f"{cards['skip_share']:.0%}",
            "Sessions": f"{cards['sessions']:,}",
            "Longest session": f"{cards['longest_session_minutes']:,.0f} min"}


def assert_state(page, rows) -> None:
    text = browser.shown(page, 2, ["Minutes and streams per month"])
    assert "2019-11-01 to 2020-02-29, counted in Europe/Berlin" in text
    metrics = browser.metric_values(page)
    for label, value in expected_cards(rows).items():
        assert metrics[label] == value, (label, metrics[label], value)
    charts = browser.plotly_charts(page)
    assert "Minutes and streams per month" in charts
    assert "When you listen: minutes by weekday and hour" in charts
    months = [x[:7] for x in charts["Minutes and streams per month"]["x"]]
    assert months == ["2019-11", "2019-12", "2020-01", "2020-02"]
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_role("radio", name="Month").is_checked()
    assert sidebar.get_by_role("radio", name="Minutes").is_checked()
    dates = [field.input_value()
             for field in sidebar.locator("[data-testid='stDateInput'] input").all()]
    assert dates == ["2019-11-01", "2020-02-29"]
    for words in ("granularity=month", "by=minutes", "start=2019-11-01", "end=2020-02-29"):
        assert words in page.url


def assert_top_tracks(page, rows) -> None:
    """The Top tracks tab open, and only it: its list, downloaded as CSV, is the oracle's."""
    browser.shown(page, 0, ["The top tracks of the period, by minutes"])
    assert page.get_by_role("tab", name="Top tracks").get_attribute("aria-selected") == "true"
    assert "view=tracks" in page.url and "granularity=month" in page.url
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0  # the other tab: not drawn
    with page.expect_download() as download:
        page.get_by_role("button", name="Download (CSV, 25 rows)").first.click()
    with open(download.value.path(), encoding="utf-8") as downloaded:
        table = list(csv.DictReader(downloaded))
    top = oracle.top(rows, TZ, *PERIOD, "track", "minutes", 25)
    assert [r["track_id"] for r in table] == [key for key, _, _ in top]
    assert [r["track"] for r in table] == [oracle.names(rows)[key][0] for key, _, _ in top]


def test_the_page_from_a_link_keeps_its_state_through_a_reload(use_database, monkeypatch,
                                                                tmp_path, browser_pages):
    monkeypatch.setenv("MTM_TIMEZONE", TZ)
    rows = export.generate(19, plays=2500, start=export.START).rows
    export.load(rows, tmp_path)
    with browser.running_app(app_env(DATABASE_URL=use_database, MTM_TIMEZONE=TZ)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + LINK)
        assert_state(page, rows)
        assert "view=time" in page.url
        browser.screenshot(page, "listening")
        page.reload()
        assert_state(page, rows)
        page.get_by_role("tab", name="Top tracks").click()
        page.wait_for_url("**view=tracks**")
        assert_top_tracks(page, rows)
        browser.screenshot(page, "listening-top-tracks")
        page.reload()
        assert_top_tracks(page, rows)


def test_an_empty_database_says_how_to_get_the_export(use_database, browser_pages):
    with browser.running_app(app_env(DATABASE_URL=use_database)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/listening?granularity=day")
        text = browser.shown(page, 0, ["Extended streaming history"])
        assert "Account → Privacy settings" in text and "30 days" in text
        browser.screenshot(page, "listening-empty")
        # The way in: the page's link to the Data page, there to click.
        page.get_by_role("link", name="Import your streaming history on the Data page").click()
        page.wait_for_url("**/data")
        page.get_by_role("heading", name="Data").first.wait_for()
