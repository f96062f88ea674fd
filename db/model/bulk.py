"""The write path for rows that come from outside: rows are COPYed into a temporary copy of their
table (streamed, never held whole), checked there when needed, then merged by one INSERT ...
SELECT ... ON CONFLICT that also says what it inserted, updated and left unchanged. Tracks,
snapshots and derived lists are written this way by every importer, the sync and enrichment.

The writers that do not merge through it, and why:
- the history import stages its plays with stage() but merges them with its own INSERT, since an
  exact play replaces the same play stored to the minute (db/ingest/streaming_history.py);
- the listening rollups (db/derive/rollups.py) are made inside the server from plays already
  stored (INSERT ... SELECT): no row crosses the wire;
- bookkeeping of one row a statement: ``imports``, ``app_meta``, the Spotify account and quota
  (db/ingest/spotify/), the stress test's lease and its own benchmark tables (db/stress/).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql


def _staging(table: str) -> sql.Identifier:
    return sql.Identifier(f"{table}_incoming")


def stage(conn: psycopg.Connection, table: str, columns: Sequence[str],
          rows: Iterable[tuple]) -> None:
    """COPY ``rows`` into a temporary copy of ``table``'s ``columns`` (dropped at commit),
    streamed: never held whole. Must run inside a transaction; then merge_staged()."""
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                 .format(_staging(table), names, sql.Identifier(table)))
    with conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(_staging(table), names)) as copy:
        for row in rows:
            copy.write_row(row)


def merge_staged(conn: psycopg.Connection, table: str, columns: Sequence[str],
                 key: Sequence[str], on_conflict: str) -> tuple[int, int, int]:
    """Upsert what stage() put aside for ``table``, and say what it did: (inserted, updated,
    unchanged), counted against what was stored before. Staged rows must not repeat a key."""
    target, staging = sql.Identifier(table), _staging(table)
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    compared = [c for c in columns if c not in key]
    new, old = (sql.SQL("({})").format(sql.SQL(", ").join(
        sql.Identifier(alias, c) for c in compared)) for alias in ("s", "t"))
    found = sql.Identifier("t", key[0])
    counts = conn.execute(sql.SQL(
        "SELECT count(*) FILTER (WHERE {found} IS NULL),"
        " count(*) FILTER (WHERE {found} IS NOT NULL AND {new} IS DISTINCT FROM {old}),"
        " count(*) FILTER (WHERE {found} IS NOT NULL AND {new} IS NOT DISTINCT FROM {old})"
        " FROM {staging} s LEFT JOIN {target} t USING ({key})").format(
            found=found, new=new, old=old, staging=staging, target=target,
            key=sql.SQL(", ").join(map(sql.Identifier, key)))).fetchone()
    conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} {}")
                 .format(target, names, names, staging, sql.SQL(on_conflict)))
    conn.execute(sql.SQL("DROP TABLE {}").format(staging))  # the next stage() may reuse the name
    return counts


def staged_orphans(conn: psycopg.Connection, table: str, column: str, parent: str,
                   limit: int = 20, excluding: Sequence[str] = ()) -> tuple[int, list[tuple]]:
    """Staged rows of ``table`` whose ``column`` names no row of ``parent`` (nor one of
    ``excluding``): how many, and the first ``limit`` of them in order (before merge_staged()
    would fail on the foreign key)."""
    where = sql.SQL("NOT EXISTS (SELECT 1 FROM {} p WHERE p.{} = s.{}) AND s.{} <> ALL(%s)").format(
        sql.Identifier(parent), sql.Identifier(column), sql.Identifier(column),
        sql.Identifier(column))
    excluded = list(excluding)
    count = conn.execute(sql.SQL("SELECT count(*) FROM {} s WHERE {}").format(
        _staging(table), where), (excluded,)).fetchone()[0]
    first = conn.execute(sql.SQL("SELECT * FROM {} s WHERE {} ORDER BY 1, 2, 3 LIMIT %s").format(
        _staging(table), where), (excluded, limit)).fetchall() if count else []
    return count, first
