"""Importing a decade of Spotify's data export: plays and the daily top lists derived from them.

    python scripts/bench_history.py [--rows 250000] [--tracks 20000] [--years 10] [--newer-days 30]

Writes a generated export as Spotify ships it (a zip of Streaming_History_Audio_*.json files of
about 16,000 rows each, with podcasts, incognito plays, skips and ip_addr), then, in a scratch
database beside the configured one (dropped afterwards), runs `python -m db import-history ZIP` in
a process of its own: on the empty database, again with the same zip, and with a newer export (the
same plays and a month more). It prints seconds and that process's peak memory (max RSS; the
server's own memory is not in it), then times the list on a date (the time machine's queries) on
random dates. Targets: first import with derivation ≤ 60 s and ≤ 1 GB; the same zip again ≤ 20 s,
changing nothing; a list on any date ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import string
import tempfile
import time
import zipfile
from pathlib import Path

from bench_imports import measured
from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db.pool import get_pool
from queries import time_machine

ROWS_PER_FILE = 16_000


def track_ids(count: int, rnd: random.Random) -> list[str]:
    alphabet = string.ascii_letters + string.digits
    return ["".join(rnd.choice(alphabet) for _ in range(22)) for _ in range(count)]


def generate_rows(rows: int, tracks: int, years: int, seed: int = 7) -> list[dict]:
    """A listener's decade: tracks discovered over the years, favourites played in runs."""
    rnd = random.Random(seed)
    ids = track_ids(tracks, rnd)
    end = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365 * years)
    span = (end - start).total_seconds()
    out = []
    for n in range(rows):
        moment = start + dt.timedelta(seconds=span * n / rows + rnd.random() * 600)
        # tracks become available in order over the decade; recent ones are played most
        known = max(1, int(tracks * (n + 1) / rows))
        index = known - 1 - min(known - 1, int(rnd.paretovariate(1.2) * 3) + rnd.randrange(50))
        row = {
            "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "platform": rnd.choice(["android", "ios", "windows", "web_player"]),
            "ms_played": rnd.choice([5_000, 29_999, 30_000, 120_000, 180_000, 240_000]),
            "conn_country": "DE", "ip_addr": f"10.0.{rnd.randrange(256)}.{rnd.randrange(256)}",
            "master_metadata_track_name": f"Track {index}",
            "master_metadata_album_artist_name": f"Artist {index % 2000}",
            "master_metadata_album_album_name": f"Album {index % 5000}",
            "spotify_track_uri": f"spotify:track:{ids[index]}",
            "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
            "reason_start": "trackdone", "reason_end": rnd.choice(["trackdone", "fwdbtn"]),
            "shuffle": rnd.random() < 0.4, "skipped": rnd.random() < 0.2, "offline": False,
            "offline_timestamp": int(moment.timestamp()), "incognito_mode": rnd.random() < 0.02,
        }
        if rnd.random() < 0.03:  # a podcast episode
            row.update(master_metadata_track_name=None, master_metadata_album_artist_name=None,
                       master_metadata_album_album_name=None, spotify_track_uri=None,
                       episode_name="An episode", spotify_episode_uri="spotify:episode:x")
        out.append(row)
    return out


def later(rows: list[dict], days: int) -> list[dict]:
    """The plays of the last ``days`` days again, ``days`` days later: what a newer export adds."""
    shift = dt.timedelta(days=days)
    last = dt.datetime.fromisoformat(rows[-1]["ts"])
    out = []
    for row in rows:
        moment = dt.datetime.fromisoformat(row["ts"])
        if moment > last - shift:
            out.append(row | {"ts": (moment + shift).strftime("%Y-%m-%dT%H:%M:%SZ")})
    return out


def write_zip(rows: list[dict], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, first in enumerate(range(0, len(rows), ROWS_PER_FILE)):
            chunk = rows[first:first + ROWS_PER_FILE]
            years = f"{chunk[0]['ts'][:4]}-{chunk[-1]['ts'][:4]}"
            archive.writestr(f"Spotify Extended Streaming History/Streaming_History_Audio_"
                             f"{years}_{number}.json", json.dumps(chunk, indent=1))
        archive.writestr("Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory"
                         ".pdf", b"%PDF-1.4")
    return path


def list_timings(samples: int = 60) -> list[float]:
    """Milliseconds for the time machine's list on random dates (its two queries, uncached)."""
    with get_pool().connection() as conn:
        first, last = conn.execute("SELECT min(snapshot_date), max(snapshot_date)"
                                   " FROM derived_lists").fetchone()
    rnd = random.Random(3)
    timings = []
    for _ in range(samples):
        day = first + dt.timedelta(days=rnd.randrange((last - first).days + 1))
        started = time.perf_counter()  # distinct dates: every answer is a cache miss
        dates = time_machine.list_dates(day, "long_term")
        time_machine.top_list(dates["list_date"], dates["previous_date"], "long_term")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--newer-days", type=int, default=30,
                        help="days of plays a later export adds to the first")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mtm-history-"))
    rows = generate_rows(args.rows, args.tracks, args.years)
    zipped = write_zip(rows, folder / "my_spotify_data.zip")
    newer = write_zip(rows + later(rows, args.newer_days), folder / "newer.zip")
    print(f"export: {args.rows:,} rows, {args.tracks:,} tracks, {args.years} years; zip "
          f"{zipped.stat().st_size / 2**20:.1f} MB", flush=True)
    del rows
    with scratch_database():
        for run, path in (("empty database", zipped), ("same zip again", zipped),
                          (f"a newer export ({args.newer_days} days more)", newer)):
            seconds, peak, line = measured("import-history", str(path))
            print(f"{run}: {seconds:.1f} s, peak {peak} MB\n  {line}", flush=True)
        timings = list_timings()
        print(f"list on a date (long term, {len(timings)} random dates): median "
              f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")


if __name__ == "__main__":
    main()
