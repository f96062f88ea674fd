"""Dated top-track ranks for Spotify's three time ranges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg

from db.errors import InvalidData, first_line
from db.model import bulk
from db.pool import connection

# Spotify's three time ranges, in the order every page shows them, with what each covers.
TIME_RANGES = {
    "short_term": "Short term (about 4 weeks)",
    "medium_term": "Medium term (about 6 months)",
    "long_term": "Long term (about a year)",
}
# The days each time range's list covers, as Spotify counts them and the derived lists count
# streams; the periods the pages offer are these too.
WINDOW_DAYS = {"short_term": 28, "medium_term": 182, "long_term": 365}
# The dates a list may carry or a link may name. Spotify's history starts in 2008: anything far
# outside is a typo or a probe, not a day anyone charted.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)

SNAPSHOT_COLUMNS = ("track_id", "snapshot_date", "time_range", "rank")

# A rank from Spotify replaces a derived one even when they agree (the row stops being derived).
ON_CONFLICT_SNAPSHOT = """
ON CONFLICT (track_id, snapshot_date, time_range)
DO UPDATE SET rank = EXCLUDED.rank, derived = EXCLUDED.derived
WHERE (snapshots.rank, snapshots.derived) IS DISTINCT FROM (EXCLUDED.rank, EXCLUDED.derived)
"""

SnapshotRow = tuple[str, dt.date, str, int]

# Staged ranks of Spotify's that meet a rank of a derived list of their day and range (which the
# insert's trigger then removes, migration 0013): at the same rank, and at another.
DERIVED_MET_SQL = """
SELECT count(*) FILTER (WHERE d.rank = s.rank), count(*) FILTER (WHERE d.rank <> s.rank)
FROM snapshots_incoming s
JOIN derived_lists l USING (snapshot_date, time_range)
JOIN tracks t ON t.track_id = s.track_id
CROSS JOIN LATERAL (SELECT array_position(l.track_keys, t.track_key) AS rank) AS d
WHERE d.rank IS NOT NULL
"""


def merge_staged_ranks(c: psycopg.Connection) -> tuple[int, int, int]:
    """bulk.merge_staged for staged snapshots: (inserted, updated, unchanged), where a rank that
    takes the place of the same track's derived rank that day counts as it did when derived ranks
    were rows of snapshots (unchanged at the same rank, updated at another), not as new."""
    same, moved = c.execute(DERIVED_MET_SQL).fetchone()
    inserted, updated, unchanged = bulk.merge_staged(
        c, "snapshots", SNAPSHOT_COLUMNS, SNAPSHOT_COLUMNS[:3], ON_CONFLICT_SNAPSHOT)
    return inserted - same - moved, updated + moved, unchanged + same


def snapshot_row(row: Sequence | Mapping, position: int = 1) -> SnapshotRow:
    """(track_id, snapshot_date, time_range, rank), checked; InvalidData names what is wrong."""
    if isinstance(row, Mapping):
        values = tuple(row.get(k) for k in ("track_id", "snapshot_date", "time_range", "rank"))
    elif isinstance(row, Sequence) and not isinstance(row, str) and len(row) == 4:
        values = tuple(row)
    else:
        raise InvalidData(
            f"snapshot {position}: expected (track_id, snapshot_date, time_range, rank)"
        )
    track_id, day, time_range, rank = values
    where = f"snapshot {position}"
    if not isinstance(track_id, str) or not track_id.strip():
        raise InvalidData(f"{where}: track_id must be a non-empty string")
    day = _as_date(day, where)
    if time_range not in TIME_RANGES:
        raise InvalidData(f"{where}: time_range must be one of {', '.join(TIME_RANGES)}, "
                          f"not {time_range!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 < rank <= 2**31 - 1:
        raise InvalidData(f"{where}: rank must be a whole number of at least 1, not {rank!r}")
    return track_id, day, time_range, rank


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidData(f"{where}: snapshot_date must be a date (YYYY-MM-DD), not {value!r}")


def save_snapshots(rows: Iterable[Sequence | Mapping], conn: psycopg.Connection | None = None) -> int:
    """Upsert snapshot rows in one transaction (idempotent); return how many distinct rows.

    Rows are checked before anything is written; a row naming a track that is not stored
    rejects the whole batch.
    """
    checked: dict[tuple, SnapshotRow] = {}
    for position, row in enumerate(rows, start=1):
        values = snapshot_row(row, position)
        checked[values[:3]] = values
    if not checked:
        return 0
    with connection(conn) as c, c.transaction():
        try:
            bulk.stage(c, "snapshots", SNAPSHOT_COLUMNS, checked.values())
            merge_staged_ranks(c)
        except psycopg.errors.ForeignKeyViolation as exc:
            raise InvalidData(
                f"snapshots refer to a track that is not stored: {_fk_detail(exc)}"
            ) from None
        except psycopg.DataError as exc:
            raise InvalidData(f"snapshots rejected by the database: {first_line(exc)}") from None
    return len(checked)


def _fk_detail(exc: psycopg.Error) -> str:
    detail = exc.diag.message_detail or first_line(exc)
    return detail.strip()
