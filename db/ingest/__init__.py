"""Bringing a listener's history in. Every importer checks a whole source first, refuses it
with one line naming the problem, and writes it in one transaction (db.model.bulk says how).

This module holds what the importers share: the report (Counts, ImportReport, its ``imports``
row), the refusal (ImportRejected, problems_line) and the size limit (max_file_bytes).
``json_files``: Spotify API payloads saved as JSON (every shape the API answers in);
``legacy_sqlite``: the earlier Flask app's SQLite file; ``streaming_history``: Spotify's data
export (plays, then the lists derived from them), whose zip and files ``history_files`` opens and
whose rows ``history_rows`` reads; ``demo``: generated history from a seed; ``spotify/``: the
connected account, its daily sync of top tracks, and enrichment of tracks known only from plays.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from db.errors import InvalidData

MAX_PROBLEMS_LISTED = 20
KEYS_NAMED = 10  # a refused file's line names this many bad rows by key
Progress = Callable[[str, int, int], None]


def max_file_bytes() -> int:
    """The largest file an import reads (MTM_IMPORT_MAX_MB, default 512)."""
    raw = os.environ.get("MTM_IMPORT_MAX_MB", "").strip()
    try:
        megabytes = int(raw) if raw else 512
    except ValueError:
        raise InvalidData(f"MTM_IMPORT_MAX_MB must be a whole number, not {raw!r}") from None
    return megabytes * 1024 * 1024


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __str__(self) -> str:
        return (f"{self.inserted:,} new, {self.updated:,} updated, "
                f"{self.unchanged:,} unchanged")


@dataclass
class ImportReport:
    source: str
    kind: str
    tracks: Counts = field(default_factory=Counts)
    snapshots: Counts = field(default_factory=Counts)
    read: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    removed: int = 0  # ranks a sync took off a day's list (kept in imports.snapshots_removed)

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (f"{self.source}: {verb} {self.tracks.total:,} tracks ({self.tracks}) and "
                f"{self.snapshots.total:,} snapshot rows ({self.snapshots}); 0 rejected")


class ImportRejected(InvalidData):
    """A file with problems: nothing of it was written. ``problems`` lists them (up to
    MAX_PROBLEMS_LISTED); the message is problems_line()."""

    def __init__(self, source: str, problems: list[str], total: int | None = None) -> None:
        self.source = source
        self.problems = problems[:MAX_PROBLEMS_LISTED]
        self.total = total if total is not None else len(problems)
        super().__init__(f"{source}: {problems_line(problems, self.total)}")


def problems_line(problems: list[str], total: int) -> str:
    """The first problem in full, then the keys of the next ones (ten named in all), then how
    many more: "track 'a': raw_json is not valid JSON; also snapshot (...), track 'c' and 4 more"."""
    named = [p.split(": ", 1)[0] for p in problems[1:KEYS_NAMED]]
    line = problems[0] + (f"; also {', '.join(named)}" if named else "")
    rest = total - 1 - len(named)
    if rest > 0:
        line += f" and {rest:,} more" if named else f" (and {rest:,} more problems)"
    return line


def check_size(path: Path, source: str) -> None:
    """ImportRejected when the file cannot be read or is over MTM_IMPORT_MAX_MB."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportRejected(source, [f"cannot read the file: {exc.strerror}"]) from None
    if size > max_file_bytes():
        raise ImportRejected(source, [f"the file is {size / 2**20:,.1f} MB, over the "
                                      f"{max_file_bytes() / 2**20:,.0f} MB limit "
                                      "(MTM_IMPORT_MAX_MB)"])


def record(c: psycopg.Connection, report: ImportReport) -> None:
    """The import's row in ``imports``, in the transaction that writes its data (so a row means
    the data is there)."""
    c.execute(
        "INSERT INTO imports (kind, source, tracks_inserted, tracks_updated, tracks_unchanged,"
        " snapshots_inserted, snapshots_updated, snapshots_unchanged, snapshots_removed)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (report.kind, report.source[:500], report.tracks.inserted, report.tracks.updated,
         report.tracks.unchanged, report.snapshots.inserted, report.snapshots.updated,
         report.snapshots.unchanged, report.removed))
