"""Batch write speed: save_tracks and save_snapshots rows per second, and seed-demo end to end.

    python scripts/bench_writes.py [--tracks 20000] [--days 90]

Runs in a scratch database beside the resolved one (DATABASE_URL, secrets, or the embedded
server) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import time

from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db import config
from db.ingest import demo
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks
from db.pool import connection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()

    print(f"server: {config.resolve().display}")
    tracks = demo.generate_tracks(args.tracks, seed=1)
    ids = [t["id"] for t in tracks]
    rows = list(demo.generate_snapshots(ids, args.days, demo.dt.date(2026, 6, 30)))
    with scratch_database():
        with connection() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}")
        for label, call, n in (
            ("save_tracks (insert)", lambda: save_tracks(tracks), len(tracks)),
            ("save_tracks (unchanged re-save)", lambda: save_tracks(tracks), len(tracks)),
            ("save_snapshots (insert)", lambda: save_snapshots(rows), len(rows)),
            ("save_snapshots (unchanged re-save)", lambda: save_snapshots(rows), len(rows)),
        ):
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
            print(f"{label:36s} {n:>9,} rows in {elapsed:6.2f} s = {n / elapsed:>9,.0f} rows/s")
    with scratch_database():
        started = time.perf_counter()
        summary = demo.seed_demo(tracks=2000, days=90)
        print(f"seed-demo --tracks 2000 --days 90: {summary['snapshots']:,} snapshot rows, "
              f"{time.perf_counter() - started:.2f} s (generation included)")


if __name__ == "__main__":
    main()
