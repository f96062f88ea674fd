"""Page latency with many viewers: Streamlit sessions refreshing the dashboard, idle and during
an import plus the sidebar's stress test.

    python scripts/bench_sessions.py [--tracks 10000] [--days 365] [--sessions 1 5 20]
                                     [--seconds 20] [--pool-max 10]

Seeds demo data into a scratch database beside the resolved one (dropped afterwards), starts
`streamlit run` on it, and drives real sessions over the app's websocket (tests/support/sessions.py):
each viewer refreshes with a random date window and time range, which misses Streamlit's cache
and so asks PostgreSQL every time. A page's latency is from asking for the page to the server
finishing its run (queries plus building the elements; the browser's drawing is not included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from pathlib import Path

from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db.ingest import demo
from db.pool import connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.browser import running_app  # noqa: E402
from support.sessions import LoadResult, refresh_during, refresh_during_writes  # noqa: E402


def row(label: str, result: LoadResult, extra: str = "") -> None:
    ok = [v.seconds for v in result.views if v.ok]
    print(f"{label:34s}{len(result.views):7,d}{len(result.views) / result.seconds:9.1f}"
          f"{result.percentile(50) * 1000:10,.0f}{result.percentile(95) * 1000:10,.0f}"
          f"{max(ok, default=float('nan')) * 1000:10,.0f}{len(result.failed):8d}  {extra}", flush=True)


def rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seconds", type=float, default=20, help="length of each idle run")
    parser.add_argument("--pool-max", type=int, default=10, help="the app's MTM_POOL_MAX")
    parser.add_argument("--import-tracks", type=int, default=5000)
    parser.add_argument("--import-days", type=int, default=30)
    parser.add_argument("--stress-writes", type=int, default=5000)
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    end = dt.date(2026, 6, 30)
    first = end - dt.timedelta(days=args.days - 1)
    with scratch_database() as url:
        started = time.perf_counter()
        summary = demo.seed_demo(tracks=args.tracks, days=args.days, end=end)
        with connection() as conn:
            conn.execute("VACUUM ANALYZE")
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}: {summary['tracks']:,} tracks, {summary['snapshots']:,} "
              f"snapshot rows ({args.days} days), seeded in {time.perf_counter() - started:.1f} s; "
              f"app pool max {args.pool_max}; {os.cpu_count()} CPUs", flush=True)
        env = {**{k: v for k, v in os.environ.items() if k != "HOME"},  # no secrets of yours
               "DATABASE_URL": url, "MTM_POOL_MAX": str(args.pool_max)}
        started: list = []
        with running_app(env, started=started) as app:
            print(f"{'':34s}{'views':>7s}{'views/s':>9s}{'p50 ms':>10s}{'p95 ms':>10s}"
                  f"{'max ms':>10s}{'failed':>8s}")
            refresh_during(app, lambda: False, first, end, sessions=2, min_views=3)  # warm-up
            for sessions in args.sessions:
                deadline = time.monotonic() + args.seconds
                idle = refresh_during(app, lambda d=deadline: time.monotonic() < d, first, end,
                                      sessions=sessions, seed=sessions)
                row(f"{sessions} sessions, idle", idle, f"server RSS {rss_mb(started[0].pid)} MB")
            if not (args.import_tracks or args.stress_writes):
                return
            sessions = max(args.sessions)
            busy = refresh_during_writes(app, url, first, end, sessions=sessions,
                                         import_tracks=args.import_tracks,
                                         import_days=args.import_days,
                                         stress_writes=args.stress_writes, seed=99)
            notes = []
            if busy.importing:
                imp = busy.importing
                notes.append(f"import {imp.written['tracks']:,} tracks + "
                             f"{imp.written['snapshots']:,} rows in {imp.seconds:.1f} s")
            if busy.stress:
                notes.append(f"stress test {busy.stress.metrics.get('Writes/s', '?')} writes/s, "
                             f"{busy.stress.metrics.get('Failures', '?')} failed")
            doing = " + ".join(n for n, size in (("import", args.import_tracks),
                                                 ("stress test", args.stress_writes)) if size)
            row(f"{sessions} sessions, {doing}", busy.load,
                "; ".join(notes) + f"; server RSS {rss_mb(started[0].pid)} MB")

if __name__ == "__main__":
    main()
