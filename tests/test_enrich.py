"""Enrichment (issue #18): the Spotify object of each track known only from the data export, asked
of a local fake of Spotify (tests/support/fake_spotify.py) one track a request, into a real
PostgreSQL: what gets asked (and what never), 404s, 429s short and long, runs stopped and resumed,
who may run it, the rate bound (on an injected clock, never the wall clock) and the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from db.errors import ConfigurationError
from db.ingest.spotify import enrich, sync
from db.ingest.spotify.api import Policy, SpotifyError
from db.model import access
from db.model.access import WriteRefused
from db.model.tracks import save_tracks

from support import spotify_account
from support.cli import one_line_error, run_cli
from support.fake_spotify import TOKEN_MARK, FakeSpotify, track
from support.rollups import assert_exact

REDIRECT = "http://127.0.0.1:8501/data"
OPEN = access.Grant("open")
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


class FakeTime:
    """A clock that moves only when something sleeps on it (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def connected(fake, use_database, monkeypatch):
    for name, value in fake.env(REDIRECT).items():
        monkeypatch.setenv(name, value)
    spotify_account.connect()
    return fake


@pytest.fixture
def time_(connected):
    return FakeTime()


def run(time_: FakeTime, at: dt.datetime = NOW, **kwargs) -> enrich.EnrichReport:
    """A run on the fake clock, at ``at``: every wait (the rate's, a 429's, a retry's) is
    recorded, none taken."""
    policy = Policy(backoff_s=0.01, timeout=(30.0, 60.0), sleep=time_.sleep)
    return enrich.enrich_tracks(OPEN, policy=policy, clock=time_.clock, now=lambda: at, **kwargs)


def export_only(conn, fake: FakeSpotify, *numbers: int, on_spotify: bool = True) -> list[str]:
    """Tracks as the export import leaves them (names, no object); Spotify has them unless not
    ``on_spotify``."""
    ids = []
    for number in numbers:
        obj = track(number)
        conn.execute("INSERT INTO tracks (track_id, name, artist_name, album_name, spotify_url)"
                     " VALUES (%s, %s, %s, %s, %s)",
                     (obj["id"], f"Export name {number}", "Export artist", None,
                      obj["external_urls"]["spotify"]))
        if on_spotify:
            fake.register(obj)
        ids.append(obj["id"])
    return ids


def enriched_ids(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT track_id FROM tracks WHERE raw_json IS NOT NULL")}


def unavailable_ids(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT track_id FROM tracks WHERE not_on_spotify")}


# -- what is asked, and what is stored ----------------------------------------------------------

def test_export_only_tracks_get_their_object_and_their_release_year_and_flag(
        connected, time_, conn):
    ids = export_only(conn, connected, 1, 2, 3, 4, 5)
    save_tracks([track(6)])  # known from a sync or an import: never asked for
    renamed = track(5, id="relinked00000000000005")  # Spotify may answer with another id
    connected.catalog[ids[4]] = renamed
    report = run(time_, conn=conn)
    assert (report.asked, report.enriched, report.unavailable, report.left) == (5, 5, 0, 0)
    assert report.stopped_until is None and report.stopped is None
    assert report.line() == ("Spotify track details: fetched for 5 tracks (0 from saved and "
                             "recently played, 5 one by one), 0 no longer on Spotify, 7 requests;"
                             " 0 left (every track has its details)")
    assert connected.tracks_asked() == ids  # one request a track, in id order
    rows = conn.execute("SELECT track_id, name, artist_name, album_name, duration_ms,"
                        " album_release_year, is_explicit, raw_json FROM tracks"
                        " ORDER BY track_id").fetchall()
    assert [r[0] for r in rows] == [*ids, track(6)["id"]]  # no row for the id Spotify answered
    for number, row in zip(range(1, 6), rows, strict=False):
        obj = renamed if number == 5 else track(number)
        assert row[1:] == (f"Song {number}", f"Artist {number % 7}", f"Album {number}",
                           180_000 + number, 1970 + number, number % 3 == 0, obj)


def test_tracks_with_an_object_are_never_asked_for(connected, time_, conn):
    sync.sync_spotify(OPEN, policy=Policy(timeout=(30.0, 60.0)), day=dt.date(2026, 11, 21))
    ids = export_only(conn, connected, 500, 501)
    tokens_before = len(connected.hits("/accounts/api/token"))
    assert run(time_).asked == 2
    assert connected.tracks_asked() == ids
    again = run(time_)
    assert (again.asked, again.left) == (0, 0)
    assert connected.tracks_asked() == ids
    # The run with nothing to do did not even renew access.
    assert len(connected.hits("/accounts/api/token")) == tokens_before + 1


def test_a_404_marks_the_track_unavailable_and_it_is_never_asked_again(connected, time_, conn):
    present = export_only(conn, connected, 1, 3)
    [gone] = export_only(conn, connected, 2, on_spotify=False)
    report = run(time_)
    assert (report.asked, report.enriched, report.unavailable, report.left) == (3, 2, 1, 0)
    assert unavailable_ids(conn) == {gone}
    assert_exact(conn)  # the rollups count it as Unknown now, no longer as awaiting details
    assert "for 3 tracks" not in report.line() and ", 1 no longer on Spotify" in report.line()
    assert enriched_ids(conn) == set(present)
    assert conn.execute("SELECT name, raw_json FROM tracks WHERE track_id = %s",
                        (gone,)).fetchone() == ("Export name 2", None)  # the export's name stays
    assert run(time_).asked == 0
    assert sorted(connected.tracks_asked()) == sorted([*present, gone])


def test_a_404_for_the_endpoint_itself_records_nothing(connected, time_, conn):
    export_only(conn, connected, 1, 2)
    connected.fail("/v1/tracks/*", 404, body={"error": {"status": 404,
                                                        "message": "Service not found"}})
    with pytest.raises(SpotifyError, match="answered 404 NOT FOUND .*track .*Service not found"):
        run(time_)
    assert unavailable_ids(conn) == set() and enriched_ids(conn) == set()


def test_ids_spotify_could_not_have_are_never_asked(connected, time_, conn):
    conn.execute("INSERT INTO tracks (track_id, name) VALUES ('not/a/spotify?id', 'odd')")
    assert (run(time_).asked, run(time_).left) == (0, 0)
    assert connected.tracks_asked() == []
    assert unavailable_ids(conn) == {"not/a/spotify?id"}  # Unknown on the charts, not awaited


# -- 429s ---------------------------------------------------------------------------------------

def test_a_long_429_ends_the_run_with_when_to_continue_and_records_nothing_missing(
        connected, time_, conn):
    ids = export_only(conn, connected, 1, 2, 3, 4, 5)
    connected.fail(f"/v1/tracks/{ids[2]}", 429, headers={"Retry-After": "7200"})
    report = run(time_)
    assert (report.asked, report.enriched, report.unavailable, report.left) == (2, 2, 0, 3)
    assert report.stopped_until == NOW + dt.timedelta(hours=2)
    assert report.line().endswith("; 3 left; stopped: Spotify is limiting this app's requests: "
                                  "continue after 2026-11-21 14:00:00 UTC (in 2.0 h)")
    assert connected.tracks_asked() == ids[:3]  # it did not go on to the next track
    assert 7200 not in time_.slept  # nor wait the two hours
    assert unavailable_ids(conn) == set() and enriched_ids(conn) == set(ids[:2])
    assert conn.execute("SELECT sync_holder FROM spotify_account").fetchone() == (None,)
    early = run(time_, at=NOW + dt.timedelta(hours=1))  # any process, before the stored time
    assert (early.asked, early.requests, early.stopped_until) == (0, 0, report.stopped_until)
    assert early.line().endswith("; 3 left; stopped: Spotify is limiting this app's requests: "
                                 "continue after 2026-11-21 14:00:00 UTC (in 1.0 h)")
    assert connected.tracks_asked() == ids[:3]
    resumed = run(time_, at=NOW + dt.timedelta(hours=2))
    assert (resumed.asked, resumed.left) == (3, 0)
    assert connected.tracks_asked() == [*ids[:3], *ids[2:]]  # the limited one, asked again


def test_a_spent_quota_ends_the_run_at_once_even_with_a_short_retry_after(
        connected, time_, conn):
    ids = export_only(conn, connected, 1, 2)
    quota = {"error": {"status": 429, "message": "QUOTA_EXCEEDED"}}
    connected.fail("/v1/tracks/*", 429, headers={"Retry-After": "2"}, body=quota)
    report = run(time_)
    assert report.asked == 0 and report.stopped_until == NOW + dt.timedelta(seconds=2)
    assert "stopped: Spotify says this app's quota is spent: continue after" in report.line()
    assert run(time_).requests == 0  # stored: nothing is asked before then
    connected.fail("/v1/tracks/*", 429, body=quota)  # and one that does not say for how long
    report = run(time_, at=NOW + dt.timedelta(seconds=2))
    # A spent quota that does not say for how long waits out the day it is counted over.
    assert report.stopped_until == NOW + dt.timedelta(seconds=2) + dt.timedelta(hours=24)
    assert report.stopped.startswith("Spotify says this app's quota is spent and did not say for "
                                     "how long: continue after 2026-11-22 12:00:02 UTC (in 24.0 h)")
    assert connected.tracks_asked() == [ids[0], ids[0]]
    assert time_.slept == pytest.approx([0.2] * len(time_.slept))  # the rate's waits alone
    assert unavailable_ids(conn) == set()


def test_a_short_429_is_waited_out(connected, time_, conn):
    ids = export_only(conn, connected, 1, 2)
    connected.fail(f"/v1/tracks/{ids[1]}", 429, headers={"Retry-After": "3"})
    report = run(time_, per_second=1)
    assert (report.asked, report.enriched, report.stopped) == (2, 2, None)
    # The rate's second before each request after the first (recently played, saved tracks,
    # the two tracks), then Spotify's three.
    assert time_.slept == [1.0, 1.0, 1.0, 3.0]
    assert connected.tracks_asked() == [ids[0], ids[1], ids[1]]


# -- stopping and resuming ----------------------------------------------------------------------

def test_runs_stopped_halfway_and_resumed_ask_for_each_track_once(connected, time_, conn):
    ids = export_only(conn, connected, *range(1, 31))
    first = run(time_, limit=4)
    assert (first.asked, first.enriched, first.left) == (4, 4, 26)
    assert "; 26 left" in first.line()
    stopped_at = []

    def interrupt(stage, done, total):  # Ctrl-C in the middle of a batch
        if stage == "asking Spotify for tracks" and done == 11:
            stopped_at.append(done)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(time_, progress=interrupt)
    assert stopped_at and len(enriched_ids(conn)) == 4 + 11  # the unfinished batch was kept
    last = run(time_)
    assert (last.asked, last.left) == (15, 0)
    assert Counter(connected.tracks_asked()) == Counter(ids)  # every one, exactly once
    assert enriched_ids(conn) == set(ids)


def test_a_run_that_fails_keeps_what_it_fetched_and_resumes_after_it(connected, time_, conn):
    ids = export_only(conn, connected, *range(1, 13))
    connected.fail(f"/v1/tracks/{ids[10]}", 500, times=4)  # every try of the 11th
    with pytest.raises(SpotifyError, match=r"answered 500 .*track .* 4 times in a row"):
        run(time_)
    assert enriched_ids(conn) == set(ids[:10]) and unavailable_ids(conn) == set()
    assert run(time_).asked == 2
    assert Counter(connected.tracks_asked()) == Counter({**dict.fromkeys(ids, 1), ids[10]: 5})


def test_one_run_at_a_time_with_the_sync(connected, time_, conn):
    export_only(conn, connected, 1)
    conn.execute("UPDATE spotify_account SET sync_holder = 'a sync',"
                 " sync_expires_at = now() + interval '1 minute'")
    with pytest.raises(sync.SyncBusy, match="already running"):
        run(time_)
    assert connected.tracks_asked() == []


# -- who may run it, and the rate ---------------------------------------------------------------

def test_read_only_and_the_passphrase_refuse_it(connected, time_, conn, monkeypatch):
    export_only(conn, connected, 1)
    monkeypatch.setenv("MTM_READ_ONLY", "on")
    with pytest.raises(WriteRefused, match="read-only"):
        run(time_)
    monkeypatch.delenv("MTM_READ_ONLY")
    monkeypatch.setenv("MTM_ADMIN_PASSWORD", "sesame")
    with pytest.raises(WriteRefused, match="admin passphrase"):
        run(time_)
    assert connected.tracks_asked() == [] and enriched_ids(conn) == set()


def test_requests_start_no_closer_than_the_rate_allows(connected, time_, conn, monkeypatch):
    ids = export_only(conn, connected, *range(1, 7))
    started: list[float] = []

    def slow_answer(path, params):  # each request takes 50 ms of the fake clock
        if path.startswith("/v1/tracks/"):
            started.append(time_.now)
            time_.now += 0.05

    connected.on_request = slow_answer
    run(time_, per_second=5)
    assert len(started) == len(ids)
    assert [round(b - a, 9) for a, b in zip(started, started[1:], strict=False)] == [0.2] * 5
    # After the two bulk requests (answered at once), the rest of each 0.2 s.
    assert time_.slept == pytest.approx([0.2, 0.2] + [0.15] * 5)
    export_only(conn, connected, *range(7, 10))
    monkeypatch.setenv("MTM_ENRICH_PER_SECOND", "2")  # the setting, when no rate is given
    time_.slept.clear()
    run(time_)
    assert time_.slept == pytest.approx([0.5, 0.5, 0.45, 0.45])


@pytest.mark.parametrize("value", ["0", "-1", "fast", "nan", "inf", "51"])
def test_a_bad_rate_setting_is_one_line(value, connected, time_, monkeypatch):
    monkeypatch.setenv("MTM_ENRICH_PER_SECOND", value)
    with pytest.raises(ConfigurationError, match="MTM_ENRICH_PER_SECOND must be a number of "
                                                 "requests a second above 0 and at most 50") as bad:
        run(time_)
    assert "\n" not in str(bad.value)


# -- the command line ---------------------------------------------------------------------------

def test_the_command_line_enriches_resumes_and_says_when_to_continue(connected, conn,
                                                                     use_database):
    env = {**connected.env(REDIRECT), "MTM_ENRICH_PER_SECOND": "50"}
    ids = export_only(conn, connected, 1, 2, 3)
    first = run_cli("enrich-tracks", "--limit", "2", database_url=use_database, **env)
    assert first.returncode == 0, first.stderr
    assert "fetched for 2 tracks (0 from saved and recently played, 2 one by one), 0 no longer " \
        "on Spotify, 4 requests; 1 left" in first.stdout
    assert "[2/2] asking Spotify for tracks" in first.stderr
    rest = run_cli("enrich-tracks", database_url=use_database, **env)
    assert "fetched for 1 track (0 from saved and recently played, 1 one by one), 0 no longer on " \
        "Spotify, 3 requests; 0 left (every track has its details)" in rest.stdout, rest.stderr
    assert connected.tracks_asked() == ids
    [limited] = export_only(conn, connected, 4)
    connected.fail(f"/v1/tracks/{limited}", 429, headers={"Retry-After": "7200"})
    stopped = run_cli("enrich-tracks", database_url=use_database, **env)
    assert stopped.returncode == 1
    assert "fetched for 0 tracks (0 from saved and recently played, 0 one by one), 0 no longer " \
        "on Spotify, 3 requests; 1 left; stopped: " in stopped.stdout
    errors = [line for line in stopped.stderr.splitlines() if not line.startswith("  [")]
    assert len(errors) == 1 and re.fullmatch(
        r"python -m db: error: stopped early: Spotify is limiting this app's requests: continue "
        r"after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 2\.0 h\); then run `python -m db "
        r"enrich-tracks` again", errors[0]), errors
    assert unavailable_ids(conn) == set()
    bad = run_cli("enrich-tracks", database_url=use_database, **{
        **env, "MTM_ENRICH_PER_SECOND": "lots"})
    assert "MTM_ENRICH_PER_SECOND must be a number" in one_line_error(bad)
    refused = run_cli("enrich-tracks", database_url=use_database, MTM_READ_ONLY="on", **env)
    assert "read-only" in one_line_error(refused)
    for result in (first, rest, stopped, bad, refused):
        assert TOKEN_MARK not in result.stdout + result.stderr
