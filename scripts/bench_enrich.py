"""Track details within Spotify's daily quota: how fast a decade's export gets its details, day by
day, in today's order and in the new one.

    python scripts/bench_enrich.py [--rows 250000] [--tracks 20000] [--saved 4000] [--days 40]
                                   [--saved-choice loved|random] [--jitter-minutes 5]
                                   [--connect-hours-before 12] [--missing 20]

A generated export (bench_history's row format): --rows plays over ten years of --tracks tracks
(ids of 22 letters and digits) whose popularity is Zipf-like (s = --zipf, 1.1: a few hundred
tracks hold most streams), every track played at least once, nine plays in ten of 30 s or more
(streams). It is imported (import_history, which derives the daily top lists) into a scratch
database beside the configured one (dropped afterwards). The local fake of Spotify
(tests/support/fake_spotify.py) knows every track but --missing planted ones (404s), serves a
saved library of --saved tracks (a quarter never played; the others from the history, weighted
by streams with --saved-choice loved, uniformly with random), the 50 most recently played tracks
and top lists made of the listener's top tracks, and answers 429 QUOTA_EXCEEDED once 1,000 Web
API requests were answered in 24 hours (its rolling window, on the simulated clock). The account
is connected --connect-hours-before the first daily job (connecting asks /v1/me once).

Then simulated days: at 06:15 UTC (+- --jitter-minutes) the daily job runs on a simulated clock
(every wait is simulated): sync_spotify, then the details, in two orders on the same data:
- today's order (before the budget): no bulk step, GET /v1/tracks/{id} one track a request in
  track-id order until Spotify's quota 429 stops the day;
- the new order: enrich_tracks (saved and recently played tracks 50 a request, then one track a
  request, most streamed first) within MTM_ENRICH_DAILY_REQUESTS = 1,000 a day.

Printed for each day and order: Web API requests that day (the fake's count; the new order also
the budget's own), tracks with details, the share of all-time streams and of list entries
(snapshots rows) whose track has details; then wall seconds. Targets (exit 1 naming the failed):
the first day covers >= 70 % of streams (new order); every track has its details within
ceil(tracks not saved / 1,000) + 1 days; no request answered QUOTA_EXCEEDED in the new order;
no track marked not_on_spotify but the planted ones. A day where the budget's count of the
last 24 hours differs from the fake's is named below the table. About 6 minutes with the
defaults on 2 cores (the import about one of them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench_history import track_ids, write_zip
from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

import numpy as np
import requests

from db.derive.streams import STREAM_MS
from db.errors import first_line
from db.ingest.spotify import budget, enrich, sync
from db.ingest.spotify.api import Policy, SpotifyError, SpotifyRateLimited, settings
from db.ingest.streaming_history import import_history
from db.model import access
from db.model.snapshots import WINDOW_DAYS
from db.model.tracks import save_tracks
from db.pool import connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.fake_spotify import FakeSpotify, track  # noqa: E402

REDIRECT = "http://127.0.0.1:8501/data"
GRANT = access.Grant("open")
EXPORT_END = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
FIRST_DAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
JOB_AT = dt.timedelta(hours=6, minutes=15)
DAY_US = 86_400 * 10**6


class SimClock:
    """The simulated time: whole microseconds since ``start``, moved only by sleep() and by the
    benchmark (to the next daily job). now() for the wall clock, mono() for the monotonic one,
    micros() for the fake's quota window (integers: a request made exactly 24 hours before
    leaves both windows, ours and the fake's, at the same moment)."""

    def __init__(self, start: dt.datetime) -> None:
        self.start, self.us, self.slept = start, 0, 0

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(microseconds=self.us)

    def mono(self) -> float:
        return self.us / 1e6

    def micros(self) -> int:
        return self.us

    def sleep(self, seconds: float) -> None:
        step = max(0, math.ceil(seconds * 1e6))
        self.us += step
        self.slept += step

    def at(self, when: dt.datetime) -> int:
        return (when - self.start) // dt.timedelta(microseconds=1)

    def advance_to(self, when: dt.datetime) -> None:
        self.us = max(self.us, self.at(when))


@dataclass
class Export:
    rows: list[dict]
    ids: list[str]  # by popularity: ids[0] is the most streamed
    streams: Counter  # track id -> streams
    saved: list[tuple[str, str]] = field(default_factory=list)  # (added_at, id), newest first
    recent: list[tuple[str, str]] = field(default_factory=list)  # (played_at, id), newest first
    lists: dict[str, list[str]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    unplayed: list[str] = field(default_factory=list)  # saved, never played


def generate(args: argparse.Namespace) -> Export:
    """A decade of plays: every track once, the rest drawn with Zipf-like popularity."""
    rnd = random.Random(args.seed)
    gen = np.random.default_rng(args.seed)
    ids = track_ids(args.tracks, rnd)
    podcasts = args.rows // 50
    weights = 1.0 / np.arange(1, args.tracks + 1) ** args.zipf
    picks = np.concatenate([np.arange(args.tracks), gen.choice(
        args.tracks, size=max(0, args.rows - podcasts - args.tracks), p=weights / weights.sum())])
    gen.shuffle(picks)
    slots = sorted(gen.choice(args.rows, size=podcasts, replace=False).tolist())
    start = EXPORT_END - dt.timedelta(days=3650)
    span = (EXPORT_END - start).total_seconds() - 3600
    rows, streams, podcast, played = [], Counter(), set(slots), iter(picks.tolist())
    for n in range(args.rows):
        moment = start + dt.timedelta(seconds=span * n / args.rows + rnd.random() * 60)
        ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if n in podcast:
            rows.append({"ts": ts, "platform": "android", "ms_played": 600_000,
                         "master_metadata_track_name": None, "spotify_track_uri": None,
                         "episode_name": "An episode", "spotify_episode_uri": "spotify:episode:x",
                         "incognito_mode": False})
            continue
        index = next(played)
        ms = (rnd.choice([30_000, 95_000, 180_000, 240_000]) if rnd.random() < 0.9
              else rnd.choice([4_000, 12_000, 29_999]))
        incognito = rnd.random() < 0.01
        if ms >= STREAM_MS and not incognito:
            streams[ids[index]] += 1
        rows.append({
            "ts": ts, "platform": rnd.choice(["android", "ios", "windows"]), "ms_played": ms,
            "conn_country": "DE", "master_metadata_track_name": f"Track {index}",
            "master_metadata_album_artist_name": f"Artist {index % 2000}",
            "master_metadata_album_album_name": f"Album {index % 5000}",
            "spotify_track_uri": f"spotify:track:{ids[index]}", "episode_name": None,
            "spotify_episode_uri": None, "reason_start": "trackdone", "reason_end": "trackdone",
            "shuffle": False, "skipped": ms < STREAM_MS, "offline": False,
            "incognito_mode": incognito})
    export = Export(rows, ids, streams)
    _library(export, args, rnd, gen)
    return export


def _library(export: Export, args: argparse.Namespace, rnd: random.Random,
             gen: np.random.Generator) -> None:
    """Top lists, recently played and the saved library as Spotify would have them; then the
    planted tracks Spotify does not have (none of those)."""
    rows = [r for r in export.rows if r["spotify_track_uri"]]
    for time_range, days in WINDOW_DAYS.items():
        since = (EXPORT_END - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        counted = Counter(r["spotify_track_uri"][14:] for r in rows
                          if r["ts"] >= since and r["ms_played"] >= STREAM_MS)
        export.lists[time_range] = [tid for tid, _ in counted.most_common(99)]
    seen: set[str] = set()
    for row in reversed(rows):
        tid = row["spotify_track_uri"][14:]
        if tid not in seen:
            seen.add(tid)
            export.recent.append((row["ts"], tid))
            if len(export.recent) == 50:
                break
    played = min(args.saved - args.saved_unplayed, len(export.ids))
    if args.saved_choice == "loved":  # weighted by streams: what one loves, one saves
        weight = np.array([export.streams[t] + 1.0 for t in export.ids])
        chosen = gen.choice(len(export.ids), size=played, replace=False, p=weight / weight.sum())
    else:
        chosen = gen.choice(len(export.ids), size=played, replace=False)
    export.unplayed = track_ids(args.saved_unplayed, random.Random(args.seed + 1))
    library = [export.ids[i] for i in chosen.tolist()] + export.unplayed
    rnd.shuffle(library)
    newest = EXPORT_END - dt.timedelta(days=3)
    step = dt.timedelta(days=3650) / max(1, len(library))
    export.saved = [((newest - n * step).strftime("%Y-%m-%dT%H:%M:%SZ"), tid)
                    for n, tid in enumerate(library)]
    known = ({t for _, t in export.saved} | {t for _, t in export.recent}
             | {t for ids in export.lists.values() for t in ids})
    candidates = [t for t in export.ids if t not in known]
    export.missing = set(rnd.sample(candidates, min(args.missing, len(candidates))))


def serve(fake: FakeSpotify, export: Export, args: argparse.Namespace) -> None:
    objects = {tid: track(n + 1, id=tid) for n, tid in enumerate(export.ids + export.unplayed)}
    fake.register(*(obj for tid, obj in objects.items() if tid not in export.missing))
    fake.saved = [(added, objects[tid]) for added, tid in export.saved]
    fake.recent = [(played, objects[tid]) for played, tid in export.recent]
    fake.lists = {r: [objects[t] for t in ids] for r, ids in export.lists.items()}
    fake.quota(args.quota, window_s=DAY_US, retry_after_s=86_400)  # the window in microseconds


def connect(policy: Policy) -> None:
    answer = requests.get(sync.begin_connect(GRANT), allow_redirects=False, timeout=60)
    back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    sync.complete_connect(back["state"], back["code"], policy=policy)


# -- the two orders ------------------------------------------------------------------------------

def today_order(sim: SimClock, policy: Policy, per_second: float) -> tuple[int, str]:
    """Details as before the budget: one track a request, in id order, until Spotify's 429.
    (asked, why it stopped)."""
    asked, objects, gone, why = 0, [], [], "every track asked"

    def flush() -> None:
        if objects:
            save_tracks(objects)
        if gone:
            with connection() as c:
                c.execute("UPDATE tracks SET not_on_spotify = true WHERE track_id = ANY(%s)",
                          (gone,))
        objects.clear()
        gone.clear()

    last, next_at, gap = "", None, round(1e6 / per_second)  # microseconds, as the fake's clock
    with sync.leased_client(settings(), policy) as run:
        run.client.refresh()
        try:
            while True:
                with connection() as c:
                    page = [r[0] for r in c.execute(
                        "SELECT track_id FROM tracks WHERE raw_json IS NULL AND NOT"
                        " not_on_spotify AND track_id > %s ORDER BY track_id LIMIT 50", (last,))]
                if not page:
                    break
                for track_id in page:
                    if next_at is not None and sim.us < next_at:
                        sim.us = next_at
                    next_at = sim.us + gap
                    found = run.client.track(track_id)
                    asked += 1
                    (objects.append(found) if found is not None else gone.append(track_id))
                    if len(objects) + len(gone) >= enrich.BATCH:
                        flush()
                last = page[-1]
        except SpotifyRateLimited as exc:
            why = "QUOTA 429" if exc.quota else f"429: {first_line(exc)[:60]}"
        finally:
            flush()
    return asked, why


@dataclass
class Day:
    number: int
    at: dt.datetime
    requests: int = 0  # the fake's count: answered, and answered QUOTA_EXCEEDED
    over_quota: int = 0
    metered: int = 0  # the budget's count (spotify_requests)
    details: int = 0
    left: int = 0
    streams: float = 0.0
    lists: float = 0.0
    in_bulk: int = 0
    one_by_one: int = 0
    notes: list[str] = field(default_factory=list)


COVERAGE_SQL = """
SELECT (SELECT count(*) FROM tracks WHERE raw_json IS NOT NULL),
       (SELECT count(*) FROM tracks WHERE raw_json IS NULL AND NOT not_on_spotify),
       (SELECT coalesce(sum(f.streams) FILTER (WHERE t.raw_json IS NOT NULL), 0)::float
               / nullif(sum(f.streams), 0)
        FROM listening_track_firsts f JOIN tracks t USING (track_id)),
       (SELECT count(*) FILTER (WHERE t.raw_json IS NOT NULL)::float / nullif(count(*), 0)
        FROM list_ranks s JOIN tracks t USING (track_id))
"""


def simulate(new: bool, sim: SimClock, fake: FakeSpotify, policy: Policy,
             args: argparse.Namespace) -> list[Day]:
    jitter = random.Random(args.seed + 2)
    days = []
    for number in range(1, args.days + 1):
        shift = dt.timedelta(minutes=jitter.uniform(-args.jitter_minutes, args.jitter_minutes))
        sim.advance_to(FIRST_DAY + dt.timedelta(days=number - 1) + JOB_AT + shift)
        day = Day(number, sim.now())
        start_us, over = sim.us, fake.over_quota
        if not new:  # before the budget nothing remembered Spotify's 429
            with connection() as c:
                c.execute("UPDATE spotify_quota SET not_before = NULL, reason = NULL")
        try:
            sync.sync_spotify(GRANT, policy=policy, day=day.at.date(), now=sim.now)
        except SpotifyError as exc:
            day.notes.append(f"sync failed: {first_line(exc)[:200]}")
        if new:
            report = enrich.enrich_tracks(GRANT, policy=policy, clock=sim.mono, now=sim.now,
                                          per_second=args.per_second)
            day.in_bulk, day.one_by_one = report.in_bulk, report.asked
            if report.stopped:
                day.notes.append(f"details stopped: {report.stopped}")
            if report.requests and report.left and report.spent is None and not report.stopped:
                day.notes.append("details ended with tracks left, neither spent nor stopped")
        else:
            day.one_by_one, why = today_order(sim, policy, args.per_second)
            if why != "QUOTA 429":
                day.notes.append(f"details: {why}")
        with connection() as c:
            day.metered = c.execute("SELECT count(*) FROM spotify_requests WHERE requested_at"
                                    " >= %s", (day.at,)).fetchone()[0]
            day.details, day.left, day.streams, day.lists = c.execute(COVERAGE_SQL).fetchone()
            ours = c.execute("SELECT count(*) FROM spotify_requests WHERE requested_at > %s",
                             (sim.now() - budget.WINDOW,)).fetchone()[0]
        day.over_quota = fake.over_quota - over
        day.requests = sum(1 for t in fake.answered if t >= start_us) + day.over_quota
        theirs = sum(1 for t in fake.answered if t > sim.us - DAY_US)
        if new and ours != theirs:
            day.notes.append(f"24 h window at the end of the job: the budget counts {ours:,} "
                             f"requests, Spotify (the fake) answered {theirs:,}")
        days.append(day)
        if day.left == 0:
            break
    return days


def reset(fake: FakeSpotify, answered_before: list[int], connected: dt.datetime) -> None:
    """The data as the import and the connection left it, the quota windows (the budget's and
    the fake's) as before the first day."""
    with connection() as c, c.transaction():
        c.execute("UPDATE tracks SET raw_json = NULL, not_on_spotify = false"
                  " WHERE raw_json IS NOT NULL OR not_on_spotify")
        c.execute("DELETE FROM spotify_requests WHERE requested_at > %s", (connected,))
        c.execute("UPDATE spotify_quota SET not_before = NULL, reason = NULL")
        c.execute("UPDATE spotify_account SET library_offset = NULL, library_seen_until = NULL")
        c.execute("DELETE FROM snapshots WHERE NOT derived")
    fake.answered[:] = answered_before
    fake.over_quota = 0


# -- output --------------------------------------------------------------------------------------

def table(old: list[Day], new: list[Day]) -> None:
    print(f"\n{'':17}| today's order (one by one, id order, until 429)  "
          f"| new order (bulk, most streamed first, budget)")
    print(f"{'day':>3} {'job at (UTC)':>13} | {'requests':>8} {'429s':>5} {'details':>8} "
          f"{'streams':>8} {'lists':>7} | {'requests':>8} {'budget':>7} {'429s':>5} {'bulk':>5} "
          f"{'1-by-1':>6} {'details':>8} {'streams':>8} {'lists':>7} {'left':>7}")
    for n in range(max(len(old), len(new))):
        a = old[n] if n < len(old) else None
        b = new[n] if n < len(new) else None
        at = (a or b).at
        left = (f"{a.requests:>8,} {a.over_quota:>5,} {a.details:>8,} {a.streams:>8.1%} "
                f"{a.lists:>7.1%}" if a else f"{'(done)':>8}{'':31}")
        right = (f"{b.requests:>8,} {b.metered:>7,} {b.over_quota:>5,} {b.in_bulk:>5,} "
                 f"{b.one_by_one:>6,} {b.details:>8,} {b.streams:>8.1%} {b.lists:>7.1%} "
                 f"{b.left:>7,}" if b else f"{'(done)':>8}")
        print(f"{n + 1:>3} {at:%m-%d %H:%M:%S} | {left} | {right}")
    for name, days in (("today's order", old), ("new order", new)):
        for day in days:
            for note in day.notes:
                print(f"  {name}, day {day.number}: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--saved", type=int, default=4_000, help="tracks in the saved library")
    parser.add_argument("--saved-unplayed", type=int, default=1_000,
                        help="of them, tracks never played")
    parser.add_argument("--saved-choice", choices=("loved", "random"), default="loved",
                        help="saved tracks from the history: weighted by streams, or uniformly")
    parser.add_argument("--days", type=int, default=40, help="at most this many days an order")
    parser.add_argument("--zipf", type=float, default=1.1, help="popularity skew (s)")
    parser.add_argument("--missing", type=int, default=20,
                        help="tracks of the history Spotify does not have (404)")
    parser.add_argument("--quota", type=int, default=1_000,
                        help="the fake's quota: requests in a rolling 24 hours")
    parser.add_argument("--daily", type=int, default=1_000, help="MTM_ENRICH_DAILY_REQUESTS")
    parser.add_argument("--per-second", type=float, default=50.0)
    parser.add_argument("--jitter-minutes", type=float, default=5.0,
                        help="the daily job starts up to this much before or after 06:15")
    parser.add_argument("--connect-hours-before", type=float, default=12.0,
                        help="the account is connected this long before the first daily job")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's line per request
    started = time.perf_counter()
    export = generate(args)
    folder = tempfile.TemporaryDirectory(prefix="mtm-enrich-")
    zipped = write_zip(export.rows, Path(folder.name) / "my_spotify_data.zip")
    shares = sorted(export.streams.values(), reverse=True)
    total = sum(shares)
    saved_ids = {t for _, t in export.saved}
    not_saved = sum(1 for t in export.ids if t not in saved_ids)
    print(f"export: {len(export.rows):,} rows, {args.tracks:,} tracks (Zipf s={args.zipf}), "
          f"{total:,} streams; the top 300 tracks hold {sum(shares[:300]) / total:.1%}, the top "
          f"1,000 {sum(shares[:1000]) / total:.1%}; zip {zipped.stat().st_size / 2**20:.1f} MB; "
          f"generated in {time.perf_counter() - started:.1f} s")
    print(f"Spotify (the fake): saved library {len(export.saved):,} ({len(export.unplayed):,} "
          f"never played, the others chosen {args.saved_choice}: "
          f"{sum(export.streams[t] for t in saved_ids) / total:.1%} of streams), recently "
          f"played {len(export.recent)}, top lists of {', '.join(str(len(v)) for v in export.lists.values())}"
          f" tracks; {len(export.missing)} tracks of the history unknown to it; quota "
          f"{args.quota:,} requests in 24 h; MTM_ENRICH_DAILY_REQUESTS={args.daily:,}")
    del export.rows
    fake = FakeSpotify()
    failures = []
    try:
        os.environ.update(fake.env(REDIRECT) | {budget.SETTING: str(args.daily)})
        serve(fake, export, args)
        with scratch_database():
            timer = time.perf_counter()
            report = import_history([zipped], GRANT)
            print(f"import: {time.perf_counter() - timer:.1f} s; {report.line()}", flush=True)
            begin = FIRST_DAY + JOB_AT - dt.timedelta(hours=args.connect_hours_before)
            sim = SimClock(begin)
            fake.clock = sim.micros
            policy = Policy(backoff_s=0.01, timeout=(30.0, 60.0), sleep=sim.sleep)
            connect(policy)
            answered_before = list(fake.answered)
            with connection() as c:
                # complete_connect takes no clock: what it counted into the budget is stamped
                # on the wall clock, moved here to the simulated one.
                c.execute("UPDATE spotify_requests SET requested_at = %s WHERE requested_at > %s",
                          (sim.now(), sim.now()))
                metered = c.execute("SELECT count(*) FROM spotify_requests").fetchone()[0]
            print(f"connected at {begin:%Y-%m-%d %H:%M} UTC: {len(answered_before)} Web API "
                  f"request (/v1/me) answered, {metered} counted by the budget", flush=True)

            timer = time.perf_counter()
            new = simulate(True, sim, fake, policy, args)
            new_s = time.perf_counter() - timer
            over_quota_new = sum(d.over_quota for d in new)
            with connection() as c:
                gone_new = {r[0] for r in c.execute("SELECT track_id FROM tracks WHERE"
                                                    " not_on_spotify")}
            print(f"new order: {len(new)} days simulated in {new_s:.1f} s", flush=True)

            reset(fake, answered_before, begin)
            sim.us = 0
            timer = time.perf_counter()
            old = simulate(False, sim, fake, policy, args)
            old_s = time.perf_counter() - timer
            print(f"today's order: {len(old)} days simulated in {old_s:.1f} s", flush=True)
        table(old, new)

        bound = math.ceil(not_saved / args.daily) + 1
        for name, days in (("today's order", old), ("new order", new)):
            done = next((d.number for d in days if d.left == 0), None)
            print(f"{name}: every track has its details after "
                  + (f"{done} days" if done else f"more than {len(days)} days (not done)")
                  + f"; {sum(d.requests for d in days):,} requests, "
                  f"{sum(d.over_quota for d in days):,} answered QUOTA_EXCEEDED")
        print(f"wall: {time.perf_counter() - started:.1f} s in all (new order {new_s:.1f} s, "
              f"today's order {old_s:.1f} s)")
        done_new = next((d.number for d in new if d.left == 0), None)
        checks = [
            (new[0].streams >= 0.70,
             f"first day covers {new[0].streams:.1%} of streams (target >= 70%)"),
            (done_new is not None and done_new <= bound,
             f"every track has its details after {done_new or 'more than ' + str(len(new))} days"
             f" (target <= ceil({not_saved:,} not saved / {args.daily:,}) + 1 = {bound})"),
            (over_quota_new == 0,
             f"{over_quota_new} requests answered QUOTA_EXCEEDED in the new order (target 0)"),
            (gone_new <= export.missing and (done_new is None or gone_new == export.missing),
             f"{len(gone_new)} tracks marked not_on_spotify, {len(gone_new - export.missing)} of"
             f" them not among the {len(export.missing)} planted (target: the planted ones, all"
             " of them once every track was asked)"),
        ]
        for ok, line in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {line}")
        failures = [line for ok, line in checks if not ok]
    finally:
        fake.stop()
        folder.cleanup()
    if failures:
        print(f"failed: {'; '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
