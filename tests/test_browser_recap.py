"""The year in review in Chromium: opened from a link it shows that year beside the year before,
keeps it through a reload, and another year's link shows that year. Screenshot in
test-artifacts/recap.png (the README's docs/img/recap.png is a copy of it)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from support import browser
from support import history_export as export
from support import listening_oracle as oracle
from support.browser import app_env

TZ = "Asia/Tokyo"
START = dt.datetime(2020, 12, 1, 7, tzinfo=dt.UTC)


def expected(rows, year: int) -> list[str]:
    """What the page of `year` must show: its caption, both years' streams, and their top tracks
    and artists as links to their views (the grid draws a link's name on its canvas; its
    accessible cells hold the URL)."""
    now, before = oracle.recap(rows, TZ, year), oracle.recap(rows, TZ, year - 1)
    return [f"{year}, beside {year - 1}, counted in the time zone {TZ}",
            f"{now['streams']:,}", f"{before['streams']:,}",
            *(f"tracks?track={t}#" for t, _, _ in now["top_tracks"] + before["top_tracks"]),
            *(f"tracks?artist={quote(a, safe='')}"
              for a, _, _ in now["top_artists"] + before["top_artists"])]


def test_a_year_from_a_link_keeps_through_a_reload_and_links_to_the_others(
        use_database, monkeypatch, tmp_path, browser_pages):
    monkeypatch.setenv("MTM_TIMEZONE", TZ)
    rows = export.generate(20, plays=600, start=START).rows
    export.load(rows, tmp_path)
    years = oracle.years(rows, TZ)
    year, other = years[-2], years[-1]
    with browser.running_app(app_env(DATABASE_URL=use_database, MTM_TIMEZONE=TZ)) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/recap?year={year}")
        wanted = expected(rows, year)
        text = browser.shown(page, 1, wanted)
        assert [w for w in wanted if w not in text] == [], text
        page.reload()
        again = browser.shown(page, 1, wanted)
        for words in wanted:
            assert words in again, ("after a reload", words)
        assert page.url.endswith(f"/recap?year={year}")

        main = page.locator("[data-testid='stMain']")
        links = main.locator("[data-testid='stPageLink-NavLink'][href*='recap?year=']")
        assert links.all_inner_texts() == [str(y) for y in sorted(years, reverse=True)
                                           if y != year]  # the year shown is not a link
        links.filter(has_text=str(other)).click()
        # Streamlit moves to the page in the same document (history.pushState): no load event.
        page.wait_for_function("y => location.search === `?year=${y}`", arg=other)
        wanted = expected(rows, other)
        text = browser.shown(page, 1, wanted)
        for words in wanted:
            assert words in text, ("after following the link", words)
        assert main.get_by_role("heading", name=str(other), exact=True).count() == 1
        browser.screenshot(page, "recap")
