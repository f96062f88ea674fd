"""Migrating the earlier app's SQLite file: its tracks, then its snapshots, in one transaction.

The file must have the earlier app's schema (``tracks`` and ``snapshots`` with their columns).
Rows are streamed (read, checked and copied in chunks, never held whole). Every row whose
raw_json is not valid JSON (or not an object), whose name is missing, or whose snapshot is not a
valid row or names a track the file and the database do not have is reported by its key, and
the file is refused: nothing is written, nothing is dropped silently. Running it again changes
nothing (the report counts everything as unchanged).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from db.errors import InvalidData, first_line
from db.ingest import (
    MAX_PROBLEMS_LISTED,
    Counts,
    ImportRejected,
    ImportReport,
    Progress,
    check_size,
    record,
)
from db.model import access, bulk
from db.model.snapshots import SNAPSHOT_COLUMNS, merge_staged_ranks, snapshot_row
from db.model.tracks import MAX_INT4, ON_CONFLICT_TRACK, TRACK_COLUMNS
from db.pool import connection

CHUNK = 5000
SCHEMA = {
    "tracks": {"track_id", "name", "artist_name", "album_name", "duration_ms", "spotify_url",
               "raw_json"},
    "snapshots": {"track_id", "snapshot_date", "time_range", "rank"},
}


def open_sqlite(path: Path, source: str) -> sqlite3.Connection:
    """The file, read-only, once it is known to be a SQLite database with the earlier app's
    schema; ImportRejected (naming it ``source``) otherwise."""
    check_size(path, source)
    with open(path, "rb") as head:
        if head.read(16) != b"SQLite format 3\x00":
            raise ImportRejected(source, ["not a SQLite database"])
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        for table, wanted in SCHEMA.items():
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if not have:
                raise ImportRejected(source, [f"no table {table!r}: not the earlier Music "
                                              "Time Machine's database"])
            if missing := wanted - have:
                raise ImportRejected(source, [f"table {table!r} lacks the column(s) "
                                              f"{', '.join(sorted(missing))}: another schema"])
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ImportRejected(source, [f"not a readable SQLite database ({exc})"]) from None
    except BaseException:
        db.close()
        raise
    return db


def import_sqlite(path: Path | str, grant: access.Grant | None, *, dry_run: bool = False,
                  source: str | None = None, progress: Progress | None = None,
                  conn: psycopg.Connection | None = None) -> ImportReport:
    """Tracks before snapshots, one transaction, verified; a dry run rolls back."""
    access.check(grant)
    path = Path(path)
    source = source or path.name
    db = open_sqlite(path, source)
    report = ImportReport(source, "sqlite", dry_run=dry_run)
    problems = _Problems()
    try:
        totals = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SCHEMA}
        report.read = dict.fromkeys(SCHEMA, 0)
        with connection(conn) as c, c.transaction(force_rollback=dry_run):
            bulk.stage(c, "tracks", TRACK_COLUMNS, _checked_rows(
                db, "tracks", "SELECT track_id, name, artist_name, album_name, duration_ms, "
                "spotify_url, raw_json FROM tracks ORDER BY track_id", _track, report, problems,
                progress, totals["tracks"]))
            # Every bad row is found before refusing, so that the line names them all by key.
            report.tracks = Counts(*bulk.merge_staged(c, "tracks", TRACK_COLUMNS, ("track_id",),
                                                      ON_CONFLICT_TRACK))
            bulk.stage(c, "snapshots", SNAPSHOT_COLUMNS, _checked_rows(
                db, "snapshots", "SELECT track_id, snapshot_date, time_range, rank FROM "
                "snapshots ORDER BY track_id, snapshot_date, time_range", _snapshot, report,
                problems, progress, totals["snapshots"]))
            missing, first = bulk.staged_orphans(c, "snapshots", "track_id", "tracks",
                                                 excluding=sorted(problems.bad_tracks))
            for t, d, r, _ in first:
                problems.add(f"snapshot {(t, d.isoformat(), r)!r}: names a track the file "
                             "does not have")
            problems.count += missing - len(first)
            _refuse_if(source, problems)
            report.snapshots = Counts(*merge_staged_ranks(c))
            record(c, report)
    except sqlite3.DatabaseError as exc:
        raise ImportRejected(source, [f"the SQLite file cannot be read: {exc}"]) from None
    except psycopg.DataError as exc:
        raise ImportRejected(source, [f"rejected by the database: {first_line(exc)}"]) from None
    finally:
        db.close()
    return report


class _Problems:
    """What is wrong with the file: all counted, the first MAX_PROBLEMS_LISTED kept."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0
        self.bad_tracks: set[str] = set()  # their snapshots are not reported again as orphans

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_PROBLEMS_LISTED:
            self.listed.append(problem)


def _refuse_if(source: str, problems: _Problems) -> None:
    if problems.count:
        raise ImportRejected(source, problems.listed, problems.count)


def _checked_rows(db: sqlite3.Connection, table: str, query: str,
                  check: Callable[[tuple], tuple[tuple | None, str | None]],
                  report: ImportReport, problems: _Problems, progress: Progress | None,
                  total: int) -> Iterator[tuple]:
    """The rows ``query`` reads, chunk by chunk, that ``check`` passes; the others' problems."""
    cursor = db.execute(query)
    while chunk := cursor.fetchmany(CHUNK):
        for row in chunk:
            report.read[table] += 1
            value, problem = check(row)
            if problem:
                problems.add(problem)
                if table == "tracks" and isinstance(row[0], str):
                    problems.bad_tracks.add(row[0])
            else:
                yield value
        if progress:
            progress(table, report.read[table], total)


def _track(row: tuple) -> tuple[tuple | None, str | None]:
    problem = _track_problem(row)
    return (None, f"track {row[0]!r}: {problem}") if problem else (row, None)


def _snapshot(row: tuple) -> tuple[tuple | None, str | None]:
    try:
        return snapshot_row(row), None
    except InvalidData as exc:
        return None, f"snapshot {tuple(row[:3])!r}: {str(exc).split(': ', 1)[-1]}"


def _track_problem(row: tuple) -> str | None:
    track_id, name, _, _, duration, _, raw = row
    if not isinstance(track_id, str) or not track_id.strip():
        return "track_id must be non-empty text"
    if not isinstance(name, str):
        return "name is missing"
    if duration is not None and (not isinstance(duration, int) or not 0 <= duration <= MAX_INT4):
        return f"duration_ms must be a whole number of milliseconds, not {duration!r}"
    if not isinstance(raw, str):
        return "raw_json is missing"
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        return f"raw_json is not valid JSON ({getattr(exc, 'msg', 'nested too deeply')})"
    if not isinstance(payload, dict):
        return "raw_json is not a JSON object"
    if "\\u0000" in raw:
        return "raw_json holds a \\u0000 character, which PostgreSQL's jsonb cannot store"
    return None
