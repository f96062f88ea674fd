"""Details in bulk: the listener's recently played and saved tracks come as full track objects, 50
a request, where GET /v1/tracks/{id} gives one. Only tracks the app already knows (from plays or
on lists) and still awaiting details take them: a saved track never played does not join the
library, so no page counts differently for having read it.

The saved library (GET /v1/me/tracks) is newest first. A pass reads it to the end once, saving
its offset as it goes (an interrupted pass resumes there); a later pass stops at the first track
saved no later than the newest the pass before saw, which is usually one request a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import psycopg

from db.ingest.spotify.api import PAGE_LIMIT, SpotifyError
from db.pool import connection

AWAITING_SQL = """
SELECT track_id FROM tracks
WHERE track_id = ANY(%s) AND raw_json IS NULL AND NOT not_on_spotify
"""


def awaiting(conn: psycopg.Connection | None, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that are tracks still awaiting their details."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return set()
    with connection(conn) as c:
        return {row[0] for row in c.execute(AWAITING_SQL, (ids,))}


def _objects(answer: dict, what: str) -> list[tuple[dict, dt.datetime | None]]:
    """(track object, when it was saved or played) of each item of a paged answer."""
    items = answer.get("items")
    if not isinstance(items, list):
        raise SpotifyError(f"Spotify's answer for {what}: 'items' is not a list")
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        track = item.get("track")
        if isinstance(track, dict) and isinstance(track.get("id"), str):
            found.append((track, _moment(item.get("added_at") or item.get("played_at"))))
    return found


def _moment(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


Keep = Callable[[dict], None]  # takes one object for a track awaiting details
Before = Callable[[str], None]  # called before each request, with the stage


def recently_played(client, conn: psycopg.Connection | None, keep: Keep,
                    before: Before) -> None:
    before("recently played tracks")
    objects = [obj for obj, _ in _objects(client.recently_played(), "recently played tracks")]
    wanted = awaiting(conn, (obj["id"] for obj in objects))
    for obj in objects:
        if obj["id"] in wanted:
            wanted.discard(obj["id"])  # played twice: kept once
            keep(obj)


def saved_tracks(client, conn: psycopg.Connection | None, keep: Keep, before: Before,
                 flush: Callable[[], None]) -> None:
    """One pass over the saved library (or the rest of an unfinished one); ``flush`` writes what
    was kept before the offset reached is stored, so a resumed pass misses nothing."""
    with connection(conn) as c:
        offset, seen_until = c.execute(
            "SELECT library_offset, library_seen_until FROM spotify_account").fetchone()
    # A resumed pass reads to the end: the tracks it has not reached are older than the newest.
    stop_at = None if offset else seen_until
    offset = offset or 0
    while True:
        before("saved tracks")
        answer = client.saved_tracks(offset)
        page = _objects(answer, "saved tracks")
        if offset == 0 and page and page[0][1] is not None:
            _store(conn, "library_seen_until = greatest(library_seen_until, %s)", page[0][1])
        reached = stop_at is not None and any(
            when is not None and when <= stop_at for _, when in page)
        wanted = awaiting(conn, (obj["id"] for obj, _ in page))
        for obj, _ in page:
            if obj["id"] in wanted:
                wanted.discard(obj["id"])
                keep(obj)
        flush()
        items = answer.get("items") or []
        offset += len(items)
        if reached or len(items) < PAGE_LIMIT or not answer.get("next", True):
            _store(conn, "library_offset = NULL")
            return
        _store(conn, "library_offset = %s", offset)


def _store(conn: psycopg.Connection | None, assignment: str, *values) -> None:
    with connection(conn) as c:
        c.execute(f"UPDATE spotify_account SET {assignment}", values)  # the module's own SQL
