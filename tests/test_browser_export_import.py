"""Spotify's data export on the Data page in Chromium (issue #18): a generated export's zip is
uploaded, checked with a dry run (counted, nothing stored), imported (the report shows), and the
time machine then shows, years back, the top list derived from it, labelled as such and with its
movement since the list before."""

from __future__ import annotations

import os

import psycopg

from support import browser
from support.browser import app_env, open_data_page, settled
from support.export_zip import FIRST, FOCUS, SECOND, TRACKS, export_rows, export_zip, unique_plays

STORED = ("SELECT (SELECT count(*) FROM plays), (SELECT count(*) FROM tracks), "
          "(SELECT count(*) FROM list_ranks), (SELECT count(*) FROM imports)")


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']").replace("\u2060", "")


def test_an_export_is_checked_imported_and_its_lists_shown_years_back(use_database, tmp_path,
                                                                        browser_pages):
    rows = export_rows()
    plays = unique_plays(rows)
    (tmp_path / "my_spotify_data.zip").write_bytes(export_zip(rows))
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"], MTM_TIMEZONE="UTC")
    with browser.running_app(env) as url:
        page = open_data_page(browser_pages, url)
        page.get_by_text("No plays imported yet.").wait_for()
        limit = page.locator("[data-testid='stFileUploaderDropzoneInstructions']").inner_text()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(tmp_path / "my_spotify_data.zip"))
        page.get_by_role("button", name="Dry run").click()
        page.get_by_text("Dry run: nothing was written").wait_for(timeout=60_000)
        settled(page)
        checked = main_text(page)
        report = dict(cells(page.locator("[data-testid='stDataFrame']").first, "Plays from"))
        with psycopg.connect(use_database) as conn:
            after_dry_run = conn.execute(STORED).fetchone()

        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Imported.", exact=True).wait_for(timeout=60_000)
        settled(page)
        browser.screenshot(page, "data-history-imported")
        imported = main_text(page)

        machine = browser_pages.new_page(viewport={"width": 1400, "height": 1100})
        machine.goto(f"{url}/time_machine?date={FOCUS.isoformat()}&time_range=short_term")
        machine.locator("[data-testid='stMain']").get_by_role(
            "heading", name="Time machine").wait_for(timeout=60_000)
        settled(machine)
        grid = cells(machine.locator("[data-testid='stDataFrame']").first, TRACKS[FIRST][0])
        browser.screenshot(machine, "time-machine-derived")
        listed = main_text(machine)
    assert "400MB per file" in limit  # .streamlit/config.toml's maxUploadSize
    assert after_dry_run == (0, 0, 0, 0)
    assert f"would add {plays:,} new plays (0 already stored, 3 repeated) and 6 new tracks; " \
           "skipped 2 podcast episodes" in checked
    assert report["Plays that would be added"] == f"{plays}"
    assert report["Plays already stored"] == "0" and report["Skipped: podcast episodes"] == "2"
    assert f"added {plays:,} new plays (0 already stored, 3 repeated) and 6 new tracks" in imported
    assert "derived lists: " in imported
    assert f"Stored so far: {plays:,} plays of 6 tracks, from 2021-" in imported
    assert "192.0.2.1" not in checked + imported  # the export's ip_addr is never shown
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT count(*) FROM plays").fetchone()[0] == plays
        assert conn.execute("SELECT kind, plays_inserted, skipped FROM imports").fetchall() == [
            ("streaming_history", plays, {"podcast episodes": 2})]
    # The list of FOCUS: SECOND streamed five times in its four weeks, FIRST three times.
    assert "derived from your streaming history" in listed.lower()
    assert f"the list of {FOCUS}" in listed
    assert [row[:3] for row in grid[:2]] == [["1", "▲ 1", TRACKS[SECOND][0]],
                                             ["2", "▼ 1", TRACKS[FIRST][0]]]



def cells(grid, holding: str) -> list[list[str]]:
    """A table's rows of cells as the grid shows them, once a cell holds ``holding``: the grid
    draws on a canvas after the script has finished, and its accessible markup holds the cells
    it has drawn."""
    grid.scroll_into_view_if_needed()
    grid.locator("[role='gridcell']", has_text=holding).first.wait_for(state="attached",
                                                                  timeout=60_000)
    return [row.locator("[role='gridcell']").all_text_contents()
            for row in grid.locator("[role='row']").all()[1:]]
