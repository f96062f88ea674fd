"""Every page from a link with the database near and far: the same app and database, reached
directly and through a TCP proxy that delays every round trip, side by side in one run, with
the round trips of each view counted by the proxies (tests/support/delay_proxy.py).

    python scripts/bench_remote.py [--delay-ms 100] [--rounds 3] [--tracks 5000] [--days 730]
                                   [--plays 50000]
    python scripts/bench_remote.py --database NAME   # an existing database: see below

A *first view* follows a new data version (as after every import or sync: every cached answer
is asked anew); a *view again* is the same link in a new session, its answers cached. Views are
timed on the server, from the browser's request to the script's end, through the app's own
websocket (tests/support/sessions.py), so the browser's drawing is not in the numbers. Targets
(issue #25), at 100 ms: a first view at most 0.3 s slower than direct, a view again at most
0.1 s slower; at most 3 and 1 round trips. Last, the database sleeps (every connection dropped,
the next connection held --wake-s while it wakes) before a view of the first page: target, the
wake + 1 s.

With --database, the script moves that database's data version on before each first view (one
UPDATE of data_version, which changes no data).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

from scratch import existing_or_scratch  # first: it puts the project root on sys.path

# isort: split

import psycopg

from db.ingest import demo, streaming_history
from db.model import access

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import history_export as export  # noqa: E402
from support.browser import running_app  # noqa: E402
from support.delay_proxy import DelayProxy  # noqa: E402
from support.sessions import view_page  # noqa: E402


def links(latest: dt.date, track_id: str, artist: str) -> dict[str, tuple[str, str]]:
    """name -> (page, query string)."""
    year_ago, month_ago = latest - dt.timedelta(days=364), latest - dt.timedelta(days=28)
    return {
        "dashboard, one year": ("", f"start={year_ago}&end={latest}"),
        "time machine": ("time_machine", f"date={latest}&time_range=short_term"),
        "compare, two dates": ("compare", f"a={month_ago}&b={latest}&time_range=short_term"),
        "rank history": ("history", "time_range=all"),
        "listening, all time": ("listening", ""),
        "listening, top tracks": ("listening", "view=tracks"),
        "tracks, a search": ("tracks", "q=heart"),
        "a track": ("tracks", urlencode({"track": track_id})),
        "an artist": ("tracks", urlencode({"artist": artist})),
        "year in review": ("recap", ""),
        "data": ("data", ""),
    }


def new_version(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE data_version SET version = version + 1")


def view(app: str, proxy: DelayProxy, page: str, query: str) -> tuple[float, int]:
    before = proxy.round_trips
    shown = asyncio.run(view_page(app, query, page=page, timeout=300))
    if not shown.ok:
        raise RuntimeError(f"{page}?{query}: {shown.status} {shown.errors}")
    return shown.seconds, proxy.round_trips - before


def seed(plays: int, tracks: int, days: int, folder: Path) -> None:
    summary = demo.seed_demo(tracks=tracks, days=days)
    print(f"seeded {summary['tracks']:,} tracks, {summary['days']} days of lists")
    history = export.generate(11, plays=plays, tracks=max(120, tracks // 10),
                              start=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    written = export.write_folder(export.files(history), folder)
    streaming_history.import_history([str(written)], access.operator())
    print(f"imported {plays:,} plays")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100, help="added per round trip")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tracks", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--plays", type=int, default=50_000)
    parser.add_argument("--database", help="an existing database on the resolved server")
    parser.add_argument("--only", help="the pages whose name holds this text")
    parser.add_argument("--wake-s", type=float, default=3, help="a sleeping database's wake")
    args = parser.parse_args()
    with existing_or_scratch(args.database, "bench_remote.py") as (url, scratch):
        if scratch:
            import tempfile
            seed(args.plays, args.tracks, args.days, Path(tempfile.mkdtemp()) / "export")
        with psycopg.connect(url) as conn:
            latest = conn.execute("SELECT max(snapshot_date) FROM snapshot_dates").fetchone()[0]
            track_id, artist = conn.execute(
                "SELECT track_id, artist_name FROM listening_track_firsts JOIN tracks"
                " USING (track_id) ORDER BY streams DESC LIMIT 1").fetchone() or ("", "")
        latest = latest or dt.date.today()
        pages = {name: link for name, link in links(latest, track_id, artist).items()
                 if not args.only or args.only in name}
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MTM_DATA_DIR")}
        times: dict[str, dict[str, list]] = {name: {} for name in pages}
        with DelayProxy.to(url, 0) as near, \
                DelayProxy.to(url, args.delay_ms / 1000) as far, \
                running_app(env | {"DATABASE_URL": near.url(url)}) as near_app, \
                running_app(env | {"DATABASE_URL": far.url(url)}) as far_app:
            for app, proxy in ((near_app, near), (far_app, far)):  # both open their pools
                view(app, proxy, "", "")
            for round_ in range(args.rounds):
                for name, (page, query) in pages.items():
                    new_version(url)
                    for label, app, proxy in (("near", near_app, near), ("far", far_app, far)):
                        times[name].setdefault(f"{label} first", []).append(
                            view(app, proxy, page, query))
                    for label, app, proxy in (("near", near_app, near), ("far", far_app, far)):
                        times[name].setdefault(f"{label} again", []).append(
                            view(app, proxy, page, query))
                print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr)
            woken = []
            for _ in range(args.rounds):  # a database that slept: every connection dropped
                far.suspend(args.wake_s)
                woken.append(view(far_app, far, *pages[next(iter(pages))]))
        report(times, args.delay_ms)
        seconds = statistics.median(s for s, _ in woken)
        print(f"\nafter the database slept (connections dropped, {args.wake_s:.0f} s to wake), "
              f"{next(iter(pages))}: {seconds:.2f} s, {max(n for _, n in woken)} round trips "
              f"(target <= wake + 1 s = {args.wake_s + 1:.0f} s)")


def report(times: dict, delay_ms: float) -> None:
    def median(values) -> float:
        return statistics.median(seconds for seconds, _ in values)

    def trips(values) -> int:
        return max(n for _, n in values)

    print(f"\nmedian seconds on the server, direct against {delay_ms:.0f} ms away; the most round "
          "trips a view made")
    print(f"{'page, from a link':24s}{'first: near':>12s}{'far':>7s}{'slower':>8s}{'trips':>6s}"
          f"{'again: near':>13s}{'far':>7s}{'slower':>8s}{'trips':>6s}")
    worst = {"first": 0.0, "again": 0.0}
    for name, by in times.items():
        cells = []
        for kind in ("first", "again"):
            near, far = median(by[f"near {kind}"]), median(by[f"far {kind}"])
            worst[kind] = max(worst[kind], far - near)
            cells.append(f"{near:12.2f}{far:7.2f}{far - near:+8.2f}{trips(by[f'far {kind}']):6d}")
        print(f"{name:24s}{cells[0]} {cells[1]}")
    print(f"\nat most slower: first view {worst['first']:+.2f} s (target +0.30 at 100 ms), "
          f"view again {worst['again']:+.2f} s (target +0.10)")


if __name__ == "__main__":
    main()
