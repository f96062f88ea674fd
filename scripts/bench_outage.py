"""Outages as a viewer meets them: how long a page view takes while the database is down, and how
soon after it is back the next view works.

    python scripts/bench_outage.py [--rounds 5] [--down 5]

Starts an embedded PostgreSQL of its own (never the configured database) with demo data and
`streamlit run` on it, then, each round: a page view while up; `pg_ctl stop -m fast`; page
views while down (each a new Streamlit session over the app's websocket, tests/support/sessions.py)
for ``--down`` seconds; `pg_ctl start`; page views every 0.1 s until one works. A view's time
is from asking for the page to the server finishing its run. Targets: a view while down ≤ 3 s,
showing one error box; the first working view ≤ 5 s after the server is back.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from db import config, migrations  # noqa: E402
from db import pool as db_pool  # noqa: E402
from db.ingest import demo  # noqa: E402

from support.browser import running_app  # noqa: E402
from support.own_server import OwnServer  # noqa: E402
from support.sessions import view_page  # noqa: E402


def view(url: str):
    started = time.perf_counter()
    page = asyncio.run(view_page(url, "", timeout=120))
    errors = [body for level, body in page.alerts if level == "ERROR"]
    return time.perf_counter() - started, page, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", type=float, default=5, help="seconds of views while down")
    args = parser.parse_args()
    server = OwnServer(Path(tempfile.mkdtemp(prefix="mtm-outage-")))
    url, pg_ctl = server.url, server.pg_ctl
    try:
        with config.overridden(url, "the outage benchmark's own server"):
            migrations.migrate()
            demo.seed_demo(tracks=2000, days=90, end=dt.date(2026, 6, 30))
            db_pool.close_pool()
        env = {k: v for k, v in os.environ.items() if k != "HOME"}
        env["DATABASE_URL"] = url
        down_views, down_boxes, back_after = [], [], []
        with running_app(env) as app:
            view(app)  # warm: the pool is open, the page compiled
            for round_ in range(1, args.rounds + 1):
                up_s, _, _ = view(app)
                pg_ctl("stop")
                until = time.monotonic() + args.down
                while time.monotonic() < until:
                    seconds, page, errors = view(app)
                    down_views.append(seconds)
                    down_boxes.append(len(errors))
                pg_ctl("start")
                back = time.monotonic()
                while True:
                    seconds, page, errors = view(app)
                    if page.ok and not errors and page.metrics:
                        break
                    time.sleep(0.1)
                back_after.append(time.monotonic() - back)
                print(f"round {round_}: view while up {up_s * 1000:,.0f} ms; while down "
                      f"{down_views[-1] * 1000:,.0f} ms ({down_boxes[-1]} error box); first "
                      f"working view {back_after[-1]:.2f} s after the server was back", flush=True)
        print(f"views while down: {len(down_views)}, max {max(down_views):.2f} s, median "
              f"{statistics.median(down_views):.2f} s, error boxes per view "
              f"{min(down_boxes)}-{max(down_boxes)} (target: <= 3 s, one box)")
        print(f"back after: max {max(back_after):.2f} s, median "
              f"{statistics.median(back_after):.2f} s (target: <= 5 s)")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
