"""Every write a table receives, numbered in commit order, by a trigger of the test's own:
writers of one row take turns on its lock, held from the upsert (where the trigger fires) to the
commit, so the numbers are the order the writes committed in."""

from __future__ import annotations

import psycopg
from psycopg import sql

_INSTALL = """
CREATE SEQUENCE writes_seen_order;
CREATE TABLE writes_seen (n bigint PRIMARY KEY, rank integer NOT NULL);
CREATE FUNCTION write_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.writes_seen VALUES (nextval('public.writes_seen_order'), NEW.rank);
    RETURN NULL;
END $$;
CREATE TRIGGER write_seen AFTER INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION write_seen();
"""


def install(conn: psycopg.Connection, table: str) -> None:
    """Start counting the writes to ``table`` (schema-qualified, e.g. mtm_bench.snapshots)."""
    conn.execute(sql.SQL(_INSTALL).format(table=sql.Identifier(*table.split("."))))


def ranks(conn: psycopg.Connection, forget: bool = False) -> list[int]:
    """The ranks written so far, in commit order; with ``forget``, counting starts again."""
    statement = "DELETE FROM writes_seen RETURNING n, rank" if forget else \
        "SELECT n, rank FROM writes_seen"
    return [rank for _, rank in sorted(conn.execute(statement).fetchall())]
