"""The Data page in Chromium: bad files are refused on the page with what is wrong and nothing
changes; a good file is previewed, imported and shows on the dashboard; read-only and the admin
passphrase hold."""

from __future__ import annotations

import json
import os
import sqlite3

import psycopg

from db.ingest import demo

from support import browser
from support.browser import app_env, open_data_page, settled
from support.old_app import write_old_sqlite

END = demo.dt.date(2026, 6, 30)
CHECKSUM = ("SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM list_ranks), "
            "(SELECT count(*) FROM imports)")


def bad_files(folder):
    """name -> what the page must say about it."""
    (folder / "broken.json").write_bytes(b'{"items": [')
    (folder / "shape.json").write_text('{"artists": []}')
    (folder / "no-id.json").write_text(json.dumps({"items": [{"name": "x"}]}))
    (folder / "latin1.json").write_bytes('[{"id": "a", "name": "caf\xe9"}]'.encode("latin-1"))
    (folder / "notes.db").write_text("not a database at all")
    with sqlite3.connect(folder / "other.db") as db:
        db.execute("CREATE TABLE songs (id TEXT)")
    write_old_sqlite(folder / "corrupt.db", demo.generate_tracks(3, seed=1), [],
                     raw_rows=[("bad1", "Bad", None, None, None, None, "{oops")])
    return {"broken.json": "not valid JSON at line 1", "shape.json": "not a shape Spotify",
            "no-id.json": "items[0]: 'id' must be a non-empty string",
            "latin1.json": "not UTF-8 text", "notes.db": "not a SQLite database",
            "other.db": "no table 'tracks'", "corrupt.db": "track 'bad1': raw_json is not valid"}


def test_bad_files_are_refused_on_the_page_and_nothing_changes(use_database, tmp_path,
                                                               browser_pages):
    demo.seed_demo(tracks=40, days=4, seed=2, end=END)
    expected = bad_files(tmp_path)
    with psycopg.connect(use_database) as conn:
        before = conn.execute(CHECKSUM).fetchone()
    with browser.running_app(app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])) as url:
        page = open_data_page(browser_pages, url)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            [str(tmp_path / name) for name in expected])
        page.get_by_text("What would change").wait_for(timeout=60_000)
        settled(page)
        browser.screenshot(page, "data-bad-files")
        shown = page.inner_text("[data-testid='stMain']").replace("\u2060", "")
        sidebar = page.inner_text("[data-testid='stSidebar']")
        exceptions = page.locator("[data-testid='stException']").count()
        import_buttons = page.get_by_role("button", name="Import").count()
    assert exceptions == 0 and import_buttons == 0
    assert f"{len(expected)} of {len(expected)} files cannot be imported" in shown
    assert "Stress test" in sidebar  # the whole app, though this link was the first request
    for name, message in expected.items():
        assert f"{name}: {message}" in shown, (name, message)
    with psycopg.connect(use_database) as conn:
        assert conn.execute(CHECKSUM).fetchone() == before


def test_a_good_file_is_previewed_imported_and_shown(use_database, tmp_path, browser_pages):
    demo.seed_demo(tracks=40, days=4, seed=2, end=END)
    top = demo.generate_tracks(25, seed=77)
    (tmp_path / "top.json").write_text(json.dumps({"items": top, "offset": 0}))
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"])
    with browser.running_app(env) as url:
        page = open_data_page(browser_pages, url)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(tmp_path / "top.json"))
        page.get_by_text("What would change").wait_for(timeout=60_000)
        settled(page)
        preview = page.inner_text("[data-testid='stMain']")
        page.get_by_role("button", name="Import 1 file").click()
        page.get_by_text("top.json: imported 25 tracks").wait_for(timeout=60_000)
        settled(page)
        browser.screenshot(page, "data-imported")
        grids = page.locator("[data-testid='stDataFrame']").count()  # the imports so far
        page.goto(url)
        browser.wait_until_ready(page, charts=3)
        tracks = browser.metric_values(page)["Tracks"]
    assert "25 new, 0 updated, 0 unchanged" in preview
    assert grids == 1
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT kind, source, tracks_inserted FROM imports").fetchall() == \
            [("json", "top.json", 25)]
    assert tracks == "65"


def test_read_only_hides_imports(use_database, browser_pages):
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"], MTM_READ_ONLY="on")
    with browser.running_app(env) as url:
        page = open_data_page(browser_pages, url)
        settled(page)
        text = page.inner_text("[data-testid='stMain']")
        uploaders = page.locator("[data-testid='stFileUploader']").count()
    assert "read-only" in text and uploaders == 0


def test_the_passphrase_is_asked_before_importing(use_database, browser_pages):
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"],
                  MTM_ADMIN_PASSWORD="open sesame")
    with browser.running_app(env) as url:
        page = open_data_page(browser_pages, url)
        assert page.locator("[data-testid='stFileUploader']").count() == 0
        field = page.get_by_label("Admin passphrase")
        field.fill("open barley")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_text("Wrong passphrase").wait_for(timeout=30_000)
        field.fill("open sesame")
        page.get_by_role("button", name="Unlock").click()
        page.locator("[data-testid='stFileUploader']").wait_for(timeout=30_000)
        html = page.content()
    assert "open sesame" not in html and "open barley" not in html
