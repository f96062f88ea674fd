"""Details in bulk: the listener's recently played and saved tracks come as full track objects, 50
a request, where GET /v1/tracks/{id} gives one. Only tracks the app already knows (from plays or
on lists) and still awaiting details take them: a saved track never played does not join the
library, so no page counts differently for having read it.

The saved library (GET /v1/me/tracks) is newest first. A pass reads it to the end once, saving
its offset as it goes (an interrupted pass resumes there); a later pass stops at the first track
saved no later than the newest the pass before saw, which is usually one request a day. Called by
enrich_tracks, which checks who may write.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable

import psycopg

from db.ingest.spotify.api import PAGE_LIMIT, SpotifyError
from db.model.tracks import AWAITING, AWAITING_COUNT_SQL
from db.pool import connection

AWAITING_SQL = "SELECT track_id FROM tracks WHERE track_id = ANY(%s) AND " + AWAITING


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


# Where the pass stands; and whether tracks came to await details since the last finished one.
PASS_SQL = """
SELECT library_offset, library_seen_until,
       library_read_at IS NULL OR EXISTS (
           SELECT 1 FROM tracks WHERE """ + AWAITING + """ AND created_at > library_read_at)
FROM spotify_account
"""
FIRST_PAGE_SQL = "UPDATE spotify_account SET library_offset = %s, library_pass_newest = %s"
NEXT_PAGE_SQL = "UPDATE spotify_account SET library_offset = %s"
FINISHED_SQL = """
UPDATE spotify_account SET library_offset = NULL, library_pass_newest = NULL,
       library_seen_until = greatest(library_seen_until, library_pass_newest),
       library_read_at = now()
"""


def saved_tracks(client, conn: psycopg.Connection | None, keep: Keep, before: Before,
                 flush: Callable[[], None]) -> None:
    """One pass over the saved library (or the rest of an unfinished one). A page's objects are
    written (``flush``) before the offset after it is stored, so a resumed pass misses nothing.
    The pass stops at a track saved before the newest one the last pass saw, unless tracks came
    to await details since (a newer export), and once the pages left outnumber the tracks still
    waiting, which one request each would bring for less."""
    with connection(conn) as c:
        offset, seen_until, anew = c.execute(PASS_SQL).fetchone()
    stop_at = None if anew else seen_until
    offset, total = offset or 0, None
    while total is None or 0 < _waiting(conn) > math.ceil((total - offset) / PAGE_LIMIT):
        before("saved tracks")
        answer = client.saved_tracks(offset)
        page = _objects(answer, "saved tracks")
        wanted = awaiting(conn, (obj["id"] for obj, _ in page))
        for obj, _ in page:
            if obj["id"] in wanted:
                wanted.discard(obj["id"])
                keep(obj)
        flush()
        items = answer.get("items") or []
        total = answer.get("total") if isinstance(answer.get("total"), int) else offset + len(
            items) + (PAGE_LIMIT if answer.get("next") else 0)
        with connection(conn) as c:
            if offset == 0:  # the newest saved track: where the next pass will stop
                c.execute(FIRST_PAGE_SQL, (len(items), page[0][1] if page else None))
            else:
                c.execute(NEXT_PAGE_SQL, (offset + len(items),))
        offset += len(items)
        reached = stop_at is not None and any(w is not None and w <= stop_at for _, w in page)
        if reached or len(items) < PAGE_LIMIT or not answer.get("next", True):
            break
    with connection(conn) as c:
        c.execute(FINISHED_SQL)


def _waiting(conn: psycopg.Connection | None) -> int:
    with connection(conn) as c:
        return c.execute(AWAITING_COUNT_SQL).fetchone()[0]
