"""What is in the database: schema version and row counts, for `python -m db status` and the UI."""

from __future__ import annotations

import psycopg

from db import migrations
from db.errors import ConfigurationError
from db.ingest.spotify import budget, sync
from db.model import meta
from db.model.tracks import AWAITING_COUNT_SQL
from db.pool import connection

PLAYS_SCHEMA_VERSION = 9  # plays and derived lists
DETAILS_SCHEMA_VERSION = 12  # tracks awaiting details, the budget of Spotify requests
COMPACT_LISTS_SCHEMA_VERSION = 13  # derived lists in derived_lists, one row per day and range

# Every rank on a list (Spotify's rows and the derived lists' elements) and the lists' dates, from
# the lists' rows and the rollup of their dates: no million ranks unnested.
RANKS_SQL = """
SELECT (SELECT count(*) FROM snapshots) + derived, first, last, days, derived
FROM (SELECT coalesce(sum(cardinality(array_remove(track_keys, NULL))), 0)::bigint AS derived
      FROM derived_lists) AS d,
     (SELECT min(snapshot_date) AS first, max(snapshot_date) AS last,
             count(DISTINCT snapshot_date) AS days FROM snapshot_dates) AS s
"""


def database_status(conn: psycopg.Connection | None = None) -> dict:
    with connection(conn) as c:
        version = migrations.current_version(c)
        status = {
            "server_version": c.execute("SHOW server_version").fetchone()[0],
            "schema_version": version,
            "latest_schema_version": migrations.latest_version(),
            "tracks": None,
            "snapshots": None,
            "first_snapshot": None,
            "last_snapshot": None,
            "snapshot_days": None,
            "derived_snapshots": None,
            "plays": None,
            "first_play": None,
            "last_play": None,
            "demo": None,
            "spotify": None,
            "details_waiting": None,
            "budget": None,
        }
        if version == 0:
            return status
        tracks = c.execute("SELECT count(*) FROM tracks").fetchone()[0]
        if version >= COMPACT_LISTS_SCHEMA_VERSION:
            snapshots, first, last, days, derived = c.execute(RANKS_SQL).fetchone()
        else:
            snapshots, first, last, days = c.execute(
                "SELECT count(*), min(snapshot_date), max(snapshot_date),"
                " count(DISTINCT snapshot_date) FROM snapshots").fetchone()
        if version >= PLAYS_SCHEMA_VERSION:
            if version < COMPACT_LISTS_SCHEMA_VERSION:
                derived = c.execute("SELECT count(*) FROM snapshots WHERE derived").fetchone()[0]
            plays, first_play, last_play = c.execute(
                "SELECT count(*), min(played_at), max(played_at) FROM plays").fetchone()
            status.update(derived_snapshots=derived, plays=plays, first_play=first_play,
                          last_play=last_play)
        status.update(tracks=tracks, snapshots=snapshots, first_snapshot=first,
                      last_snapshot=last, snapshot_days=days,
                      demo=meta.get_meta(meta.DEMO_KEY, c),
                      spotify=sync.account(c) if version >= sync.SCHEMA_VERSION else None)
        if version >= DETAILS_SCHEMA_VERSION:
            status["details_waiting"] = c.execute(AWAITING_COUNT_SQL).fetchone()[0]
            try:
                status["budget"] = budget.standing(c)
            except ConfigurationError as exc:  # the status still shows, and says what is wrong
                status["budget"] = exc
    return status
