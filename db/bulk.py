"""Batch upserts: pipelined statements for small batches, COPY into a staging table for large.

COPY plus one INSERT ... SELECT ... ON CONFLICT is about twice as fast as 20,000 pipelined
INSERTs (scripts/bench_writes.py), and the same ON CONFLICT clause decides what changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

COPY_THRESHOLD = 1000


def upsert_rows(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: list[tuple],
                on_conflict: str, casts: dict[str, str] | None = None) -> None:
    """INSERT ``rows`` into ``table`` with ``on_conflict``; must run inside a transaction.

    ``casts`` maps a column to the type its text parameter is cast to (e.g. raw_json: jsonb).
    ``rows`` must not repeat a conflict key (ON CONFLICT cannot touch one row twice).
    """
    casts = casts or {}
    target = sql.Identifier(table)
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    tail = sql.SQL(on_conflict)
    if len(rows) < COPY_THRESHOLD:
        values = sql.SQL(", ").join(
            sql.SQL("%s::" + casts[c]) if c in casts else sql.SQL("%s") for c in columns)
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) {}").format(target, names, values, tail)
        with conn.cursor() as cur:
            cur.executemany(statement, rows)
        return
    staging = sql.Identifier(f"{table}_staging")
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                 .format(staging, names, target))
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, names)) as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} {}")
                    .format(target, names, names, staging, tail))
    conn.execute(sql.SQL("DROP TABLE {}").format(staging))
