"""How much room a decade of history takes: the decade of scripts/bench_history.py, every track
with a 2026-style Spotify object, built into a database of its own that is KEPT for inspection.

    python scripts/bench_storage.py NAME [--rows 250000] [--tracks 20000] [--years 10] [--replace]
    python scripts/bench_storage.py NAME --sizes          # only print the sizes of NAME
    python scripts/bench_storage.py NAME --readers        # time the pages' list queries on NAME

Creates database NAME beside the configured one (refused if it exists, unless --replace), migrates
it, imports the generated export with `python -m db import-history ZIP` in a process of its own
(seconds and peak memory printed), gives every track a Spotify object as enrichment would (the
fields Spotify dropped in 2026 left out), runs VACUUM ANALYZE, and prints pg_database_size and
every table's and index's size, largest first. --readers times the queries that read the lists
(time machine, consistent artists, rank history, a track's page, the dashboard's partial months,
Compare's periods) straight through queries.core.frame, uncached, on random dates. Drop the
database yourself when done (`DROP DATABASE NAME`).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench_history import generate_rows, write_zip
from bench_imports import measured
from scratch import scratch_database  # noqa: F401  (first: it puts the project root on sys.path)

# isort: split

import psycopg  # noqa: E402
import psycopg.conninfo  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402
from db.ingest import demo  # noqa: E402

SIZES_SQL = """
SELECT c.relname, c.relkind, pg_relation_size(c.oid), pg_total_relation_size(c.oid),
       CASE c.relkind WHEN 'i' THEN (SELECT t.relname FROM pg_index i
                                     JOIN pg_class t ON t.oid = i.indrelid
                                     WHERE i.indexrelid = c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm')
ORDER BY pg_total_relation_size(c.oid) DESC, c.relname
"""


def objects_for(ids: list[str]) -> list[tuple[str, Jsonb]]:
    """(track_id, object): a demo track object given the track's id, as Spotify sends it in 2026."""
    out = []
    for track_id, obj in zip(ids, demo.generate_tracks(len(ids), seed=11), strict=True):
        for gone in ("popularity", "available_markets", "linked_from"):
            obj.pop(gone, None)
        obj.update(id=track_id, uri=f"spotify:track:{track_id}",
                   external_urls={"spotify": f"https://open.spotify.com/track/{track_id}"})
        out.append((track_id, Jsonb(obj)))
    return out


def give_objects(url: str) -> int:
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT track_id FROM tracks WHERE raw_json IS NULL ORDER BY track_id")]
        conn.execute("CREATE TEMP TABLE objects (track_id text, raw_json jsonb) ON COMMIT DROP")
        with conn.cursor().copy("COPY objects (track_id, raw_json) FROM STDIN") as copy:
            for row in objects_for(ids):
                copy.write_row(row)
        conn.execute("UPDATE tracks t SET raw_json = o.raw_json FROM objects o"
                     " WHERE o.track_id = t.track_id")
    return len(ids)


def print_sizes(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations"
                               ).fetchone()[0]
        print(f"pg_database_size: {total / 2**20:.1f} MB (schema version {version})")
        print(f"{'relation':45} {'kind':5} {'main MB':>9} {'total MB':>9}  of table")
        for name, kind, main, whole, table in conn.execute(SIZES_SQL):
            if whole >= 64 * 1024:
                print(f"{name:45} {kind:5} {main / 2**20:9.2f} {whole / 2**20:9.2f}  "
                      f"{table or ''}")


def time_readers(url: str) -> None:
    import datetime as dt
    import random
    import statistics
    import time

    from db.model.snapshots import TIME_RANGES, WINDOW_DAYS
    from queries import compare, dashboard, history
    from queries import time_machine as tm
    from queries import tracks as track_page
    from queries.core import frame

    with psycopg.connect(url) as conn:
        first, last = conn.execute("SELECT min(snapshot_date), max(snapshot_date)"
                                   " FROM snapshot_dates").fetchone()
        top = [r[0] for r in conn.execute(
            "SELECT track_id FROM chart_totals WHERE time_range = 'any'"
            " ORDER BY best_rank, days DESC, track_id LIMIT 10")]
    rnd = random.Random(5)
    days = [first + dt.timedelta(days=rnd.randrange((last - first).days + 1)) for _ in range(30)]

    def timed(label: str, calls) -> None:
        spent = []
        for call in calls:
            started = time.perf_counter()
            call()
            spent.append((time.perf_counter() - started) * 1000)
        print(f"{label:52} median {statistics.median(spent):7.1f} ms, max {max(spent):7.1f} ms",
              flush=True)

    def top_list(day: dt.date, time_range: str):
        row = frame(tm.LIST_DATES_SQL, {"time_range": time_range, "date": day}).iloc[0]
        previous = row["previous_date"] if row["previous_date"] is not None else dt.date.min
        return frame(tm.TOP_LIST_SQL, {"date": row["list_date"], "time_range": time_range,
                                       "previous": previous})

    def period(day: dt.date, time_range: str | None):
        query, params = dashboard.charted_query(day - dt.timedelta(days=340), day, time_range)
        return frame(query, params)

    with config.overridden(url, "the storage benchmark's database"):
        for time_range in ("long_term", "short_term"):
            timed(f"time machine: list and movement ({time_range})",
                  [lambda d=d, r=time_range: top_list(d, r) for d in days])
        for window in (*WINDOW_DAYS.values(), None):  # the time machine's windows
            timed(f"time machine: consistent artists ({window or 'all'} days)",
                  [lambda d=d, w=window: frame(tm.CONSISTENT_ARTISTS_SQL, {
                      "time_range": "short_term", "start": tm.window_start(d, w), "end": d,
                      "limit": 5}) for d in days[:10]])
        timed("rank history: the 10 best tracks, three ranges",
              [lambda: frame(history.RANKS_SQL, {"tracks": top, "ranges": list(TIME_RANGES)})] * 5)
        timed("a track's page: its lists",
              [lambda t=t: frame(track_page.CHART_SUMMARY_SQL, {
                  "track_id": t, "time_ranges": list(TIME_RANGES)}) for t in top])
        for time_range in (None, "short_term"):
            timed(f"dashboard: 341 days with partial months ({time_range or 'any'})",
                  [lambda d=d, r=time_range: period(d, r) for d in days[:10]])
        timed("compare: a year's lists and how many derived",
              [lambda d=d: frame(compare.PERIOD_LISTS_SQL, {
                  "start": d - dt.timedelta(days=365), "end": d, "time_range": "short_term"})
               for d in days[:10]])
    db_pool.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--replace", action="store_true")
    parser.add_argument("--sizes", action="store_true", help="only print the sizes of NAME")
    parser.add_argument("--readers", action="store_true",
                        help="only time the queries that read the lists, on NAME")
    args = parser.parse_args()
    target = config.resolve()
    params = psycopg.conninfo.conninfo_to_dict(target.url)
    url = psycopg.conninfo.make_conninfo(**{**params, "dbname": args.name})
    if args.sizes:
        print_sizes(url)
        return
    if args.readers:
        time_readers(url)
        return
    with psycopg.connect(target.url, autocommit=True) as admin:
        if args.replace:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(args.name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.name)))
    folder = Path(tempfile.mkdtemp(prefix="mtm-storage-"))
    zipped = write_zip(generate_rows(args.rows, args.tracks, args.years),
                       folder / "my_spotify_data.zip")
    db_pool.close_pool()
    with config.overridden(url, "the storage benchmark's database"):
        os.environ.update({"DATABASE_URL": url, config.EXPECT_DATABASE: args.name})
        migrations.migrate()
        db_pool.close_pool()
        seconds, peak, line = measured("import-history", str(zipped))
        print(f"import-history: {seconds:.1f} s, peak {peak} MB\n  {line}", flush=True)
    print(f"track objects given: {give_objects(url):,}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print_sizes(url)


if __name__ == "__main__":
    main()
