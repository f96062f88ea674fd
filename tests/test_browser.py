"""The app in a real browser: `streamlit run` and Debian's Chromium, as a user opens it."""

import os
import re
from pathlib import Path

import psycopg
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from db.ingest import demo

from support import browser, semantics
from support.browser import app_env
from support.databases import as_url

END = demo.dt.date(2026, 6, 30)


def open_dashboard(browser_pages, url, name):
    page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    browser.wait_until_ready(page, charts=1)
    browser.screenshot(page, name)
    return browser.metric_values(page), page.inner_text("body")


def test_dashboard_of_a_named_database(use_database, browser_pages):
    demo.seed_demo(tracks=300, days=20, seed=4, end=END)
    with browser.running_app(app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])) as url:
        values, text = open_dashboard(browser_pages, url, "dashboard-demo")
    assert values["Tracks"] == "300" and values["Snapshot days"] == "20"
    assert "demo data" in text


def test_deployed_the_way_community_cloud_runs_it(use_database, tmp_path, browser_pages):
    """Community Cloud clones the repository, runs streamlit_app.py from its root with what
    requirements.txt installs, and writes the app's Secrets box to .streamlit/secrets.toml; no
    environment variable names the database."""
    demo.seed_demo(tracks=120, days=10, seed=8, end=END)
    clone = browser.checkout(tmp_path / "clone")
    assert {"requirements.txt", "streamlit_app.py"} <= {p.name for p in clone.iterdir()}
    assert (clone / ".streamlit" / "config.toml").is_file()
    assert not (clone / ".streamlit" / "secrets.toml").exists()
    url = as_url(psycopg.conninfo.make_conninfo(use_database, password="s3cret-Pw"))
    (clone / ".streamlit" / "secrets.toml").write_text(
        f'DATABASE_URL = "{url}"\nMTM_PREPARED_STATEMENTS = "off"\n')
    dbname = psycopg.conninfo.conninfo_to_dict(use_database)["dbname"]
    env = app_env(HOME=os.environ["HOME"], DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
                  MTM_EXPECT_DATABASE=dbname)
    with browser.running_app(env, cwd=clone) as app_url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        browser.wait_until_ready(page, charts=3)
        browser.screenshot(page, "dashboard-deployed-with-secrets")
        values, text = browser.metric_values(page), page.inner_text("body")
        background = page.evaluate(
            "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        html = page.content()
    assert values["Tracks"] == "120" and values["Snapshot days"] == "10"
    # Visitors see the kind of database and its host: no password, user or database name.
    assert re.search(r"Database: (PostgreSQL at \S+|a PostgreSQL server on this machine)", text)
    assert "s3cret-Pw" not in html and dbname not in html and "postgres@" not in html
    # The dark theme of .streamlit/config.toml (without it: Streamlit's light default here).
    assert sum(map(int, re.findall(r"\d+", background))) < 3 * 64, background


def test_embedded_first_start_shows_demo_and_a_restart_shows_the_same(tmp_path, browser_pages):
    env = app_env(MTM_DATA_DIR=str(tmp_path / "mtm"), HOME=os.environ["HOME"])
    with browser.running_app(env, timeout=120) as url:
        first, text = open_dashboard(browser_pages, url, "dashboard-embedded-first-start")
    assert "demo data" in text
    assert first["Tracks"] == "2,000" and first["Snapshot days"] == "365"
    with browser.running_app(env) as url:
        second, _ = open_dashboard(browser_pages, url, "dashboard-embedded-second-start")
    assert second == first
    assert not (tmp_path / "mtm" / "pgdata" / "postmaster.pid").exists()


def test_a_link_opens_with_its_filter_and_the_numbers_match(use_database, browser_pages):
    demo.seed_demo(tracks=300, days=40, seed=6, end=END)
    tracks = demo.generate_tracks(300, seed=6)
    snapshots = list(demo.generate_snapshots([t["id"] for t in tracks], 40, END, seed=6))
    start, end = demo.dt.date(2026, 6, 1), demo.dt.date(2026, 6, 14)
    link = f"/?start={start}&end={end}&time_range=medium_term"
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + link)
        browser.wait_until_ready(page, charts=3)
        browser.screenshot(page, "dashboard-filtered-by-link")
        values = browser.metric_values(page)
        charts = browser.plotly_charts(page)
        chosen_range = page.get_by_role("combobox", name="Time range").input_value()
        period = page.get_by_role("combobox", name="Period").input_value()
        dates = [field.input_value() for field in
                 page.locator("[data-testid='stDateInput'] input").all()]
        assert page.url.endswith(link)

    assert (chosen_range, period) == ("Medium term (about 6 months)", "Custom range")
    assert dates == ["2026-06-01", "2026-06-14"]
    chosen = semantics.selected(tracks, snapshots, start, end, "medium_term")
    assert values["Tracks"] == f"{len(chosen):,}"
    assert values["Snapshot days"] == str(semantics.snapshot_days(snapshots, start, end, "medium_term"))
    assert set(charts) == {"Release decades", "Explicit vs clean", "Release years (newest first)"}
    decades = charts["Release decades"]
    assert dict(zip(decades["x"], decades["y"], strict=True)) == semantics.decades(chosen)
    years = charts["Release years (newest first)"]
    assert dict(zip(years["x"], years["y"], strict=True)) == semantics.years(chosen)
    explicit = charts["Explicit vs clean"]
    assert dict(zip(explicit["labels"], explicit["values"], strict=True)) == semantics.explicit(chosen)


def test_stress_test_button_reports_and_the_dashboard_is_unchanged(use_database, chrome):
    demo.seed_demo(tracks=150, days=15, seed=8, end=END)
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = chrome.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(url)
        browser.wait_until_ready(page, charts=3)
        before = browser.metric_values(page)
        page.get_by_text("Stress test", exact=True).click()
        # What a visitor waits for: the expander has finished opening. While its 500 ms height
        # animation runs the button is clipped; Playwright would scroll the expander's box to
        # reach it, the growing box scrolls it back, and a press on the button released on the
        # text above it clicks neither (tests/test_stress_click.py tells the whole story).
        page.wait_for_function("""() => {
            const box = Array.from(document.querySelectorAll(
                    "[data-testid='stSidebar'] [data-testid='stExpander'] details"))
                .find(d => d.querySelector('summary')?.innerText.includes('Stress test'));
            const button = Array.from(box?.querySelectorAll('button') ?? [])
                .find(b => b.innerText.trim() === 'Run stress test');
            return !!box && box.open && box.getAnimations().length === 0 && box.scrollTop === 0
                && !box.style.height && !!button && !button.disabled;
        }""", timeout=30_000)  # ... and its button is there, enabled
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        button = page.get_by_role("button", name="Run stress test")
        button.click()
        try:  # a lost click is its own failure, not a slow run
            page.wait_for_function("""() => {
                const sidebar = document.querySelector("[data-testid='stSidebar']");
                const button = Array.from(sidebar.querySelectorAll('button'))
                    .find(b => b.innerText.trim() === 'Run stress test');
                return (button && button.disabled) || /writes completed in/.test(sidebar.innerText)
                    || !!sidebar.querySelector("[data-testid='stProgress']");
            }""", timeout=20_000)
        except PlaywrightTimeout:
            browser.screenshot(page, "stress-test-not-started")
            raise AssertionError(
                f"the click did not start a run within 20 s; button disabled: "
                f"{button.is_disabled()}; sidebar: "
                f"{page.inner_text('[data-testid=stSidebar]')[-400:]!r}") from None
        sentence = page.get_by_text(re.compile(r"^500 writes completed in \d+\.\d\ds$"))
        try:
            sentence.wait_for(timeout=60_000)
        except PlaywrightTimeout:  # say what the page showed: a run still going (its stage), an
            browser.screenshot(page, "stress-test-timeout")  # error, or a missed rerun
            raise AssertionError(
                f"the run started but gave no result after 60 s; button disabled: "
                f"{button.is_disabled()}; sidebar: "
                f"{page.inner_text('[data-testid=stSidebar]')[-400:]!r}") from None
        browser.wait_until_ready(page, charts=4)  # the dashboard's three and the histogram
        browser.screenshot(page, "stress-test")
        sidebar = browser.metric_values(page.locator("[data-testid='stSidebar']"))
        page.reload()
        browser.wait_until_ready(page, charts=3)
        after = browser.metric_values(page)
        page.close()
    assert sidebar["Failures"] == "0"
    assert after == before


def test_csv_download_matches_the_chart_and_empty_states_are_friendly(use_database, browser_pages):
    demo.seed_demo(tracks=120, days=12, seed=5, end=END)
    tracks = demo.generate_tracks(120, seed=5)
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        page.goto(url)
        browser.wait_until_ready(page, charts=3)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download release decades (CSV)").click()
        csv_text = Path(download.value.path()).read_text(encoding="utf-8")

        page.goto(url + "/?start=2001-01-01&end=2001-12-31")  # a period with no snapshots
        browser.wait_until_ready(page)
        browser.screenshot(page, "dashboard-nothing-matches")
        nothing = page.inner_text("[data-testid='stMain']")

        page.goto(url + "/?start=2026-06-20")  # half a range in the link
        browser.wait_until_ready(page, charts=3)
        browser.screenshot(page, "dashboard-half-range-link")
        hint = page.inner_text("[data-testid='stSidebar']")

    lines = csv_text.strip().splitlines()
    assert lines[0] == "decade,tracks"
    assert {d: int(n) for d, n in (line.split(",") for line in lines[1:])} == semantics.decades(tracks)
    assert "No tracks charted in this period" in nothing
    assert "gives only a start date" in hint


def test_filtering_in_the_sidebar_moves_the_url_and_a_reload_keeps_it(use_database, browser_pages):
    demo.seed_demo(tracks=300, days=40, seed=6, end=END)
    tracks = demo.generate_tracks(300, seed=6)
    snapshots = list(demo.generate_snapshots([t["id"] for t in tracks], 40, END, seed=6))

    def expected(start, end, time_range):
        chosen = semantics.selected(tracks, snapshots, start, end, time_range)
        return len(chosen), semantics.snapshot_days(snapshots, start, end, time_range)

    def shown(page):
        browser.wait_until_ready(page, charts=3)
        values = browser.metric_values(page)
        return int(values["Tracks"].replace(",", "")), int(values["Snapshot days"])

    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        browser.wait_until_ready(page, charts=3)

        page.get_by_role("combobox", name="Period").click()  # a preset
        page.get_by_role("option", name="Last 4 weeks").click()
        four_weeks = (END - demo.dt.timedelta(days=27), END)
        page.wait_for_url(f"**/?start={four_weeks[0]}&end={END}")
        assert shown(page) == expected(*four_weeks, None)

        page.get_by_role("button", name="Choose date range").click()  # the date picker
        calendar = page.get_by_role("dialog", name="Choose date range")
        calendar.get_by_label(re.compile(r"^\w+, June 1, 2026")).click()
        calendar.get_by_label(re.compile(r"^\w+, June 14, 2026")).click()
        page.wait_for_url("**/?start=2026-06-01&end=2026-06-14")
        page.keyboard.press("Escape")
        start, end = demo.dt.date(2026, 6, 1), demo.dt.date(2026, 6, 14)
        assert shown(page) == expected(start, end, None)
        assert page.get_by_role("combobox", name="Period").input_value() == "Custom range"

        page.get_by_role("combobox", name="Time range").click()
        page.get_by_role("option", name="Short term (about 4 weeks)").click()
        page.wait_for_url("**/?start=2026-06-01&end=2026-06-14&time_range=short_term")
        numbers = shown(page)
        assert numbers == expected(start, end, "short_term")
        browser.screenshot(page, "dashboard-filtered-in-sidebar")

        page.reload()  # a bookmark or a reload opens the same view
        assert shown(page) == numbers
        assert page.url.endswith("/?start=2026-06-01&end=2026-06-14&time_range=short_term")
        assert page.get_by_role("combobox", name="Time range").input_value() == \
            "Short term (about 4 weeks)"


def test_a_hostile_link_shows_a_hint_as_text_and_no_traceback(use_database, browser_pages):
    demo.seed_demo(tracks=80, days=6, seed=3, end=END)
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/?time_range=[sign+in](https://e.co)<script>alert(1)</script>"
                        "&start=0001-01-01&end=9999-12-31")
        browser.wait_until_ready(page, charts=3)
        browser.screenshot(page, "dashboard-hostile-link")
        sidebar = page.locator("[data-testid='stSidebar']")
        hints = sidebar.locator("[data-testid='stAlert']")
        texts = [t.replace("\u2060", "") for t in hints.all_inner_texts()]
        links = sidebar.locator("[data-testid='stAlert'] a").count()
        exceptions = page.locator("[data-testid='stException']").count()
        values, address = browser.metric_values(page), page.url
    assert exceptions == 0 and links == 0
    assert any("start date 0001-01-01 is outside 2000-01-01 to 2099-12-31" in t for t in texts)
    assert any("Unknown time_range" in t and "characters long" in t for t in texts), texts
    assert values["Tracks"] == "80"  # the bad parts left off: all time, all ranges
    assert "?" not in address  # the link now says what is in force
