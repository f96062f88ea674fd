"""A throwaway database on the resolved server, for benchmark scripts (never the user's data)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import psycopg.conninfo  # noqa: E402
from psycopg import sql  # noqa: E402

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402


@contextmanager
def scratch_database() -> Iterator[str]:
    """Create a migrated scratch database beside the resolved one and use it for the duration,
    then drop it.

    Never the user's database, wherever that is configured: this process uses the scratch one
    through config.overridden (which beats secrets and the environment) and checks that its pool
    really is connected to it; child processes get DATABASE_URL and MTM_EXPECT_DATABASE, with
    which the app refuses to start on any other database (tests/support/browser.py's running_app also
    gives them a HOME and a working directory without secrets files)."""
    target = config.resolve()
    name = f"mtm_bench_{uuid.uuid4().hex[:10]}"
    params = psycopg.conninfo.conninfo_to_dict(target.url)
    with psycopg.connect(target.url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(**{**params, "dbname": name})
    saved = {key: os.environ.get(key) for key in ("DATABASE_URL", config.EXPECT_DATABASE)}
    db_pool.close_pool()
    try:
        with config.overridden(url, "a scratch database"):
            os.environ.update({"DATABASE_URL": url, config.EXPECT_DATABASE: name})
            with db_pool.connection() as conn:
                connected_to = conn.execute("SELECT current_database()").fetchone()[0]
            if connected_to != name:
                raise RuntimeError(f"scratch database {name} expected, connected to another")
            migrations.migrate()
            yield url
            db_pool.close_pool()
    finally:
        db_pool.close_pool()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with psycopg.connect(target.url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def existing_or_scratch(name: str | None, script: str) -> Iterator[tuple[str, bool]]:
    """(url, is_scratch): the database `name` on the resolved server, to read only, or else a new
    scratch database (see scratch_database) for the script to fill."""
    if not name:
        with scratch_database() as url:
            yield url, True
        return
    params = psycopg.conninfo.conninfo_to_dict(config.resolve().url)
    url = psycopg.conninfo.make_conninfo(**{**params, "dbname": name})
    db_pool.close_pool()
    try:
        with config.overridden(url, f"{script} --database"):
            yield url, False
    finally:
        db_pool.close_pool()
