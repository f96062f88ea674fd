"""Versioned schema migrations: ``NNNN_name.sql`` files applied in order.

All pending migrations run in one transaction under an advisory lock, each in a savepoint together
with its row in ``schema_migrations``, so that an app and a CLI starting at once apply each file
exactly once, and a failing file leaves no trace while the ones before it are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from db import config
from db.errors import DatabaseError
from db.pool import connection

MIGRATIONS_DIR = Path(__file__).parent
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# pg_advisory_xact_lock key: any constant unique to this app ("mtm" + "migr").
_LOCK_KEY = 0x6D746D_6D696772

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def available() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migration files share a version number")
    return found


def latest_version() -> int:
    return max((m.version for m in available()), default=0)


def current_version(conn: psycopg.Connection | None = None) -> int:
    """The highest applied version; 0 for a database this app has never touched."""
    with connection(conn) as c:
        exists = c.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
        if not exists:
            return 0
        return c.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(conn: psycopg.Connection | None = None) -> list[Migration]:
    """Apply every pending migration in order; return the ones applied (none when up to date).

    One transaction holds the lock for the whole run, so that of several processes starting at
    once, one applies everything pending and the others then find nothing to do. Each migration
    runs in a savepoint of its own: one that fails is undone alone, the ones before it are kept,
    and its error is raised after they commit.
    """
    applied: list[Migration] = []
    failure: BaseException | None = None
    wait_s = config.migration_lock_wait()
    with connection(conn) as c:
        try:
            with c.transaction():
                # Bounds the wait for the lock, and for each migration's table locks.
                c.execute("SELECT set_config('lock_timeout', %s, true)", (str(wait_s * 1000),))
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                failure = _apply_pending(c, applied)
        except psycopg.errors.LockNotAvailable as exc:
            failure = exc
        if isinstance(failure, psycopg.errors.LockNotAvailable):
            raise DatabaseError(_lock_wait_message(c, wait_s)) from None
    if failure is not None:
        raise failure
    return applied


def _apply_pending(c: psycopg.Connection, applied: list[Migration]) -> psycopg.Error | None:
    """Apply what is pending in the transaction holding the lock; the error of the first
    migration that fails (after it, none is tried)."""
    c.execute(_CREATE_TABLE)
    done = {v for (v,) in c.execute("SELECT version FROM schema_migrations")}
    for migration in available():
        if migration.version in done:
            continue
        try:
            with c.transaction():
                c.execute(migration.sql)
                c.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
        except psycopg.Error as exc:
            return exc
        applied.append(migration)
    return None


def _lock_wait_message(c: psycopg.Connection, wait_s: int) -> str:
    """Say what the wait was for, and who holds it (the lock key's halves, as pg_locks shows
    an advisory lock on a bigint)."""
    holder = c.execute(
        """SELECT a.pid, a.application_name, extract(epoch FROM now() - a.xact_start)::int
           FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
             AND l.classid = %s AND l.objid = %s""",
        (_LOCK_KEY >> 32, _LOCK_KEY & 0xFFFFFFFF)).fetchone()
    who = "another session"
    if holder:
        pid, app, seconds = holder
        who = (f"process {pid} ({app or 'no application name'}, in its transaction for "
               f"{seconds} s; end it with SELECT pg_terminate_backend({pid}) if it is stuck)")
    return (f"gave up after waiting {wait_s} s for the schema-migration lock (or a table lock a "
            f"migration needs), held by {who}. Another app start or `python -m db migrate` may "
            f"be applying migrations: try again when it is done (MTM_MIGRATION_LOCK_WAIT_S).")
