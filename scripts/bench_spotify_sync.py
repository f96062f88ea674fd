"""A Spotify sync's cost on a big database: the local fake of Spotify
(tests/support/fake_spotify.py, on 127.0.0.1: the network is not measured), a connected
account, then syncs timed step by step.

    python scripts/bench_spotify_sync.py [--tracks 1000000] [--days 730] [--repeat 3]
    python scripts/bench_spotify_sync.py --database NAME   # an existing database on the same
                                                           # server (it gets the synced rows)

Each round: a sync of a new day (136 tracks, 186 ranks new), the same day again (nothing
changes), and the same day with lists that changed (ranks replaced). Printed: seconds for the
whole sync, for the HTTP requests (7, to the local fake), and for the one transaction that
writes. Target: the write well under a second at a million tracks, so a click on Sync now
waits for Spotify, not for PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from scratch import existing_or_scratch  # first: it puts the project root on sys.path

# isort: split

import requests

from db.ingest import demo
from db.ingest.spotify import sync
from db.model import access

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.fake_spotify import FakeSpotify  # noqa: E402

REDIRECT = "http://127.0.0.1:8501/data"


def timed_sync(day: dt.date) -> tuple[float, float]:
    """(whole sync, the write) in seconds; the write starts at the "saving" step."""
    marks: dict[str, float] = {}
    start = time.perf_counter()
    sync.sync_spotify(access.operator(), day=day,
                         progress=lambda stage, done, total: marks.setdefault(
                             stage, time.perf_counter()))
    end = time.perf_counter()
    return end - start, end - marks["saving"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="an existing database on the same server")
    args = parser.parse_args()
    fake = FakeSpotify()
    os.environ.update(fake.env(REDIRECT))
    try:
        with existing_or_scratch(args.database, "bench_spotify_sync") as (_, scratch):
            if scratch:
                print(f"seeding {args.tracks:,} tracks, {args.days} days …", flush=True)
                demo.seed_demo(args.tracks, args.days, seed=7)
            answer = requests.get(sync.begin_connect(access.operator()),
                                  allow_redirects=False, timeout=10)
            back = parse_qs(urlsplit(answer.headers["Location"]).query)
            sync.complete_connect(back["state"][0], back["code"][0])
            rows = {"new day": [], "same day, unchanged": [], "same day, lists changed": []}
            day = dt.date(2031, 1, 1)
            for _ in range(args.repeat):
                day += dt.timedelta(days=1)
                rows["new day"].append(timed_sync(day))
                rows["same day, unchanged"].append(timed_sync(day))
                fake.lists = {r: ts[::-1] for r, ts in fake.lists.items()}
                rows["same day, lists changed"].append(timed_sync(day))
        print(f"{'sync':<26}{'whole s':>10}{'write s':>10}   (median of {args.repeat})")
        for name, runs in rows.items():
            whole = statistics.median(r[0] for r in runs)
            write = statistics.median(r[1] for r in runs)
            print(f"{name:<26}{whole:>10.3f}{write:>10.3f}")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
