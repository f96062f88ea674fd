"""Tracks: the display columns plus the whole Spotify track object, checked and written."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg

from db.errors import InvalidData, first_line
from db.model import bulk
from db.pool import connection

MAX_INT4 = 2**31 - 1

# A track awaiting its details: known from plays, its Spotify object not fetched yet, and not one
# Spotify answered 404 for. The rollup triggers say the same (db/migrations/0012); track_facets
# counts these as awaiting_details.
AWAITING = "raw_json IS NULL AND NOT not_on_spotify"
AWAITING_COUNT_SQL = "SELECT coalesce(sum(tracks), 0) FROM track_facets WHERE awaiting_details"

TRACK_COLUMNS = ("track_id", "name", "artist_name", "album_name", "duration_ms", "spotify_url",
                 "raw_json")

# Re-saving an unchanged track writes nothing (no new row version, updated_at kept).
ON_CONFLICT_TRACK = """
ON CONFLICT (track_id) DO UPDATE SET
    name = EXCLUDED.name,
    artist_name = EXCLUDED.artist_name,
    album_name = EXCLUDED.album_name,
    duration_ms = EXCLUDED.duration_ms,
    spotify_url = EXCLUDED.spotify_url,
    raw_json = EXCLUDED.raw_json,
    updated_at = now()
WHERE (tracks.name, tracks.artist_name, tracks.album_name, tracks.duration_ms,
       tracks.spotify_url, tracks.raw_json)
      IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.artist_name, EXCLUDED.album_name, EXCLUDED.duration_ms,
       EXCLUDED.spotify_url, EXCLUDED.raw_json)
"""

def track_row(track: Any, position: int = 1, serialise: bool = True) -> tuple:
    """The values of one tracks row for a Spotify track object; InvalidData names what is wrong.

    With ``serialise=False`` the last value is the object itself, for a caller that serialises it
    later (json.dumps(allow_nan=False)) and knows it can: objects parsed from JSON text that
    refused NaN and Infinity (db.ingest.json_files) always can."""
    if not isinstance(track, Mapping):
        raise InvalidData(f"track {position}: expected a JSON object, got {type(track).__name__}")
    track_id = track.get("id")
    where = f"track {position}"
    if not isinstance(track_id, str) or not track_id.strip():
        raise InvalidData(f"{where}: 'id' must be a non-empty string")
    where = f"track {position} ({track_id!r})"
    name = track.get("name")
    if not isinstance(name, str):
        raise InvalidData(f"{where}: 'name' must be a string")
    duration = track.get("duration_ms")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= MAX_INT4
    ):
        raise InvalidData(f"{where}: 'duration_ms' must be a non-negative whole number")
    payload = track
    try:
        # Serialised once here, sent as text and parsed by PostgreSQL: half the cost of
        # checking with json.dumps and then letting the Jsonb adapter dump it again.
        if serialise:
            payload = serialised(track)
    except (TypeError, ValueError) as exc:
        raise InvalidData(f"{where}: not serialisable as JSON ({exc})") from None
    return (
        track_id,
        name,
        _name_of_first(track.get("artists")),
        _text(track.get("album"), "name"),
        duration,
        _text(track.get("external_urls"), "spotify"),
        payload,
    )


def serialised(track: Mapping) -> str:
    """A track object as the JSON text a raw_json column is written from."""
    return json.dumps(track, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _name_of_first(artists: Any) -> str | None:
    if isinstance(artists, list) and artists:
        return _text(artists[0], "name")
    return None


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, str) else None


def save_tracks(tracks: Iterable[Mapping], conn: psycopg.Connection | None = None) -> int:
    """Upsert Spotify track objects in one transaction; return how many distinct tracks.

    Every object is checked before anything is written: one bad track rejects the batch and
    leaves the stored data as it was. A later duplicate of an id wins, as if saved in order.
    """
    rows = {}
    for position, track in enumerate(tracks, start=1):
        row = track_row(track, position)
        rows[row[0]] = row
    if not rows:
        return 0
    with connection(conn) as c, c.transaction():
        try:
            bulk.stage(c, "tracks", TRACK_COLUMNS, rows.values())
            bulk.merge_staged(c, "tracks", TRACK_COLUMNS, ("track_id",), ON_CONFLICT_TRACK)
        except psycopg.DataError as exc:  # e.g. a \u0000 that jsonb cannot hold
            raise InvalidData(f"tracks rejected by the database: {first_line(exc)}") from None
    return len(rows)
