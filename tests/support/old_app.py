"""The earlier Flask app's SQLite file, written as that app wrote it, for import tests and
benchmarks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

SCHEMA = """
CREATE TABLE tracks (track_id TEXT PRIMARY KEY, name TEXT, artist_name TEXT, album_name TEXT,
                     duration_ms INTEGER, spotify_url TEXT, raw_json TEXT);
CREATE TABLE snapshots (track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER,
                        PRIMARY KEY (track_id, snapshot_date, time_range));
"""


def track_columns(track: Mapping) -> tuple:
    artists = track.get("artists") or [{}]
    return (track["id"], track.get("name"), artists[0].get("name"),
            (track.get("album") or {}).get("name"), track.get("duration_ms"),
            (track.get("external_urls") or {}).get("spotify"), json.dumps(track))


def write_old_sqlite(path: Path, tracks: Iterable[Mapping], snapshots: Iterable[tuple],
                     raw_rows: Iterable[tuple] = ()) -> Path:
    """``tracks`` as Spotify objects, ``snapshots`` as (track_id, date, time_range, rank);
    ``raw_rows`` are extra tracks rows written as they are (to plant bad ones)."""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (track_columns(t) for t in tracks))
        db.executemany("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?)", raw_rows)
        db.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?)",
                       ((t, str(d), r, k) for t, d, r, k in snapshots))
    return path
