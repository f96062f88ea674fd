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
    """Create a migrated scratch database beside the resolved one, point DATABASE_URL at it for
    the duration, then drop it."""
    target = config.resolve()
    name = f"mtm_bench_{uuid.uuid4().hex[:10]}"
    params = psycopg.conninfo.conninfo_to_dict(target.url)
    with psycopg.connect(target.url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(**{**params, "dbname": name})
    previous = os.environ.get("DATABASE_URL")
    db_pool.close_pool()
    config.reset()
    os.environ["DATABASE_URL"] = url
    try:
        migrations.migrate()
        yield url
    finally:
        db_pool.close_pool()
        config.reset()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        with psycopg.connect(target.url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
