"""Every page's queries, warm: what each page of the app asks PostgreSQL, timed with Streamlit's
cache cleared before each round (so that each round asks PostgreSQL again, its buffers warm).

    python scripts/bench_pages.py [--tracks 1000000] [--days 730] [--repeat 10]
    python scripts/bench_pages.py --database NAME   # an existing database on the same server,
                                                    # read only (seeding a million takes ~2 min)

Target (issue #11): every page's queries <= 100 ms at 1,000,000 tracks and two years of daily
snapshots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import time

from scratch import existing_or_scratch  # first: it puts the project root on sys.path

# isort: split


from db.ingest import demo
from db.pool import connection


def pages(latest: dt.date) -> dict[str, dict[str, callable]]:
    from queries import compare, dashboard, history, shared, time_machine, tracks

    year_ago = latest - dt.timedelta(days=364)
    month_ago = latest - dt.timedelta(days=27)

    def machine(date, time_range, window):
        dates = time_machine.list_dates(date, time_range)
        top = time_machine.top_list(dates["list_date"], dates["previous_date"], time_range)
        time_machine.consistent_artists(dates["list_date"], time_range, window)
        return top

    def comparing(a, b, time_range="short_term"):  # a side: (start, end, period)
        left, _ = compare.side_tracks(*a, time_range)
        right, _ = compare.side_tracks(*b, time_range)
        return compare.compare(left, right), compare.mix(left, right, ("A", "B"))

    def track_page(text):
        found = tracks.search(text)
        if not found.empty:
            track_id = found["track_id"].iloc[0]
            tracks.track_detail(track_id)
            tracks.chart_summary(track_id)
            history.rank_history((track_id,), None)

    top_ids = tuple(history.charted_tracks(5)["track_id"])
    return {
        "every page": {
            "shared facts (bounds, demo)": lambda: (shared.snapshot_bounds(), shared.demo_info()),
        },
        "dashboard": {
            "all time": lambda: (dashboard.summary(None, None, None),
                                 dashboard.release_facets(None, None, None),
                                 dashboard.top_tracks(None, None, None)),
            "last 12 months, short term": lambda: (
                dashboard.summary(year_ago, latest, "short_term"),
                dashboard.release_facets(year_ago, latest, "short_term"),
                dashboard.top_tracks(year_ago, latest, "short_term")),
        },
        "time machine": {
            "latest, short term, 6 months": lambda: machine(None, "short_term", 182),
            "a year ago, long term, all time": lambda: machine(year_ago, "long_term", None),
        },
        "compare": {
            "two dates a month apart": lambda: comparing(
                (month_ago, month_ago, False), (latest, latest, False)),
            "two 12-month periods": lambda: comparing(
                (year_ago - dt.timedelta(days=365), year_ago - dt.timedelta(days=1), True),
                (year_ago, latest, True), "medium_term"),
        },
        "rank history": {
            "choices + 5 tracks, one range": lambda: (history.charted_tracks(),
                                                      history.track_names(top_ids),
                                                      history.rank_history(top_ids, "short_term")),
            "5 tracks, every range": lambda: history.rank_history(top_ids, None),
        },
        "tracks": {
            "search 'heart' + its first track": lambda: track_page("heart"),
            "search an artist's name": lambda: track_page("tomás reyes"),
            "search with no match": lambda: track_page("zzzzqqq"),
            "explorer: explicit": lambda: tracks.explore(("explicit",)),
            "explorer: single + clean": lambda: tracks.explore(("single", "clean")),
            "explorer: has popularity": lambda: tracks.explore(("has_popularity",)),
            "explorer: compilation + year only": lambda: tracks.explore(
                ("compilation", "year_precision")),
            "explorer: no album (rare)": lambda: tracks.explore(("no_album",)),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", help="an existing database on the resolved server")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings
    import streamlit as st

    from queries import shared

    with existing_or_scratch(args.database, "bench_pages.py") as (url, scratch):
        if scratch:
            started = time.perf_counter()
            summary = demo.seed_demo(tracks=args.tracks, days=args.days)
            print(f"seeded {summary['tracks']:,} tracks, {summary['snapshots']:,} snapshot rows "
                  f"in {time.perf_counter() - started:.0f} s")
        with connection() as conn:
            conn.autocommit = True
            if scratch:
                conn.execute("VACUUM ANALYZE")
            version = conn.execute("SHOW server_version").fetchone()[0]
            tracks, snapshots = conn.execute(
                "SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM snapshots)").fetchone()
        _, latest = shared.snapshot_bounds()
        print(f"PostgreSQL {version}: {tracks:,} tracks, {snapshots:,} snapshot rows, "
              f"latest list {latest}")
        print(f"{'page':14s}{'what':40s}{'median':>10s}{'max':>10s}")
        worst = 0.0
        for page, calls in pages(latest).items():
            for label, call in calls.items():
                times = []
                for round_ in range(args.repeat + 2):  # 2 warm-up rounds
                    st.cache_data.clear()
                    t = time.perf_counter()
                    call()
                    if round_ >= 2:
                        times.append((time.perf_counter() - t) * 1000)
                median = statistics.median(times)
                worst = max(worst, median)
                flag = "" if median <= 100 else "  > 100 ms"
                print(f"{page:14s}{label:40s}{median:7.1f} ms{max(times):7.1f} ms{flag}",
                      flush=True)
        print(f"(median and max of {args.repeat} rounds, Streamlit's cache cleared before each; "
              f"slowest median {worst:.1f} ms; target <= 100 ms)")


if __name__ == "__main__":
    main()
