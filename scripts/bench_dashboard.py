"""Dashboard query time: every query the dashboard page runs, for several filters, warm.

    python scripts/bench_dashboard.py [--tracks 10000] [--days 730] [--repeat 20]

Seeds demo data into a scratch database beside the resolved one (dropped afterwards), then
times the page's query functions with Streamlit's cache cleared before each round, so that each
round asks PostgreSQL again. Target: under 50 ms for all of them together, warm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import time

from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db.ingest import demo
from db.pool import connection

QUERIES = ("summary", "release_facets", "top_tracks", "snapshot_bounds", "demo_info")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings
    import streamlit as st

    from queries import dashboard, shared

    end = dt.date(2026, 6, 30)
    with scratch_database():
        started = time.perf_counter()
        summary = demo.seed_demo(tracks=args.tracks, days=args.days, end=end)
        with connection() as conn:
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}: {summary['tracks']:,} tracks, {summary['snapshots']:,} "
              f"snapshot rows ({args.days} days), seeded in {time.perf_counter() - started:.1f} s")
        filters = {
            "all time, all ranges": (None, None, None),
            "last 4 weeks": (end - dt.timedelta(days=27), end, None),
            "last 12 months, short_term": (end - dt.timedelta(days=364), end, "short_term"),
            "long_term only": (None, None, "long_term"),
        }
        calls = {
            "summary": lambda f: dashboard.summary(*f),
            "release_facets": lambda f: dashboard.release_facets(*f),
            "top_tracks": lambda f: dashboard.top_tracks(*f),
            "snapshot_bounds": lambda f: shared.snapshot_bounds(),
            "demo_info": lambda f: shared.demo_info(),
        }
        print(f"{'filter':30s}" + "".join(f"{q:>16s}" for q in QUERIES) + f"{'total':>10s}")
        for label, f in filters.items():
            timings = {q: [] for q in QUERIES}
            for round_ in range(args.repeat + 3):  # 3 warm-up rounds
                st.cache_data.clear()
                for name in QUERIES:
                    t = time.perf_counter()
                    calls[name](f)
                    if round_ >= 3:
                        timings[name].append((time.perf_counter() - t) * 1000)
            medians = {q: statistics.median(v) for q, v in timings.items()}
            print(f"{label:30s}" + "".join(f"{medians[q]:13.1f} ms" for q in QUERIES)
                  + f"{sum(medians.values()):7.1f} ms")
        print(f"(median of {args.repeat} warm rounds; summary includes the charted-tracks query "
              "that the charts and top tracks then reuse; target: total < 50 ms)")


if __name__ == "__main__":
    main()
