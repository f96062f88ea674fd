"""Small facts about the database kept in app_meta (for example: it holds demo data)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from db.pool import connection

DEMO_KEY = "demo_data"


GET_SQL = "SELECT value FROM app_meta WHERE key = %s"


def get_meta(key: str, conn: psycopg.Connection | None = None) -> Any:
    with connection(conn) as c:
        row = c.execute(GET_SQL, (key,)).fetchone()
    return None if row is None else row[0]


def set_meta(key: str, value: Any, conn: psycopg.Connection | None = None) -> None:
    with connection(conn) as c:
        c.execute(
            """
            INSERT INTO app_meta (key, value) VALUES (%s, %s)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
            """,
            (key, Jsonb(value)),
        )
