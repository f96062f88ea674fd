"""The Listening, year-in-review, track and artist views at 2.5 million plays (ten years of a
household): every query of a view, warm.

    python scripts/bench_listening.py [--plays 2500000] [--tracks 60000] [--years 10]
    python scripts/bench_listening.py --database NAME   # an existing database (seeded first
                                                        # if it has no plays; then kept)

Seeding writes tracks and plays straight into a scratch database (COPY; an import of a 250 MB
export would measure the importer, which scripts/bench_history.py does), then makes the derived
lists and listening rollups as an import does (`derive_again`), and says how long that took. Each
round clears Streamlit's cache first, so that every query asks PostgreSQL again, its buffers warm.
Target (issue #19): every query of a view <= 100 ms. Opening the pages from a link beside a
minimal Streamlit app: `python scripts/bench_page_open.py --database NAME`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import statistics
import string
import time

from scratch import existing_or_scratch  # first: it puts the project root on sys.path

# isort: split

from db import migrations
from db.derive import top_lists
from db.model import access
from db.pool import connection

PLATFORMS = ("android", "ios", "windows", "web_player")


def seed(plays: int, tracks: int, years: int, seed_value: int = 19) -> None:
    """Tracks (by names, as the export knows them) and plays: three listeners' habits over the
    years, favourites in runs, new tracks discovered all along."""
    rnd = random.Random(seed_value)
    alphabet = string.ascii_letters + string.digits
    ids = ["".join(rnd.choice(alphabet) for _ in range(22)) for _ in range(tracks)]
    end = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365 * years)
    step = (end - start) / plays
    started = time.perf_counter()
    with connection() as c, c.transaction():
        with c.cursor().copy("COPY tracks (track_id, name, artist_name, album_name, spotify_url)"
                             " FROM STDIN") as copy:
            for n, track_id in enumerate(ids):
                copy.write_row((track_id, f"Track {n}", f"Artist {n % 4000}", f"Album {n % 9000}",
                                f"https://open.spotify.com/track/{track_id}"))
        with c.cursor().copy("COPY plays (played_at, track_id, ms_played, reason_end, shuffle,"
                             " skipped, incognito, platform, country) FROM STDIN") as copy:
            moment = start
            for n in range(plays):
                moment += step * (0.5 + rnd.random())
                known = max(1, int(tracks * (n + 1) / plays))
                index = known - 1 - min(known - 1, int(rnd.paretovariate(1.1) * 5)
                                        + rnd.randrange(200))
                copy.write_row((moment, ids[index], rnd.choice((8_000, 29_999, 30_000, 150_000,
                                                                 210_000, 260_000)),
                                "trackdone", rnd.random() < 0.4, rnd.random() < 0.25,
                                rnd.random() < 0.02, rnd.choice(PLATFORMS), "DE"))
                if n % 500_000 == 0:
                    print(f"  {n:,} plays written", flush=True)
    print(f"seeded {tracks:,} tracks and {plays:,} plays in {time.perf_counter() - started:.0f} s",
          flush=True)
    started = time.perf_counter()
    result = top_lists.derive_again(access.operator())
    print(f"derived lists and listening rollups in {time.perf_counter() - started:.0f} s "
          f"({result.line()})", flush=True)


# What each view asks: the Listening page (each f(start, end)), the track view (f(track_id)) and
# the artist view (f(artist)). Kept beside pages/listening.py and pages/tracks.py by hand.
LISTENING_VIEW = ("cards", "series", "heatmap", "top_tracks", "top_artists", "top_albums")
TRACK_VIEW = ("track_plays",)
ARTIST_VIEW = ("artist_tracks", "artist_plays")
RECAP_VIEW = ("months", "discovered", "top_tracks", "most_returned", "top_artists")


def views(latest: dt.date) -> dict[str, dict[str, callable]]:
    from queries import listening, recap, tracks

    year_ago = latest - dt.timedelta(days=364)
    month_ago = latest - dt.timedelta(days=27)
    with connection() as c:
        track_id, artist = c.execute(
            "SELECT f.track_id, t.artist_name FROM listening_track_firsts f JOIN tracks t"
            " USING (track_id) ORDER BY f.last_at DESC LIMIT 1").fetchone()
    found = {}
    five_years = latest - dt.timedelta(days=5 * 365)
    for name, (start, end) in {"all time": (None, None), "last 5 years": (five_years, latest),
                               # partial months at both ends: days as well as months are summed
                               "5 years to 10 days ago": (five_years - dt.timedelta(days=10),
                                                          latest - dt.timedelta(days=10)),
                               "last 12 months": (year_ago, latest),
                               "last 4 weeks": (month_ago, latest)}.items():
        found[f"listening, {name}"] = {
            query: (lambda q=query, s=start, e=end: getattr(listening, q)(s, e))
            for query in LISTENING_VIEW}
    found["year in review"] = {
        query: (lambda q=query: getattr(recap, q)(latest.year))
        for query in RECAP_VIEW}
    found["year in review"]["years"] = recap.years
    found["track view"] = {query: (lambda q=query: getattr(tracks, q)(track_id))
                           for query in TRACK_VIEW}
    found["artist view"] = {query: (lambda q=query: getattr(tracks, q)(artist))
                            for query in ARTIST_VIEW}
    return found


def timed(repeat: int) -> None:
    import streamlit as st

    with connection() as c:
        latest = c.execute("SELECT max(day) FROM listening_days").fetchone()[0]
    for view, queries in views(latest).items():
        print(view)
        for name, ask in queries.items():
            ask()  # warm: the first answer also plans the statement
            times = []
            for _ in range(repeat):
                st.cache_data.clear()
                started = time.perf_counter()
                ask()
                times.append((time.perf_counter() - started) * 1000)
            print(f"  {name}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=2_500_000)
    parser.add_argument("--tracks", type=int, default=60_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", help="an existing database on the resolved server")
    args = parser.parse_args()
    import streamlit  # noqa: F401 (its loggers, each with its own level, exist from here on)

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):  # "No runtime found" on every cached call outside an app
            logging.getLogger(name).setLevel(logging.ERROR)
    with existing_or_scratch(args.database, "bench_listening.py") as (_, fresh):
        if fresh or not _has_plays():
            migrations.migrate()
            seed(args.plays, args.tracks, args.years)
        timed(args.repeat)


def _has_plays() -> bool:
    with connection() as c:
        version = migrations.current_version(c)
        return version >= 10 and c.execute("SELECT EXISTS (SELECT 1 FROM plays)").fetchone()[0]


if __name__ == "__main__":
    main()
