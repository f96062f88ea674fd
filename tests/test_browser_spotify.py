"""The Spotify connection in Chromium, end to end against the local fake (tests/support/fake_spotify.py):
the Connect link goes to the accounts service, which sends the browser back to the app in a new
tab; the app finishes connecting there, takes the code out of the address, syncs with progress
and a report, refuses a forged answer, and disconnects. No token reaches a page or the app's log.
"""

from __future__ import annotations

import os

import psycopg

from support import browser
from support.browser import app_env, open_data_page, settled
from support.fake_spotify import TOKEN_MARK

LOG = browser.ARTIFACTS.parent / ".streamlit-test.log"


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']").replace("\u2060", "")


def shown(page, expected: str, pages: list[str], screenshot: str | None = None) -> str:
    """Wait for ``expected`` and for the script to finish; keep the page's HTML (to look for
    tokens in) and return its main text."""
    page.get_by_text(expected).wait_for(timeout=60_000)
    settled(page)
    if screenshot:
        browser.screenshot(page, screenshot)
    pages.append(page.content())
    return main_text(page)


def test_connect_sync_and_disconnect(use_database, fake, browser_pages):
    port = browser.free_port()
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"],
                  **fake.env(f"http://127.0.0.1:{port}/data"))
    log_start = LOG.stat().st_size if LOG.exists() else 0
    pages: list[str] = []
    with browser.running_app(env, port=port) as url:
        page = open_data_page(browser_pages, url)
        page.get_by_text("Connect your Spotify account").wait_for()
        browser.screenshot(page, "spotify-connect")
        with page.context.expect_page() as opened:
            page.get_by_role("link", name="Connect Spotify").click()
        back = opened.value  # Spotify's page would be here; the fake agrees at once
        shown(back, "Connected to Spotify as Ada Listener", pages)
        address = back.url
        back.get_by_role("button", name="Sync now").click()
        report = shown(back, "Spotify top tracks:", pages, "spotify-synced")
        fake.revoke_all()  # the owner removed the app on Spotify's side
        back.get_by_role("button", name="Sync now").click()
        revoked = shown(back, "The sync wrote nothing", pages)

        forged = open_data_page(browser_pages, f"{url}/data?code=code1&state=forged")
        refused = shown(forged, "Spotify was not connected", pages)

        back.reload()
        back.get_by_role("button", name="Disconnect").click()
        disconnected = shown(back, "Disconnected: the refresh token is deleted", pages,
                             "spotify-disconnected")
    assert address == f"{url}/data"  # code and state are gone from the address bar
    assert "ranks: 186 new, 0 updated, 0 unchanged, 0 removed" in report
    assert "Imports and syncs so far" in report and "Spotify top tracks" in report
    assert "Spotify refused renewing access (invalid_grant: Refresh token revoked): reconnect " \
        "your account (on the Data page: Disconnect, then Connect Spotify)" in revoked
    assert "does not match a connection started here" in refused
    assert "Connect Spotify" in disconnected
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT count(*) FROM spotify_account").fetchone()[0] == 0
        assert conn.execute("SELECT count(DISTINCT time_range) FROM snapshots").fetchone()[0] == 3
    with open(LOG, "rb") as log:
        log.seek(log_start)
        app_log = log.read().decode("utf-8", "replace")
    for text in [*pages, app_log]:
        assert TOKEN_MARK not in text
