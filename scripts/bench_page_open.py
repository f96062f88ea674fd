"""Opening each page from a link in Chromium, against a minimal Streamlit app that draws two
small Plotly charts (tests/support/apps/two_charts_app.py), measured side by side in one run; then the
app's memory after every page was visited.

    python scripts/bench_page_open.py [--tracks 10000] [--days 730] [--rounds 7]
    python scripts/bench_page_open.py --database NAME   # an existing database, read only
    python scripts/bench_page_open.py --only listening  # the pages whose name holds this text

Each open is a new browser page (a new Streamlit session), from navigation to the page drawn:
the script run finished, every Plotly chart's SVG and every table's cells present. Rounds
alternate between the two apps so that both see the same machine. Targets (issue #11): every
page <= 2x the minimal app; the app's process <= 400 MB after visiting every page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from scratch import existing_or_scratch  # first: it puts the project root on sys.path

# isort: split


from db.ingest import demo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import browser  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}


def links(latest: dt.date) -> dict[str, tuple[str, int]]:
    """name -> (link, Plotly charts it draws)."""
    year_ago = latest - dt.timedelta(days=364)
    month_ago = latest - dt.timedelta(days=28)
    return {
        "dashboard, 365-day link": (f"/?start={year_ago}&end={latest}", 3),
        "time machine": (f"/time_machine?date={latest}&time_range=short_term", 0),
        "compare, two dates": (f"/compare?a={month_ago}&b={latest}&time_range=short_term", 2),
        "rank history": ("/history?time_range=all", 1),
        "tracks, a search": ("/tracks?q=heart", 0),
        "tracks, explorer": ("/tracks?explore=explicit,single", 0),
        "data": ("/data", 0),
        "listening, all time": ("/listening", 2),
        "listening, 365-day link": (f"/listening?start={year_ago}&end={latest}"
                                    "&granularity=week&by=minutes", 2),
        "listening, top tracks": ("/listening?view=tracks", 0),
        "year in review": (f"/recap?year={latest.year}", 1),
    }


def drawn(page, charts: int) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=120_000)
    page.wait_for_function(
        """n => document.querySelectorAll("[data-testid='stPlotlyChart'] .main-svg").length >= n""",
        arg=charts, timeout=120_000)
    page.wait_for_function("""() => Array.from(document.querySelectorAll(
        "[data-testid='stDataFrame']")).every(g => !g.checkVisibility() ||
        g.querySelector("[role='gridcell']") || g.getBoundingClientRect().top > innerHeight)""",
                           timeout=120_000)


def open_once(opener, url: str, charts: int) -> float:
    """`opener`: the browser (a new context each time: nothing cached, as a first visit) or a
    context (its cache warm, as a reload or a second visit)."""
    page = opener.new_page(**({"viewport": VIEWPORT} if hasattr(opener, "contexts") else {}))
    try:
        started = time.perf_counter()
        page.goto(url)
        drawn(page, charts)
        return time.perf_counter() - started
    finally:
        page.close()


def measure(opener, app_url, yardstick, pages, rounds) -> dict[str, list[float]]:
    for link, charts in pages.values():  # warm: first runs, caches
        open_once(opener, app_url + link, charts)
    open_once(opener, yardstick, 2)
    times: dict[str, list[float]] = {name: [] for name in ["minimal app", *pages]}
    for _ in range(rounds):
        for name, (link, charts) in pages.items():
            times["minimal app"].append(open_once(opener, yardstick, 2))
            times[name].append(open_once(opener, app_url + link, charts))
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["minimal app"])
    print(f"{title:28s}{'median':>10s}{'max':>10s}{'vs minimal':>12s}")
    for name, values in times.items():
        median = statistics.median(values)
        flag = "" if median <= 2 * base else "  > 2x"
        print(f"  {name:26s}{median * 1000:7.0f} ms{max(values) * 1000:7.0f} ms"
              f"{median / base:11.2f}x{flag}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", help="an existing database on the resolved server")
    parser.add_argument("--only", help="the pages whose name holds this text (e.g. listening)")
    args = parser.parse_args()
    with existing_or_scratch(args.database, "bench_page_open.py") as (url, scratch):
        if scratch:
            summary = demo.seed_demo(tracks=args.tracks, days=args.days)
            print(f"seeded {summary['tracks']:,} tracks, {summary['days']} days")
        from queries import shared

        _, latest = shared.snapshot_bounds()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MTM_DATA_DIR")}
        env["DATABASE_URL"] = url
        started: list = []
        with browser.running_app(env, started=started) as app_url, \
                browser.running_app(env, script="tests/support/apps/two_charts_app.py") as yardstick, \
                browser.chromium() as chrome:
            pages = {name: link for name, link in links(latest).items()
                     if not args.only or args.only in name}
            first_visits = measure(chrome, app_url, yardstick, pages, args.rounds)
            context = chrome.new_context(viewport=VIEWPORT)
            warm = measure(context, app_url, yardstick, pages, args.rounds)
            memory = rss_mb(started[0].pid)
        report("first visit (empty cache)", first_visits)
        report("warm browser cache", warm)
        print(f"app process after visiting every page {2 * args.rounds + 2} times: {memory:.0f} MB "
              "resident (target <= 400 MB)")

if __name__ == "__main__":
    main()
