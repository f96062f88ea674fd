"""Spotify sync (issue #12), against a local fake of Spotify's accounts service and Web API (a
real HTTP server on 127.0.0.1, tests/support/fake_spotify.py) and a real PostgreSQL: the connect flow,
the sync of three time ranges with paging, idempotence, the HTTP policy (401, 429, 5xx,
timeouts), all-or-nothing writes, Unknown-aware payloads, who may write, and no token anywhere."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests
import streamlit as st

from db.ingest.spotify import api, sync
from db.ingest.spotify.api import Policy, SpotifyError, SpotifyReconnect
from db.model import access
from db.model.access import WriteRefused
from queries import core, dashboard

from support.cli import run_cli
from support.fake_spotify import TOKEN_MARK, track

DAY = dt.date(2026, 11, 21)
REDIRECT = "http://127.0.0.1:8501/data"
# Short backoff; generous timeouts (the fake answers at once unless a test holds a request: a
# slow answer on a busy machine must not fail a test about something else).
FAST = Policy(backoff_s=0.01, timeout=(30.0, 60.0))
OPEN = access.Grant("open")
HISTORY = """
SELECT (SELECT md5(coalesce(string_agg(t::text || t.xmin::text, ',' ORDER BY track_id), ''))
        FROM tracks t),
       (SELECT md5(coalesce(string_agg(s::text || s.xmin::text, ',' ORDER BY track_id,
                                       snapshot_date, time_range), '')) FROM snapshots s),
       (SELECT count(*) FROM imports),
       (SELECT version FROM data_version)
"""


@pytest.fixture
def configured(fake, use_database, monkeypatch):
    for name, value in fake.env(REDIRECT).items():
        monkeypatch.setenv(name, value)
    return fake


def authorize(url: str) -> dict[str, str]:
    """What a browser does with the Connect link: Spotify's redirect back, as parameters."""
    answer = requests.get(url, allow_redirects=False, timeout=60)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def connected(configured):
    back = authorize(sync.begin_connect(OPEN))
    sync.complete_connect(back["state"], back.get("code"), back.get("error"), policy=FAST)
    return configured


def run_sync(**kwargs) -> sync.SyncReport:
    return sync.sync_spotify(OPEN, policy=kwargs.pop("policy", FAST), day=DAY, **kwargs)


def day_list(conn, time_range) -> list[tuple[str, int]]:
    return conn.execute("SELECT track_id, rank FROM snapshots WHERE snapshot_date = %s AND "
                        "time_range = %s ORDER BY rank", (DAY, time_range)).fetchall()


def stored_token(conn) -> str | None:
    row = conn.execute("SELECT refresh_token FROM spotify_account").fetchone()
    return row and row[0]


# -- connecting ---------------------------------------------------------------------------------

def test_connecting_stores_the_account_and_only_a_refresh_token(connected, conn):
    authorized = connected.hits("/accounts/authorize")[0][3]
    assert authorized["scope"] == "user-top-read user-library-read user-read-recently-played"
    assert authorized["code_challenge_method"] == "S256"
    assert authorized["redirect_uri"] == REDIRECT
    account = sync.account()
    assert (account.user_id, account.name, account.scope) == \
        ("listener-1", "Ada Listener", "user-top-read user-library-read user-read-recently-played")
    assert account.bulk_details
    _, refresh = connected.issued()
    assert stored_token(conn) in refresh  # the one Spotify issued, and still valid
    assert conn.execute("SELECT count(*) FROM spotify_pending").fetchone()[0] == 0
    # Its one Web API request (/v1/me) counts into the daily budget like every other.
    assert conn.execute("SELECT purpose FROM spotify_requests").fetchall() == [("account",)]


def test_a_wrong_state_changes_nothing(configured, conn):
    back = authorize(sync.begin_connect(OPEN))
    with pytest.raises(SpotifyError, match="does not match a connection started here"):
        sync.complete_connect("forged-" + back["state"], back["code"], policy=FAST)
    with pytest.raises(SpotifyError, match="does not match"):
        sync.complete_connect(None, back["code"], policy=FAST)
    assert configured.hits("/accounts/api/token") == []  # the code was never even tried
    assert sync.account() is None
    sync.complete_connect(back["state"], back["code"], policy=FAST)  # the real one works...
    assert sync.account().name == "Ada Listener"
    with pytest.raises(SpotifyError, match="does not match"):  # ...once
        sync.complete_connect(back["state"], back["code"], policy=FAST)


def test_a_late_or_declined_answer_changes_nothing(configured, conn):
    back = authorize(sync.begin_connect(OPEN))
    conn.execute("UPDATE spotify_pending SET created_at = now() - interval '16 minutes'")
    with pytest.raises(SpotifyError, match="in the last 15 minutes"):
        sync.complete_connect(back["state"], back["code"], policy=FAST)
    configured.deny = True
    back = authorize(sync.begin_connect(OPEN))
    assert back["error"] == "access_denied"
    with pytest.raises(SpotifyError, match="you did not allow"):
        sync.complete_connect(back["state"], None, back["error"], policy=FAST)
    assert sync.account() is None


def test_a_code_that_spotify_refuses_is_one_line(configured):
    back = authorize(sync.begin_connect(OPEN))
    with pytest.raises(SpotifyReconnect, match="invalid_grant") as refused:
        sync.complete_connect(back["state"], back["code"] + "x", policy=FAST)
    assert "\n" not in str(refused.value)
    assert sync.account() is None


@pytest.mark.parametrize("uri, fine", [
    ("http://127.0.0.1:8501/data", True), ("http://[::1]:8501/data", True),
    ("https://music.example.streamlit.app/data", True), ("http://localhost:8501/data", False),
    ("http://192.168.1.5:8501/data", False), ("ftp://127.0.0.1/data", False),
    ("127.0.0.1:8501", False), ("https://localhost/data", False),
    ("http://127.0.0.1:8501/data#there", False)])
def test_redirect_uris_spotify_accepts(uri, fine):
    if fine:
        api.check_redirect_uri(uri)
    else:
        with pytest.raises(api.SpotifyNotConfigured, match="SPOTIFY_REDIRECT_URI"):
            api.check_redirect_uri(uri)


def test_without_a_client_id_nothing_starts(use_database, monkeypatch):
    monkeypatch.delenv("SPOTIFY_CLIENT_ID", raising=False)
    with pytest.raises(api.SpotifyNotConfigured, match="SPOTIFY_CLIENT_ID"):
        sync.begin_connect(OPEN)
    with pytest.raises(api.SpotifyNotConfigured):
        run_sync()


# -- syncing ------------------------------------------------------------------------------------

def test_a_sync_records_three_time_ranges_with_paging(connected, conn):
    report = run_sync()
    assert report.ranks == {"short_term": 50, "medium_term": 99, "long_term": 37}
    for time_range, tracks in connected.lists.items():
        assert day_list(conn, time_range) == [(t["id"], n) for n, t in enumerate(tracks, 1)]
    pages = [(p["time_range"], p["offset"], p["limit"])
             for _, _, _, p in connected.hits("/v1/me/top/tracks")]
    assert pages == [("short_term", "0", "50"), ("medium_term", "0", "50"),
                     ("medium_term", "49", "50"), ("long_term", "0", "50")]
    distinct = {t["id"]: t for ts in connected.lists.values() for t in ts}
    assert report.tracks.inserted == len(distinct) == \
        conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
    sample = connected.lists["medium_term"][70]
    assert conn.execute("SELECT raw_json FROM tracks WHERE track_id = %s",
                        (sample["id"],)).fetchone()[0] == sample
    assert conn.execute("SELECT kind, source, snapshots_inserted FROM imports").fetchall() == \
        [("spotify", "Spotify top tracks", 186)]
    assert sync.account().last_sync_at is not None


def test_a_second_sync_the_same_day_changes_nothing(connected, conn):
    run_sync()
    before = conn.execute(HISTORY).fetchone()
    again = run_sync()
    after = conn.execute(HISTORY).fetchone()
    assert after[:2] == before[:2]  # every row, and every row version, as it was
    assert after[3] == before[3]  # the data version did not move: caches stay valid
    assert after[2] == before[2] + 1  # the run is logged, as having changed nothing
    assert (again.tracks.inserted, again.tracks.updated, again.snapshots.inserted,
            again.snapshots.updated, again.removed) == (0, 0, 0, 0, 0)
    assert "0 new, 0 updated, 186 unchanged" in again.line()


def test_a_list_that_changed_the_same_day_replaces_the_days_list(connected, conn):
    run_sync()
    short = connected.lists["short_term"]
    connected.lists["short_term"] = [short[3], track(900), *short[:3], *short[4:40]]
    report = run_sync()
    assert day_list(conn, "short_term") == \
        [(t["id"], n) for n, t in enumerate(connected.lists["short_term"], 1)]
    assert report.removed == 10 and report.tracks.inserted == 1


def test_a_sync_over_derived_lists_counts_their_ranks_as_rows(connected, conn):
    """The day's derived lists give way to Spotify's: a derived rank of a track on Spotify's list
    counts as unchanged (same rank) or updated, one not on it as removed, and a derived list of a
    range Spotify returns empty goes, counted, as when derived ranks were rows of snapshots."""
    short = [t["id"] for t in connected.lists["short_term"]]
    medium = connected.lists["medium_term"][5]["id"]
    connected.lists["medium_term"] = []
    conn.execute("INSERT INTO tracks (track_id, name) SELECT unnest(%s::text[]), 'from plays'",
                 (short[:3] + [medium, "x" * 22],))
    keys = dict(conn.execute("SELECT track_id, track_key FROM tracks"))
    conn.execute("INSERT INTO derived_lists (snapshot_date, time_range, track_keys)"
                 " VALUES (%s, 'short_term', %s), (%s, 'medium_term', %s)",
                 (DAY, [keys[short[0]], keys[short[2]], keys[short[1]], keys["x" * 22]],
                  DAY, [keys[medium], keys["x" * 22]]))
    report = run_sync()
    assert (report.snapshots.inserted, report.snapshots.updated, report.snapshots.unchanged,
            report.removed) == (50 + 37 - 3, 2, 1, 1 + 2)
    assert conn.execute("SELECT count(*) FROM derived_lists").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM list_ranks WHERE derived").fetchone() == (0,)


def test_an_account_without_top_tracks_records_empty_lists(connected, conn):
    connected.lists = {r: [] for r in connected.lists}
    report = run_sync()
    assert report.ranks == {"short_term": 0, "medium_term": 0, "long_term": 0}
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0


def test_payloads_without_album_release_date_or_explicit_are_kept_as_unknown(connected, conn):
    bare = track(1)
    del bare["album"]
    undated = track(2)
    del undated["album"]["release_date"]
    unflagged = track(3)
    del unflagged["explicit"]
    connected.lists = {"short_term": [bare, undated, unflagged, track(4)], "medium_term": [],
                       "long_term": []}
    report = run_sync()
    assert (report.tracks.inserted, report.no_release_date, report.no_explicit_flag) == (4, 2, 1)
    assert [r for _, r in day_list(conn, "short_term")] == [1, 2, 3, 4]
    st.cache_data.clear()
    core.sync_version()
    decades = dict(dashboard.release_decades(None, None, None).itertuples(index=False))
    explicit = dict(dashboard.explicit_breakdown(None, None, None).itertuples(index=False))
    assert decades["Unknown"] == 2 and sum(decades.values()) == 4
    assert explicit["Unknown"] == 1 and sum(explicit.values()) == 4
    assert "2 without a release date and 1 without the explicit flag" in report.line()


# -- HTTP behaviour -----------------------------------------------------------------------------

def test_a_401_renews_access_once_then_succeeds(connected, conn):
    connected.fail("/v1/me/top/tracks", 401)
    run_sync()
    assert len(connected.hits("/accounts/api/token")) == 1 + 2  # connect, start, after the 401
    assert len(day_list(conn, "medium_term")) == 99
    _, refresh = connected.issued()
    assert stored_token(conn) in refresh  # the refresh token Spotify rotated to is the one kept


def test_a_401_after_renewing_asks_to_reconnect_and_writes_nothing(connected, conn):
    before = conn.execute(HISTORY).fetchone()
    connected.fail("/v1/me/top/tracks", 401, times=2)
    with pytest.raises(SpotifyReconnect, match=r"reconnect your account \(on the Data page: "
                                                r"Disconnect, then Connect Spotify\)"):
        run_sync()
    connected.revoke_all()
    with pytest.raises(SpotifyReconnect, match="invalid_grant.*reconnect"):
        run_sync()
    assert conn.execute(HISTORY).fetchone() == before


def test_a_429_waits_as_retry_after_says(connected, conn):
    connected.fail("/v1/me/top/tracks", 429, headers={"Retry-After": "1"})
    run_sync()
    first, second = connected.hits("/v1/me/top/tracks")[:2]
    assert second[0] - first[0] >= 1.0  # measured by the server, between the two requests
    assert len(day_list(conn, "short_term")) == 50


def test_a_429_asking_for_too_long_gives_up_at_once(connected, conn):
    before = conn.execute(HISTORY).fetchone()
    connected.fail("/v1/me/top/tracks", 429, headers={"Retry-After": "3600"})
    with pytest.raises(SpotifyError, match=r"wait 1\.0 h .*30 s at most: try again later"):
        run_sync()
    assert len(connected.hits("/v1/me/top/tracks")) == 1
    # The hour is kept for every process: a sync before then asks nothing.
    with pytest.raises(SpotifyError, match=r"limiting this app's requests: continue after .* "
                                           r"UTC \(in 60 min\); nothing was asked of Spotify"):
        run_sync()
    assert len(connected.hits("/v1/me/top/tracks")) == 1
    conn.execute("UPDATE spotify_quota SET not_before = now()")  # the hour has passed
    connected.fail("/v1/me/top/tracks", 429, times=4, headers={"Retry-After": "0"})
    with pytest.raises(SpotifyError, match="kept limiting .* after 3 waits: try again later"):
        run_sync()
    assert len(connected.hits("/v1/me/top/tracks")) == 1 + 4
    assert conn.execute(HISTORY).fetchone() == before


def test_500s_then_success(connected, conn):
    slept: list[float] = []
    connected.fail("/v1/me/top/tracks", 500, times=3)
    connected.fail("/accounts/api/token", 503, times=1)
    run_sync(policy=Policy(backoff_s=0.01, timeout=FAST.timeout, sleep=slept.append))
    assert slept == [0.01, 0.01, 0.02, 0.04]  # token 503; then 500, 500, 500: backoff doubles
    assert len(connected.hits("/v1/me/top/tracks")) == 3 + 4
    assert len(day_list(conn, "long_term")) == 37


def test_timeouts_are_retried(connected, conn, monkeypatch):
    held = connected.hang("/v1/me/top/tracks")  # the first page asked for: never answered
    send = requests.Session.request
    shortened: list[str] = []

    def request(session, method, url, **kwargs):
        if urlsplit(url).path == "/v1/me/top/tracks" and not shortened:
            shortened.append(url)  # the request the fake holds: the one timeout under test
            kwargs["timeout"] = (FAST.timeout[0], 0.2)
        return send(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    try:
        run_sync()
    finally:
        held.set()
    assert len(shortened) == 1
    first_page = [p for _, _, _, p in connected.hits("/v1/me/top/tracks")
                  if p["time_range"] == "short_term"]
    assert len(first_page) == 2  # the one that timed out, and the retry
    assert len(day_list(conn, "short_term")) == 50


def test_a_run_that_fails_in_the_middle_leaves_the_history_unchanged(connected, conn):
    run_sync()
    connected.lists = {r: ts[::-1] for r, ts in connected.lists.items()}  # a new day's lists
    before = conn.execute(HISTORY).fetchone()
    long_term = {"time_range": "long_term"}  # short and medium term answer; long term fails
    connected.fail("/v1/me/top/tracks", 500, times=4, only=long_term)  # retries run out
    with pytest.raises(SpotifyError, match="answered 500 .* 4 times in a row"):
        run_sync()
    connected.fail("/v1/me/top/tracks", 404, only=long_term)  # not worth a retry
    with pytest.raises(SpotifyError, match="answered 404 NOT FOUND .*long term.*scripted 404"):
        run_sync()
    connected.fail("/v1/me/top/tracks", 200, body={"items": [{"name": "no id"}]},
                   only=long_term)  # a payload that cannot be stored
    with pytest.raises(SpotifyError, match=r"long term, from rank 1\): items\[0\]: 'id'"):
        run_sync()
    connected.lists["long_term"] = [track(5, name="nul \u0000 byte")]  # refused at the end
    with pytest.raises(SpotifyError, match="refused by the database.*nothing was written"):
        run_sync()
    assert conn.execute(HISTORY).fetchone() == before
    # the first sync 4 pages; then 3 good pages before each failure at long term (4 tries of a 500)
    assert len(connected.hits("/v1/me/top/tracks")) == 4 + (3 + 4) + (3 + 1) + (3 + 1) + (3 + 1)
    connected.lists["long_term"] = [track(5)]
    _, refresh = connected.issued()
    assert stored_token(conn) in refresh  # tokens Spotify rotated meanwhile were kept
    assert run_sync().ranks == {"short_term": 50, "medium_term": 99, "long_term": 1}


def test_connecting_keeps_the_refresh_token_spotify_replaced_at_once(configured, conn):
    back = authorize(sync.begin_connect(OPEN))
    configured.fail("/v1/me", 401)  # renewed right after the exchange: a new refresh token
    sync.complete_connect(back["state"], back["code"], policy=FAST)
    _, refresh = configured.issued()
    assert stored_token(conn) in refresh and len(refresh) == 1
    assert run_sync().ranks["long_term"] == 37


def test_a_reconnection_during_a_sync_wins(connected, conn, database_url):
    run_sync()
    before = conn.execute(HISTORY).fetchone()
    connected.lists = {r: ts[::-1] for r, ts in connected.lists.items()}

    def reconnect(path, params):  # what complete_connect writes, as a sync asks for a page
        if path == "/v1/me/top/tracks" and params.get("time_range") == "medium_term":
            connected.on_request = None
            with psycopg.connect(database_url, autocommit=True) as other:
                other.execute("UPDATE spotify_account SET refresh_token = 'newer',"
                              " sync_holder = NULL, sync_expires_at = NULL")
            connected.fail("/v1/me/top/tracks", 401)  # and the sync must renew its access

    connected.on_request = reconnect
    with pytest.raises(sync.SyncBusy, match="nothing was written"):
        run_sync()
    assert stored_token(conn) == "newer"  # not overwritten by the token the old run was given
    assert conn.execute(HISTORY).fetchone() == before


# -- who may write ------------------------------------------------------------------------------

def test_read_only_refuses_connecting_syncing_and_disconnecting(connected, conn, monkeypatch):
    url = sync.begin_connect(OPEN)
    back = authorize(url)
    monkeypatch.setenv("MTM_READ_ONLY", "on")
    before = conn.execute(HISTORY).fetchone()
    for action in (lambda: sync.begin_connect(access.Grant("passphrase")),
                   lambda: sync.complete_connect(back["state"], back["code"], policy=FAST),
                   lambda: run_sync(), lambda: sync.disconnect(access.Grant("passphrase"))):
        with pytest.raises(WriteRefused, match="read-only"):
            action()
    assert conn.execute(HISTORY).fetchone() == before
    assert sync.account() is not None


def test_the_passphrase_gates_connecting_syncing_and_disconnecting(connected, monkeypatch):
    monkeypatch.setenv("MTM_ADMIN_PASSWORD", "open sesame")
    for action in (lambda: sync.begin_connect(OPEN), lambda: run_sync(),
                   lambda: sync.disconnect(OPEN), lambda: sync.disconnect(None)):
        with pytest.raises(WriteRefused, match="admin passphrase"):
            action()
    granted = access.unlock("open sesame")
    assert sync.sync_spotify(granted, policy=FAST, day=DAY).ranks["long_term"] == 37


def test_disconnect_forgets_the_token(connected, conn):
    sync.begin_connect(OPEN)  # one not finished, too
    assert sync.disconnect(OPEN) is True
    assert conn.execute("SELECT (SELECT count(*) FROM spotify_account),"
                        " (SELECT count(*) FROM spotify_pending)").fetchone() == (0, 0)
    with pytest.raises(sync.NotConnected, match="connect one on the Data page"):
        run_sync()
    assert sync.disconnect(OPEN) is False


def test_one_sync_at_a_time(connected, conn):
    conn.execute("UPDATE spotify_account SET sync_holder = 'another run',"
                 " sync_expires_at = now() + interval '1 minute'")
    with pytest.raises(sync.SyncBusy, match="already running"):
        run_sync()
    assert connected.hits("/accounts/api/token")[1:] == []  # it did not even renew access
    conn.execute("UPDATE spotify_account SET sync_expires_at = now() - interval '1 second'")
    run_sync()  # a run whose process died frees the lease when it runs out
    assert conn.execute("SELECT sync_holder FROM spotify_account").fetchone() == (None,)


# -- no token anywhere --------------------------------------------------------------------------

def test_no_token_in_logs_exceptions_or_reports(configured, conn, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)  # every logger, requests' and urllib3's included
    # Log records as they are made, not as the app's scrubber (installed by an earlier test of
    # this process) would leave them: a token must never be put into one in the first place.
    monkeypatch.setattr(logging, "_logRecordFactory", logging.LogRecord)
    seen: list[str] = []
    back = authorize(sync.begin_connect(OPEN))
    account = sync.complete_connect(back["state"], back["code"], policy=FAST)
    seen += [repr(account), str(account)]
    configured.fail("/v1/me/top/tracks", 401)
    configured.fail("/v1/me/top/tracks", 429, headers={"Retry-After": "0"})
    configured.fail("/v1/me/top/tracks", 500)
    report = run_sync()
    seen += [report.line(), repr(report)]
    for fault in (lambda: configured.fail("/v1/me/top/tracks", 401, times=2),
                  lambda: configured.fail("/v1/me/top/tracks", 403),
                  lambda: configured.fail("/accounts/api/token", 400, body={
                      "error": "invalid_request", "error_description": "bad"}),
                  configured.revoke_all):
        fault()
        with pytest.raises(SpotifyError) as failed:
            run_sync()
        seen += [str(failed.value), *map(str, failed.value.args),  # args: before scrubbing
                 repr(failed.value.__context__)]
    assert TOKEN_MARK in stored_token(conn)  # the fake's tokens are the recognisable ones
    text = "\n".join(seen + [caplog.text])
    assert "Bearer" not in text and TOKEN_MARK not in text
    assert "renewing access once" in caplog.text  # the log does say what happened


def test_the_command_line_syncs_reports_and_never_shows_a_token(connected, use_database):
    env = {name: value for name, value in connected.env(REDIRECT).items()}
    first = run_cli("sync-spotify", database_url=use_database, **env)
    assert first.returncode == 0, first.stderr
    assert "tracks: 136 new, 0 updated, 0 unchanged; ranks: 186 new, 0 updated, 0 unchanged, " \
        "0 removed" in first.stdout
    assert "[1/8] short term: ranks 1-50" in first.stderr and "[8/8] done" in first.stderr
    again = run_cli("sync-spotify", database_url=use_database, **env)
    assert "ranks: 0 new, 0 updated, 186 unchanged, 0 removed" in again.stdout
    status = run_cli("status", database_url=use_database, **env)
    assert "spotify: connected as Ada Listener (scope user-top-read user-library-read " \
        "user-read-recently-played); last sync: 2" in status.stdout
    connected.revoke_all()
    refused = run_cli("sync-spotify", database_url=use_database, **env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if not line.startswith("  [")]
    assert len(errors) == 1 and "reconnect your account (on the Data page" in errors[0], errors
    for result in (first, again, status, refused):
        assert TOKEN_MARK not in result.stdout + result.stderr


# -- the Data page (AppTest) --------------------------------------------------------------------

def data_page(app, **params):
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def page_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "text", "error", "success", "info",
                                  "warning") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts).replace("\\", "").replace("\u2060", "")


def test_the_page_says_how_to_set_spotify_up(use_database, app):
    text = page_text(data_page(app))
    assert "Spotify is not set up: set SPOTIFY_CLIENT_ID" in text
    assert not [b for b in app.button if b.label == "Sync now"]


# Sync now and Disconnect are pressed in Chromium (test_browser_spotify.py): AppTest 1.67 loses
# a page's widget state on the run after st.switch_page, so a click there never arrives.

def test_the_page_connects_from_spotifys_answer_and_forgets_it(configured, app, conn):
    data_page(app)
    [link] = [e for e in app.get("link_button") if e.proto.label == "Connect Spotify"]
    back = authorize(link.proto.url)
    data_page(app, code=back["code"], state=back["state"])
    text = page_text(app)
    assert "Connected to Spotify as Ada Listener" in text
    assert "Connected as Ada Listener since" in text
    assert not {"code", "state"} & set(app.query_params)  # out of the address at once
    assert TOKEN_MARK not in text


def test_the_page_refuses_a_forged_answer(configured, app):
    data_page(app, code="code1", state="forged")
    text = page_text(app)
    assert "Spotify was not connected: this answer from Spotify does not match" in text
    assert sync.account() is None and not {"code", "state"} & set(app.query_params)


@pytest.mark.parametrize("setting", [("MTM_READ_ONLY", "on"), ("MTM_ADMIN_PASSWORD", "sesame")])
def test_visitors_see_whether_it_syncs_not_whose_account(connected, app, monkeypatch, setting):
    monkeypatch.setenv(*setting)
    text = page_text(data_page(app))
    assert "A Spotify account is connected; last synced never." in text
    assert "Ada Listener" not in text
    assert not [b for b in app.button if b.label in ("Sync now", "Disconnect")]
    assert not app.get("link_button")
