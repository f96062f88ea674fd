"""Bringing a listener's own history in: Spotify API payloads saved as JSON files.

Accepted shapes (detected per file): one track object; a list of track objects; an object with
``tracks`` (a list, or a paging object); a paging object whose ``items`` are tracks (a top-tracks
response: with a snapshot date and time range its order becomes ranks, rank = offset + position
+ 1) or ``{"track": ...}`` entries (saved tracks, recently played).

Exact, idempotent and loud: every item is checked first and any problem refuses the whole file
with one line naming the file, the place and the problem (nothing written); a file is one
transaction, with its row in ``imports``; the report counts what was inserted, updated and left
unchanged, so importing a file twice says "unchanged" the second time. A dry run does all of it
and rolls back. Only a Grant (db.model.access) may write.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from db.errors import InvalidData, first_line
from db.ingest import Counts, ImportRejected, ImportReport, check_size, record
from db.model import access, bulk
from db.model.snapshots import EARLIEST_DATE, SNAPSHOT_COLUMNS, TIME_RANGES, merge_staged_ranks
from db.model.tracks import ON_CONFLICT_TRACK, TRACK_COLUMNS, serialised, track_row
from db.pool import connection


def read_json(path: Path, source: str) -> Any:
    """The parsed file, or ImportRejected naming what is wrong with it (as ``source``)."""
    check_size(path, source)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRejected(source, [f"cannot read the file: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected(source, [f"not UTF-8 text (byte {exc.start:,} is "
                                      f"0x{raw[exc.start]:02x})"]) from None
    del raw
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ImportRejected(source, [f"not valid JSON at line {exc.lineno}, column "
                                      f"{exc.colno}: {exc.msg}"]) from None
    except _NotJsonNumber as exc:
        raise ImportRejected(source, [str(exc)]) from None
    except RecursionError:
        raise ImportRejected(source, ["not valid JSON: nested too deeply"]) from None


class _NotJsonNumber(ValueError):
    pass


def _no_constants(name: str) -> None:
    raise _NotJsonNumber(f"not valid JSON: {name} is not a JSON number")


@dataclass
class Parsed:
    # track_id -> row whose raw_json is still the parsed object (serialised while it is copied
    # to the database, so that the file's text is never held twice); later duplicates win
    tracks: dict[str, tuple]
    ranks: list[tuple]
    problems: list[str]


def parse_payload(data: Any, snapshot_date: dt.date | None = None,
                  time_range: str | None = None) -> Parsed:
    """Tracks (as rows of tracks) and, for a top-tracks response with a date and time range,
    snapshot rows, with every problem found, each naming its place in the file."""
    parsed = Parsed({}, [], [])
    items, offset, ranked = _items(data, parsed.problems)
    if not items and not parsed.problems:  # a success that saves nothing would mislead
        parsed.problems.append("the file holds no tracks")
    if snapshot_date is not None and not ranked and not parsed.problems:
        parsed.problems.append("ranks need a top-tracks response (an object with 'items' that "
                               "are track objects); this file is another shape")
        return parsed
    for position, (place, item) in enumerate(items):
        try:
            row = track_row(item, 1, serialise=False)
        except InvalidData as exc:  # "track 1 ('id'): what is wrong": the place says where
            parsed.problems.append(f"{place}: {str(exc).split(': ', 1)[-1]}")
            continue
        parsed.tracks[row[0]] = row
        if snapshot_date is not None and ranked:
            parsed.ranks.append((row[0], snapshot_date, time_range, offset + position + 1))
    return parsed


def _items(data: Any, problems: list[str]) -> tuple[list[tuple[str, Any]], int, bool]:
    """[(place, track object)], the paging offset, and whether the order is a ranking."""
    if isinstance(data, Mapping) and "items" in data:
        items = data["items"]
        if not isinstance(items, list):
            problems.append("'items' must be a list")
            return [], 0, False
        offset = data.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            problems.append(f"'offset' must be a whole number of at least 0, not {offset!r}")
            return [], 0, False
        if _wrapped(items):
            return _unwrapped(items, "items"), offset, False
        return [(f"items[{n}]", i) for n, i in enumerate(items)], offset, True
    if isinstance(data, Mapping) and "tracks" in data:
        inner = data["tracks"]
        if isinstance(inner, Mapping):  # a playlist or album: tracks is a paging object
            found, _, _ = _items(inner, problems)
            return [(f"tracks.{place}", item) for place, item in found], 0, False
        if not isinstance(inner, list):
            problems.append("'tracks' must be a list or a paging object")
            return [], 0, False
        return [(f"tracks[{n}]", i) for n, i in enumerate(inner)], 0, False
    if isinstance(data, list):
        if _wrapped(data):
            return _unwrapped(data, ""), 0, False
        return [(f"[{n}]", i) for n, i in enumerate(data)], 0, False
    if isinstance(data, Mapping) and ("id" in data or data.get("type") == "track"):
        return [("the track", data)], 0, False
    problems.append("not a shape Spotify's API returns for tracks (expected a track, a list of "
                    "tracks, an object with 'tracks', or a paging object with 'items')")
    return [], 0, False


def _wrapped(items: list) -> bool:
    """Saved tracks and recently played: [{"track": {...}, "added_at" or "played_at": ...}]."""
    return any(isinstance(i, Mapping) and "track" in i for i in items)


def _unwrapped(items: list, where: str) -> list[tuple[str, Any]]:
    return [(f"{where}[{n}].track", i.get("track") if isinstance(i, Mapping) else i)
            for n, i in enumerate(items)]


def check_snapshot_options(snapshot_date: str | dt.date | None, time_range: str | None
                           ) -> dt.date | None:
    """The snapshot date, checked with its time range; InvalidData names what is wrong."""
    if snapshot_date is None and time_range is None:
        return None
    if snapshot_date is None or time_range is None:
        raise InvalidData("give both a snapshot date and a time range, or neither")
    if time_range not in TIME_RANGES:
        raise InvalidData(f"unknown time range {time_range!r} (use {', '.join(TIME_RANGES)})")
    if isinstance(snapshot_date, dt.date):
        day = snapshot_date
    else:
        try:
            day = dt.date.fromisoformat(snapshot_date) if len(snapshot_date) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidData(f"snapshot date {snapshot_date!r} is not a date like 2026-01-31")
    if not EARLIEST_DATE <= day <= dt.date.today() + dt.timedelta(days=1):
        raise InvalidData(f"snapshot date {day} is not between {EARLIEST_DATE} and today")
    return day


def import_json(path: Path | str, grant: access.Grant | None, *,
                snapshot_date: str | dt.date | None = None, time_range: str | None = None,
                dry_run: bool = False, source: str | None = None,
                conn: psycopg.Connection | None = None) -> ImportReport:
    """Import one JSON file (one transaction); ImportRejected, nothing written, on any problem.
    A dry run checks and counts against the database, then rolls back (it needs the same
    grant: it takes the writers' locks while it counts)."""
    access.check(grant)
    path = Path(path)
    source = source or path.name
    day = check_snapshot_options(snapshot_date, time_range)
    parsed = parse_payload(read_json(path, source), day, time_range)
    if parsed.problems:
        raise ImportRejected(source, parsed.problems)
    report = ImportReport(source, "json", dry_run=dry_run,
                          read={"tracks": len(parsed.tracks), "snapshots": len(parsed.ranks)})
    with connection(conn) as c:
        try:
            with c.transaction(force_rollback=dry_run):
                rows = ((*row[:-1], serialised(row[-1])) for row in parsed.tracks.values())
                write(c, report, rows, parsed.ranks)
        except psycopg.DataError as exc:  # e.g. a \u0000 that jsonb cannot hold
            raise ImportRejected(source, [f"rejected by the database: {first_line(exc)}"]) from None
    return report


def write(c: psycopg.Connection, report: ImportReport, tracks: Iterable[tuple],
          snapshots: Iterable[tuple]) -> None:
    """Upsert tracks, then snapshot rows (each naming a track stored or among ``tracks``),
    counting into ``report``, and record it; inside the caller's transaction."""
    bulk.stage(c, "tracks", TRACK_COLUMNS, tracks)
    report.tracks = Counts(*bulk.merge_staged(c, "tracks", TRACK_COLUMNS, ("track_id",),
                                              ON_CONFLICT_TRACK))
    bulk.stage(c, "snapshots", SNAPSHOT_COLUMNS, snapshots)
    missing, first = bulk.staged_orphans(c, "snapshots", "track_id", "tracks")
    if missing:
        raise ImportRejected(report.source, [
            f"snapshot {(track, day.isoformat(), time_range)!r}: names a track that is neither "
            "in the file nor stored" for track, day, time_range, _ in first], missing)
    report.snapshots = Counts(*merge_staged_ranks(c))
    record(c, report)


