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
    with connection(conn) as c, c.transaction():
        c.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
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
                failure = exc
                break
            applied.append(migration)
    if failure is not None:
        raise failure
    return applied
