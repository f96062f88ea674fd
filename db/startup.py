"""What the app and the CLI do before anything else: find the database, open the pool, migrate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from db import config, migrations
from db.ingest import demo
from db.model import access, meta
from db.pool import connection, get_pool

# The embedded server's first start fills it with this much demo data (a few seconds).
EMBEDDED_DEMO = {"tracks": 2000, "days": 365, "seed": 42}


@dataclass(frozen=True)
class Startup:
    target: config.DatabaseTarget
    migrations_applied: int
    demo_seeded: dict | None


def prepare(secrets: Mapping | None = None, *, seed_embedded_demo: bool = True) -> Startup:
    """Resolve the database, open the shared pool and bring the schema up to date.

    On the embedded server's first start (an empty database never seeded before), load demo data.
    A database the user named is never seeded unasked.
    """
    target = config.resolve(secrets)
    access.read_only()  # an MTM_READ_ONLY it does not know stops everything here, in one line
    get_pool()
    applied = migrations.migrate()
    seeded = None
    if target.embedded and seed_embedded_demo:
        seeded = _seed_if_new()
    return Startup(target, len(applied), seeded)


def _seed_if_new() -> dict | None:
    with connection() as conn:
        if meta.get_meta(meta.DEMO_KEY, conn) is not None:
            return None
        if conn.execute("SELECT EXISTS (SELECT 1 FROM tracks)").fetchone()[0]:
            return None
    return demo.seed_demo(**EMBEDDED_DEMO)
