"""Track details in Chromium (issue #24): on a database built only from Spotify's data export, the
dashboard says how many of its tracks have no details yet (of the period's, and in all), links
to the Data page, which says as many wait, and charts them as "No details yet"; once the details
arrive (the daily job, another process; or the Data page's Fetch details button, against the
local fake of Spotify) the notice is gone and the charts show release decades, with "Unknown"
only for a track Spotify no longer has. Screenshots: test-artifacts/dashboard-no-details.png,
dashboard-no-details-period.png, data-details-waiting.png, dashboard-details-arrived.png,
data-details-fetched.png and dashboard-details-unknown.png."""

from __future__ import annotations

import math
import os
from collections import Counter
from urllib.parse import urlsplit

import psycopg
import pytest

from db.ingest import streaming_history
from db.ingest.spotify import budget, enrich
from db.ingest.spotify.api import Policy
from db.model import access

from support import browser, spotify_account
from support.browser import app_env, settled
from support.export_zip import FIRST, FOCUS, SCRIPT_START, SECOND, export_rows, export_zip
from support.fake_spotify import track

OPEN = access.Grant("open")
NO_DETAILS, UNKNOWN = "No details yet", "Unknown"
CHARTS = ("Release decades", "Explicit vs clean", "Release years (newest first)")
PLOTS = "[data-testid='stPlotlyChart'] .js-plotly-plot"
# The export's six tracks get objects whose release years span five decades (1970 + n % 50).
NUMBERS = (5, 15, 25, 33, 44, 12)
# The scripted fortnight's short-term lists: only FIRST and SECOND chart there.
PERIOD_LINK = f"/?start={SCRIPT_START}&end={FOCUS}&time_range=short_term"

WAITING_SQL = ("SELECT count(*) FILTER (WHERE raw_json IS NULL AND NOT not_on_spotify), count(*)"
               " FROM tracks")
PERIOD_SQL = """
SELECT count(*) FILTER (WHERE t.raw_json IS NULL AND NOT t.not_on_spotify), count(*)
FROM tracks t
WHERE t.track_id IN (SELECT track_id FROM list_ranks
                     WHERE snapshot_date BETWEEN %s AND %s AND time_range = 'short_term')
"""


@pytest.fixture
def spotify_app(use_database, fake, monkeypatch):
    """The app's port and settings: Spotify is the local fake, for the app and for this process
    (which connects the account, as a listener would have on the Data page)."""
    port = browser.free_port()
    settings = fake.env(f"http://127.0.0.1:{port}/data")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    spotify_account.connect()
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"], MTM_TIMEZONE="UTC",
                  **settings)
    return port, env


def import_export(database_url: str) -> list[str]:
    """The export's plays, imported as on the Data page; the tracks' ids."""
    streaming_history.import_history_upload(export_zip(export_rows()), "my_spotify_data.zip", OPEN)
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT track_id FROM tracks ORDER BY track_id")]


def counts(database_url: str, sql: str, *params) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchone()


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']").replace("\u2060", "")


def open_dashboard(page, address: str) -> dict[str, dict]:
    """The dashboard at ``address``, ready: its three charts' data, by title."""
    page.goto(address)
    browser.wait_until_ready(page)
    # wait_until_ready(charts=3) counts Plotly's SVG layers, several to a chart: it can return
    # while a chart is still to come. Wait for three plots that hold their data and title.
    page.wait_for_function(f"""n => {{
        const plots = document.querySelectorAll("{PLOTS}");
        return plots.length >= n && Array.from(plots).every(el => el.data && el.layout?.title);
    }}""", arg=len(CHARTS), timeout=60_000)
    charts = browser.plotly_charts(page)
    assert set(charts) == set(CHARTS), charts.keys()
    return charts


def notices(page):
    return page.locator("[data-testid='stAlert']", has_text="have no details yet")


def bars(chart: dict) -> dict:
    return dict(zip(chart["x"], chart["y"], strict=True))


def slices(chart: dict) -> dict:
    return dict(zip(chart["labels"], chart["values"], strict=True))


def expected_notice(period: int, tracks: int, everywhere: int) -> list[str]:
    days = math.ceil(everywhere / (budget.DEFAULT_DAILY - budget.SYNC_REQUESTS))
    which = f"All {tracks:,}" if period == tracks else f"{period:,} of the {tracks:,}"
    more = f"; {everywhere:,} tracks in all are waiting" if everywhere > period else ""
    return [f"{which} tracks here have no details yet.",
            "They came from your streaming history",
            "when you fetch them on the Data page or when the daily job (python -m db "
            f"sync-spotify) runs{more}.",
            f"At {budget.DEFAULT_DAILY:,} requests a day, within Spotify's limit, that takes "
            f"about {days:,} day{'s' if days != 1 else ''}"]


def objects_for(ids: list[str]) -> list[dict]:
    return [track(number, id=tid) for number, tid in zip(NUMBERS, ids, strict=True)]


def decade(obj: dict) -> str:
    return f"{int(obj['album']['release_date'][:4]) // 10 * 10}s"


def test_the_dashboard_says_what_awaits_details_links_to_the_data_page_and_catches_up(
        use_database, spotify_app, fake, browser_pages):
    ids = import_export(use_database)
    waiting, tracks = counts(use_database, WAITING_SQL)
    in_period, period_tracks = counts(use_database, PERIOD_SQL, SCRIPT_START, FOCUS)
    # What the test relies on: every track waits; the period holds fewer than the library.
    assert (waiting, tracks) == (len(ids), len(ids)) and len(ids) == 6
    assert in_period == period_tracks and 0 < period_tracks < tracks
    port, env = spotify_app
    with browser.running_app(env, port=port) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1100})
        charts = open_dashboard(page, url)
        notice = [n.inner_text() for n in notices(page).all()]
        browser.screenshot(page, "dashboard-no-details")
        assert len(notice) == 1, notice
        for words in expected_notice(waiting, tracks, waiting):
            assert words in notice[0], (words, notice[0])
        # Every chart counts all of them as No details yet (not Unknown: nothing is known
        # to be missing).
        assert bars(charts["Release decades"]) == {NO_DETAILS: tracks}
        assert bars(charts["Release years (newest first)"]) == {NO_DETAILS: tracks}
        assert slices(charts["Explicit vs clean"]) == {NO_DETAILS: tracks}

        # A period: its own tracks, and the library's count of those waiting.
        charts = open_dashboard(page, url + PERIOD_LINK)
        notice = [n.inner_text() for n in notices(page).all()]
        browser.screenshot(page, "dashboard-no-details-period")
        assert len(notice) == 1, notice
        for words in expected_notice(in_period, period_tracks, waiting):
            assert words in notice[0], (words, notice[0])
        assert bars(charts["Release decades"]) == {NO_DETAILS: period_tracks}

        # The way to fetch them: the notice's link to the Data page, which says as many wait.
        page.get_by_role("link", name="Fetch details on the Data page").click()
        page.wait_for_url("**/data")
        page.get_by_role("heading", name="Track details").wait_for(timeout=60_000)
        settled(page)
        data_page = main_text(page)
        browser.screenshot(page, "data-details-waiting")
        assert urlsplit(page.url).path == "/data"
        assert f"Tracks with details: 0 of {tracks}" in data_page
        assert f"Waiting for details: {waiting}." in data_page
        assert page.get_by_role("button", name="Fetch details").count() == 1

        # The details arrive from another process, as the daily job fetches them.
        objects = objects_for(ids)
        fake.register(*objects)
        report = enrich.enrich_tracks(OPEN, policy=Policy(timeout=(30.0, 60.0)))
        assert (report.enriched, report.left) == (tracks, 0), report.line()

        charts = open_dashboard(page, url)
        left = notices(page).count()
        browser.screenshot(page, "dashboard-details-arrived")
        # A link with the period: every notice gone there too.
        period_charts = open_dashboard(page, url + PERIOD_LINK)
        left_in_period = notices(page).count()
    assert (left, left_in_period) == (0, 0)
    assert counts(use_database, WAITING_SQL) == (0, tracks)
    # Decades oldest first, each its own bar.
    assert list(bars(charts["Release decades"]).items()) == sorted(Counter(map(decade, objects)).items())
    assert len(bars(charts["Release decades"])) == 5
    by_id = dict(zip(ids, objects, strict=True))
    assert list(bars(period_charts["Release decades"]).items()) == sorted(Counter(
        decade(by_id[tid]) for tid in (FIRST, SECOND)).items())
    explicit = sum(obj["explicit"] for obj in objects)
    assert slices(charts["Explicit vs clean"]) == {"Explicit": explicit,
                                                   "Clean": tracks - explicit}
    for chart in (charts, period_charts):
        shown = [x for c in chart.values() for x in (c["x"] or c["labels"])]
        assert NO_DETAILS not in shown and UNKNOWN not in shown, shown


def test_fetch_details_on_the_data_page_leaves_unknown_only_for_what_spotify_lacks(
        use_database, spotify_app, fake, browser_pages):
    ids = import_export(use_database)
    objects = objects_for(ids)
    gone = ids[-1]  # Spotify answers 404 for it: no longer there
    fake.register(*objects[:-1])
    waiting, tracks = counts(use_database, WAITING_SQL)
    assert (waiting, tracks) == (len(ids), len(ids)) and len(ids) == 6
    port, env = spotify_app
    with browser.running_app(env, port=port) as url:
        page = browser_pages.new_page(viewport={"width": 1400, "height": 1100})
        open_dashboard(page, url)
        assert notices(page).count() == 1
        page.get_by_role("link", name="Fetch details on the Data page").click()
        page.wait_for_url("**/data")
        page.get_by_role("button", name="Fetch details").click()
        page.get_by_text("Spotify track details: fetched for").wait_for(timeout=60_000)
        settled(page)
        fetched = main_text(page)
        browser.screenshot(page, "data-details-fetched")
        charts = open_dashboard(page, url)
        left = notices(page).count()
        browser.screenshot(page, "dashboard-details-unknown")
    assert (f"fetched for {tracks - 1} tracks (0 from saved and recently played, {tracks - 1} "
            "one by one), 1 no longer on Spotify") in fetched
    assert f"Tracks with details: {tracks - 1} of {tracks}" in fetched
    assert "No longer on Spotify (Unknown on the charts): 1." in fetched
    assert "Waiting for details" not in fetched
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT track_id FROM tracks WHERE not_on_spotify").fetchall() == \
            [(gone,)]
    assert left == 0
    assert list(bars(charts["Release decades"]).items()) == [
        *sorted(Counter(map(decade, objects[:-1])).items()), (UNKNOWN, 1)]
    explicit = sum(obj["explicit"] for obj in objects[:-1])
    assert slices(charts["Explicit vs clean"]) == {
        "Explicit": explicit, "Clean": tracks - 1 - explicit, UNKNOWN: 1}
    assert list(bars(charts["Release years (newest first)"]))[-1] == UNKNOWN
    assert NO_DETAILS not in [x for c in charts.values() for x in (c["x"] or c["labels"])]
