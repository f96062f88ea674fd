"""Details within Spotify's 2026 quota (issue #24), against the local fake of Spotify and a real
PostgreSQL: saved and recently played tracks in bulk, then one track a request in the order of
streams; a daily budget counted in the database that no two runs together exceed and that keeps
the next sync's requests; Spotify's quota 429 stored so that no process asks before its time; an
account connected before the library scopes; the daily job doing both."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import threading
import zipfile
from collections import Counter

import psycopg
import pytest

from db.errors import ConfigurationError
from db.ingest import streaming_history
from db.ingest.spotify import budget, enrich, sync
from db.ingest.spotify.api import Policy, SpotifyRateLimited
from db.model import access

from support import spotify_account
from support.cli import run_cli
from support.fake_spotify import TOKEN_MARK, FakeSpotify, track
from support.waits import wait_until

REDIRECT = "http://127.0.0.1:8501/data"
OPEN = access.Grant("open")
NOW = dt.datetime(2026, 11, 21, 6, 15, tzinfo=dt.UTC)
SAVED_PAGES = "/v1/me/tracks"
RECENT = "/v1/me/player/recently-played"


class Clock:
    """Wall time and monotonic time that move only when something sleeps on them."""

    def __init__(self, at: dt.datetime = NOW) -> None:
        self.at, self.seconds = at, 1000.0

    def now(self) -> dt.datetime:
        return self.at

    def clock(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)
        self.seconds += seconds

    def policy(self) -> Policy:
        return Policy(backoff_s=0.01, timeout=(30.0, 60.0), sleep=self.sleep)


def connect(fake: FakeSpotify, monkeypatch, conn) -> sync.Account:
    """Connect the account, as if long before NOW: connecting's /v1/me counts into the budget at
    the real clock, which the tests' days do not follow."""
    for name, value in fake.env(REDIRECT).items():
        monkeypatch.setenv(name, value)
    account = spotify_account.connect()
    assert conn.execute("UPDATE spotify_requests SET requested_at = %s WHERE purpose = 'account'",
                        (NOW - dt.timedelta(days=30),)).rowcount == 1
    return account


@pytest.fixture
def connected(fake, use_database, monkeypatch, conn):
    connect(fake, monkeypatch, conn)
    return fake


def enrich_run(time: Clock, **kwargs) -> enrich.EnrichReport:
    return enrich.enrich_tracks(OPEN, policy=time.policy(), clock=time.clock, now=time.now,
                                per_second=50, **kwargs)


def export_tracks(conn, fake: FakeSpotify, numbers, streams=None) -> list[str]:
    """Tracks known only by name, as the export import leaves them (with ``streams[n]`` plays
    of each when given, imported as the export's rows); Spotify knows each."""
    objects = [track(n) for n in numbers]
    if streams:
        rows = [{"ts": f"2025-03-{1 + i % 28:02d}T12:{i // 28 % 60:02d}:{n % 60:02d}Z",
                 "ms_played": 200_000, "spotify_track_uri": obj["uri"],
                 "master_metadata_track_name": f"Export name {n}",
                 "master_metadata_album_artist_name": "Export artist",
                 "master_metadata_album_album_name": "Export album", "platform": "linux",
                 "reason_start": "trackdone", "reason_end": "trackdone", "shuffle": False,
                 "skipped": False, "offline": False, "incognito_mode": False}
                for n, obj in zip(numbers, objects, strict=True) for i in range(streams[n])]
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("Spotify Extended Streaming History/Streaming_History_Audio_2025_0"
                             ".json", json.dumps(rows))
        streaming_history.import_history_upload(zipped.getvalue(), "my_spotify_data.zip", OPEN)
    else:
        for n, obj in zip(numbers, objects, strict=True):
            conn.execute("INSERT INTO tracks (track_id, name, spotify_url) VALUES (%s, %s, %s)",
                         (obj["id"], f"Export name {n}", obj["external_urls"]["spotify"]))
    fake.register(*objects)
    return [obj["id"] for obj in objects]


def saved(fake: FakeSpotify, numbers, newest: dt.datetime = NOW) -> None:
    """The saved library, newest first, an hour apart."""
    fake.saved = [((newest - dt.timedelta(hours=k)).isoformat().replace("+00:00", "Z"),
                   track(n)) for k, n in enumerate(numbers)]


def with_details(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT track_id FROM tracks WHERE raw_json IS NOT NULL")}


def requests_stored(conn) -> Counter:
    return Counter(dict(conn.execute("SELECT purpose, count(*) FROM spotify_requests"
                                     " GROUP BY purpose").fetchall()))


# -- in bulk first ------------------------------------------------------------------------------

def test_saved_tracks_arrive_fifty_a_request_and_only_for_tracks_the_app_knows(connected, conn):
    ids = export_tracks(conn, connected, range(1, 131))
    saved(connected, [*range(1, 121), *range(500, 530)])  # 120 known, 30 never played
    tracks_before = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
    report = enrich_run(Clock())
    assert len(connected.hits(SAVED_PAGES)) == math.ceil(150 / 50)
    assert (report.in_bulk, report.enriched, report.left) == (120, 10, 0)
    assert connected.tracks_asked() == ids[120:]  # only those the library did not bring
    assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == tracks_before
    assert with_details(conn) == set(ids)
    assert requests_stored(conn) == Counter(recent=1, saved=3, details=10)  # connecting: pruned
    assert report.requests == 14 and "(120 from saved and recently played, 10 one by one)" in \
        report.line()


def test_a_later_pass_reads_only_what_was_saved_since(connected, conn):
    export_tracks(conn, connected, range(1, 201))
    saved(connected, range(1, 101))
    daily = budget.SYNC_REQUESTS + 3  # recently played and two requests more a day
    assert enrich_run(Clock(), daily=daily).in_bulk == 100  # the whole library: two pages
    assert len(connected.hits(SAVED_PAGES)) == 2 and connected.tracks_asked() == []
    saved(connected, [150, *range(1, 101)], newest=NOW + dt.timedelta(hours=1))  # one new save
    report = enrich_run(Clock(NOW + dt.timedelta(days=1)), daily=daily)
    assert len(connected.hits(SAVED_PAGES)) == 3  # one page, which reaches the older saves
    assert report.in_bulk == 1 and track(150)["id"] in with_details(conn)
    assert len(connected.tracks_asked()) == 1  # the request left went to the next track


def test_a_pass_the_budget_stops_resumes_where_it_was(connected, conn):
    export_tracks(conn, connected, range(1, 301))
    saved(connected, range(1, 301))
    first = enrich_run(Clock(), daily=budget.SYNC_REQUESTS + 4)  # recent + 3 pages
    assert first.in_bulk == 150 and first.spent is not None and first.left == 150
    assert conn.execute("SELECT library_offset FROM spotify_account").fetchone() == (150,)
    second = enrich_run(Clock(NOW + dt.timedelta(days=1)), daily=budget.SYNC_REQUESTS + 4)
    assert (second.in_bulk, second.left) == (150, 0)
    offsets = [int(r[3]["offset"]) for r in connected.hits(SAVED_PAGES)]
    assert offsets == [0, 50, 100, 150, 200, 250]  # each page once
    assert connected.tracks_asked() == []


def test_recently_played_brings_details_too(connected, conn):
    ids = export_tracks(conn, connected, range(1, 4))
    connected.recent = [("2026-11-20T10:00:00Z", track(2)), ("2026-11-20T09:56:00Z", track(2)),
                        ("2026-11-20T09:50:00Z", track(900))]
    report = enrich_run(Clock())
    assert report.in_bulk == 1 and connected.tracks_asked() == [ids[0], ids[2]]


# -- then one by one, most listened first -------------------------------------------------------

def test_tracks_are_asked_for_in_the_order_of_their_streams(connected, conn):
    streams = {1: 2, 2: 9, 3: 1, 4: 5, 5: 9}
    ids = dict(zip(streams, export_tracks(conn, connected, streams, streams), strict=True))
    enrich_run(Clock())
    # Most streams first; a tie (2 and 5) by days on the derived lists, then by id.
    assert connected.tracks_asked() == [ids[2], ids[5], ids[4], ids[1], ids[3]]


# -- the daily budget ---------------------------------------------------------------------------

def test_the_budget_is_never_exceeded_even_by_runs_at_once(use_database):
    daily = budget.SYNC_REQUESTS + 25  # 25 for details
    taken: list[bool] = []
    start = threading.Barrier(6)

    def run() -> None:
        meter = budget.Meter("details", limited=True, daily=daily, now=lambda: NOW)
        start.wait()
        for _ in range(10):
            try:
                meter("a track")
            except budget.BudgetSpent:
                taken.append(False)
            else:
                taken.append(True)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(True) == 25 and len(taken) == 60
    standing = budget.standing(now=NOW, daily=daily)
    assert (standing.used, standing.for_details) == (25, 0)
    # The sync still gets its requests; it is never refused by the budget.
    sync_meter = budget.Meter("lists", limited=False, daily=daily, now=lambda: NOW)
    for _ in range(budget.SYNC_REQUESTS):
        sync_meter("a top list")
    assert budget.standing(now=NOW, daily=daily).used == daily


def test_a_run_ends_at_the_budget_saying_when_and_how_many_days(connected, conn):
    ids = export_tracks(conn, connected, range(1, 41))
    time = Clock()
    report = enrich_run(time, daily=budget.SYNC_REQUESTS + 12)
    assert (report.requests, report.enriched, report.left) == (12, 10, 30)
    assert connected.tracks_asked() == ids[:10]
    assert report.line().endswith(
        "; 30 left; the daily budget of 18 requests (MTM_ENRICH_DAILY_REQUESTS) allows more "
        "after 2026-11-22 06:15 UTC; about 3 days left at this budget")
    # A person at the Data page is told when, rather than kept waiting.
    early = Clock(NOW + dt.timedelta(days=1) - dt.timedelta(seconds=30))
    told = enrich_run(early, daily=budget.SYNC_REQUESTS + 12, wait_for_budget=False)
    assert told.requests == 0 and early.seconds == 1000 and "allows more after 2026-11-22 " \
        "06:15 UTC" in told.line()
    # The next day's run goes on, waiting the moments it takes yesterday's requests to leave
    # the window, and keeps the sync's share.
    tomorrow = Clock(NOW + dt.timedelta(days=1) - dt.timedelta(seconds=30))
    stages: list[str] = []
    again = enrich_run(tomorrow, daily=budget.SYNC_REQUESTS + 12,
                       progress=lambda stage, done, total: stages.append(stage))
    assert again.requests == 12 and again.enriched == 10
    assert tomorrow.seconds - 1000 >= 30  # it waited for the window, and said so
    assert "waiting for the daily budget (until 06:15:00 UTC)" in stages
    standing = budget.standing(now=tomorrow.now(), daily=budget.SYNC_REQUESTS + 12)
    assert standing.used == 12 and standing.for_details == 0


def test_a_bad_daily_setting_is_one_line(connected, conn, monkeypatch):
    export_tracks(conn, connected, [1])
    for value in ("lots", "6", "-5", "100001"):
        monkeypatch.setenv("MTM_ENRICH_DAILY_REQUESTS", value)
        with pytest.raises(ConfigurationError, match="MTM_ENRICH_DAILY_REQUESTS must be a whole "
                                                     "number of Spotify requests") as bad:
            enrich_run(Clock())
        assert "\n" not in str(bad.value)
    assert connected.tracks_asked() == [] and connected.hits(SAVED_PAGES) == []


# -- Spotify's quota ----------------------------------------------------------------------------

def test_a_quota_429_midway_records_nothing_missing_and_stops_every_process(
        connected, conn, use_database):
    ids = export_tracks(conn, connected, range(1, 21))
    # Connecting's /v1/me, recently played, saved tracks, then 5 tracks.
    connected.quota(8, retry_after_s=20 * 3600)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the sync and the CLI use the clock
    report = enrich_run(Clock(start))
    assert (report.enriched, report.left, report.unavailable) == (5, 15, 0)
    until = report.stopped_until  # 20 h after the 429 (the rate's waits moved the clock)
    assert dt.timedelta(hours=20) <= until - start < dt.timedelta(hours=20, seconds=1)
    assert (f"stopped: Spotify says this app's quota is spent: continue after "
            f"{until:%Y-%m-%d %H:%M:%S} UTC (in 20.0 h)") in report.line()
    assert conn.execute("SELECT count(*) FROM tracks WHERE not_on_spotify").fetchone() == (0,)
    asked = len(connected.requests)
    # Any process, before then: the next run, the sync, the command line.
    assert enrich_run(Clock(start + dt.timedelta(hours=19))).requests == 0
    with pytest.raises(budget.SpotifyQuiet, match=r"quota is spent: continue after .*; nothing "
                                                  "was asked of Spotify"):
        sync.sync_spotify(OPEN, policy=Policy(timeout=(30.0, 60.0)))
    cli = run_cli("enrich-tracks", database_url=use_database, **connected.env(REDIRECT))
    errors = [line for line in cli.stderr.splitlines() if not line.startswith("  [")]
    assert cli.returncode == 1 and len(errors) == 1 and "quota is spent: continue after" in \
        errors[0]
    assert [r[2] for r in connected.requests[asked:]] in ([], ["/accounts/api/token"])
    connected.quota_limit = None
    later = enrich_run(Clock(until))
    assert (later.enriched, later.left) == (15, 0)
    assert Counter(connected.tracks_asked()) == Counter({**dict.fromkeys(ids, 1), ids[5]: 2})


# -- an account connected before the library scopes ---------------------------------------------

def test_an_account_without_the_library_scopes_is_asked_to_connect_again(
        fake, use_database, conn, monkeypatch):
    fake.grant_only = "user-top-read"
    account = connect(fake, monkeypatch, conn)
    assert not account.bulk_details
    ids = export_tracks(conn, fake, range(1, 4))
    saved(fake, range(1, 4))
    report = enrich_run(Clock())
    assert report.reconnect and (report.in_bulk, report.enriched) == (0, 3)
    assert fake.hits(SAVED_PAGES) == [] and fake.hits(RECENT) == []
    assert fake.tracks_asked() == ids
    assert sync.sync_spotify(OPEN, policy=Policy(timeout=(30.0, 60.0))).ranks  # lists still sync
    export_tracks(conn, fake, [1004])
    cli = run_cli("enrich-tracks", database_url=use_database, **fake.env(REDIRECT))
    assert cli.returncode == 0, cli.stderr
    assert sync.RECONNECT_FOR_DETAILS in cli.stdout.splitlines()
    fake.grant_only = None
    assert connect(fake, monkeypatch, conn).bulk_details  # connecting again asks for them


# -- one daily job ------------------------------------------------------------------------------

def test_the_daily_job_syncs_the_lists_then_fetches_details(connected, conn, use_database):
    ids = export_tracks(conn, connected, range(1000, 1003))
    env = {**connected.env(REDIRECT), "MTM_ENRICH_PER_SECOND": "50"}
    only_lists = run_cli("sync-spotify", "--no-details", database_url=use_database, **env)
    assert only_lists.returncode == 0, only_lists.stderr
    assert "Spotify top tracks: " in only_lists.stdout and "track details" not in \
        only_lists.stdout
    assert connected.tracks_asked() == []
    both = run_cli("sync-spotify", database_url=use_database, **env)
    assert both.returncode == 0, both.stderr
    lines = both.stdout.splitlines()
    assert lines[-2].startswith("Spotify top tracks: ")
    assert lines[-1].startswith("Spotify track details: fetched for 3 tracks (0 from saved and "
                                "recently played, 3 one by one)") and lines[-1].endswith(
        "0 left (every track has its details)")
    assert sorted(connected.tracks_asked()) == sorted(ids)
    assert requests_stored(conn)["lists"] == 2 * 4  # two syncs of four pages (fake_spotify)
    used = sum(requests_stored(conn).values())
    status = run_cli("status", database_url=use_database, **env)
    assert f"spotify requests in the last 24 h: {used} of 1,000" in status.stdout
    assert "tracks waiting for details" not in status.stdout
    for result in (only_lists, both):
        assert TOKEN_MARK not in result.stdout + result.stderr


def test_a_newer_export_sends_the_next_pass_through_the_whole_library(connected, conn):
    export_tracks(conn, connected, range(1, 101))
    saved(connected, range(1, 201))  # 200 saved: the first 100 played, the rest not yet
    daily = budget.SYNC_REQUESTS + 6
    assert enrich_run(Clock(), daily=daily).in_bulk == 100  # two pages: nothing left waiting
    export_tracks(conn, connected, range(150, 201))  # a newer export: tracks saved long ago
    report = enrich_run(Clock(NOW + dt.timedelta(days=2)), daily=daily)
    assert report.in_bulk == 51 and report.left == 0
    assert [int(r[3]["offset"]) for r in connected.hits(SAVED_PAGES)] == [0, 50, 0, 50, 100, 150]


def test_an_interrupted_later_pass_still_stops_where_the_last_one_began(connected, conn):
    export_tracks(conn, connected, range(1, 400))
    saved(connected, range(1, 101))
    daily = budget.SYNC_REQUESTS + 3
    enrich_run(Clock(), daily=daily)  # recently played and the two pages: a finished pass
    before = list(connected.saved)
    newest = NOW + dt.timedelta(days=5)
    saved(connected, range(300, 370), newest=newest)  # 70 saved since, an hour apart
    connected.saved += before
    enrich_run(Clock(newest), daily=budget.SYNC_REQUESTS + 2)  # one page, then the budget
    assert conn.execute("SELECT library_offset FROM spotify_account").fetchone() == (50,)
    enrich_run(Clock(newest + dt.timedelta(days=2)), daily=daily)
    # The rest of the pass: one page, which reaches what the first pass saw; not the library.
    assert [int(r[3]["offset"]) for r in connected.hits(SAVED_PAGES)] == [0, 50, 0, 50]
    assert {track(n)["id"] for n in range(300, 370)} <= with_details(conn)


def test_the_pass_ends_when_asking_one_by_one_is_cheaper(connected, conn):
    export_tracks(conn, connected, range(1, 4))
    saved(connected, [*range(1000, 1500), 1, 2, 3])  # 503 saved, the played ones oldest
    report = enrich_run(Clock())
    assert len(connected.hits(SAVED_PAGES)) == 1  # 3 waiting, 10 pages left: not worth it
    assert (report.in_bulk, report.enriched) == (0, 3)


def test_a_403_from_the_library_leaves_it_to_one_by_one(connected, conn):
    ids = export_tracks(conn, connected, range(1, 4))
    connected.fail(SAVED_PAGES, 403, body={"error": {"status": 403,
                                                     "message": "Insufficient client scope"}})
    report = enrich_run(Clock())
    assert report.reconnect and report.enriched == 3 and connected.tracks_asked() == ids


def test_a_bad_daily_setting_does_not_stop_the_lists(connected, conn, use_database, monkeypatch):
    monkeypatch.setenv("MTM_ENRICH_DAILY_REQUESTS", "lots")
    assert sync.sync_spotify(OPEN, policy=Policy(timeout=(30.0, 60.0))).ranks
    status = run_cli("status", database_url=use_database, **connected.env(REDIRECT),
                     MTM_ENRICH_DAILY_REQUESTS="lots")
    assert status.returncode == 0
    assert "spotify requests: MTM_ENRICH_DAILY_REQUESTS must be a whole number" in status.stdout


def test_times_are_told_in_utc_whatever_the_session_time_zone(use_database, conn):
    conn.execute("SET TIME ZONE 'Pacific/Auckland'")
    budget.Meter("lists", limited=False, conn=conn, now=lambda: NOW)("a top list")
    budget.remember(SpotifyRateLimited("quota", 3600, quota=True), NOW, conn)
    standing = budget.standing(conn, NOW + dt.timedelta(minutes=1), budget.SYNC_REQUESTS + 1)
    assert standing.not_before == NOW + dt.timedelta(hours=1)
    assert standing.not_before.utcoffset() == dt.timedelta(0)
    assert standing.frees_at.utcoffset() == dt.timedelta(0)
    assert "continue after 2026-11-21 07:15:00 UTC" in budget.quiet_line(
        standing.not_before, standing.reason, standing.now)


def test_a_second_run_waits_for_the_first_ones_count(use_database, database_url):
    """Taking a request locks the budget's row: a run that asks while another's request is not
    yet committed waits for it, then counts it (and is refused at the limit)."""
    daily = budget.SYNC_REQUESTS + 1  # room for one request
    with psycopg.connect(database_url) as first:  # a transaction, as if held mid-statement
        assert first.execute("SELECT taken FROM spotify_request_take(%s, 'details', 1)",
                             (NOW,)).fetchone() == (True,)
        outcome: list[object] = []

        def second() -> None:
            try:
                budget.Meter("details", limited=True, daily=daily, now=lambda: NOW)("a track")
            except budget.BudgetSpent as spent:
                outcome.append(spent)
            else:
                outcome.append("sent")

        thread = threading.Thread(target=second)
        thread.start()
        with psycopg.connect(database_url, autocommit=True) as watcher:
            waiting = """SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                         AND query LIKE '%%spotify_request_take%%'"""
            wait_until(lambda: watcher.execute(waiting).fetchone()[0] or not thread.is_alive(),
                       "the second run to wait for the first one's lock")
            assert thread.is_alive(), outcome  # it waited; it did not go ahead
        first.commit()
    thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], budget.BudgetSpent)
    assert budget.standing(now=NOW, daily=daily).used == 1
