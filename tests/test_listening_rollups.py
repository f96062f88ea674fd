"""The listening rollups (migration 0010, db/derive/rollups.py) hold exactly what the rule gives
(tests/support/listening_oracle.py reads it from the generated rows): in several time zones,
with plays at the turn of a UTC and of a local day, sessions at their edges, after a newer export
as after a full import, after a time-zone change, and unchanged by the same export again. Real
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import random

import psycopg
import pytest

from db.ingest import streaming_history
from db.model import access

from support import history_export as export
from support import listening_oracle as oracle
from support.databases import create_database, drop_database, url_for

UTC = dt.UTC
ZONES = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"]
TABLES = ("listening_days", "listening_hours", "listening_track_days", "listening_track_months",
          "listening_track_firsts", "listening_sessions")
MIN = dt.timedelta(minutes=1)

_made: dict = {}


def run(paths, conn=None):
    return streaming_history.import_history([str(p) for p in paths], access.operator(), conn=conn)


def export_file(rows: list[dict], folder, name: str = "Streaming_History_Audio_2021_0.json"):
    """An export of just these rows (loose JSON file in its own folder)."""
    return export.write_loose({name: json.dumps(rows, ensure_ascii=False).encode()}, folder)


def tracks() -> list[export.Track]:
    if "tracks" not in _made:
        _made["tracks"] = export.make_tracks(random.Random(1919), 6)
    return _made["tracks"]


def row(track: export.Track, end: dt.datetime, ms: int, incognito=False, skipped=None,
        seed: int = 0) -> dict:
    """A music play ending at ``end`` (whole seconds, UTC), its names on it."""
    assert end.microsecond == 0
    made = export._music_row(random.Random(seed or int(end.timestamp())), track, end, ms,
                             incognito)
    made.update(master_metadata_track_name=track.name,
                master_metadata_album_artist_name=track.artist,
                master_metadata_album_album_name=track.album, skipped=skipped)
    return made


def midnight_rows() -> list[dict]:
    """Plays a second either side of local midnight in every zone of ZONES (and of UTC), on
    ordinary days and on Los Angeles's days of a clock change (2020-03-08: 02:00 PST is 03:00
    PDT; 2020-11-01: 01:00-02:00 happens twice), at the 30,000 ms line, incognito null."""
    a, b, c = tracks()[:3]
    found = []
    for day, utc_offsets in (
            (dt.date(2020, 1, 15), (0, -8, 5.5, 14)),
            (dt.date(2020, 3, 8), (-8,)),  # Los Angeles: PST at midnight
            (dt.date(2020, 11, 1), (-7,))):  # PDT at midnight
        for offset in utc_offsets:
            midnight = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(hours=offset)
            found += [row(a, midnight - dt.timedelta(seconds=1), 30_000, None, True),
                      row(b, midnight, 30_000, None, False),
                      row(c, midnight + dt.timedelta(seconds=1), 29_999, False, None),
                      row(c, midnight + dt.timedelta(hours=1), 45_000, True, True)]
    # Los Angeles's lost hour (01:59:59 PST, then 03:00:00 PDT) and its repeated one (01:30 PDT
    # and 01:30 PST).
    for end in (dt.datetime(2020, 3, 8, 9, 59, 59, tzinfo=UTC), dt.datetime(2020, 3, 8, 10, tzinfo=UTC),
                dt.datetime(2020, 11, 1, 8, 30, tzinfo=UTC), dt.datetime(2020, 11, 1, 9, 30, tzinfo=UTC)):
        found.append(row(a, end, 61_000, False, None))
    return found


def session_rows(base: dt.datetime) -> tuple[list[dict], list[tuple[dt.datetime, dt.datetime, int]]]:
    """Sessions at their edges, from ``base``, and the sessions they make, worked by hand:
    [(start, end, streams)]."""
    a, b, c, d = tracks()[:4]
    s = dt.timedelta(seconds=1)
    rows, expected = [], []
    # 1: one stream. 2: begins exactly 20 minutes after 1 ended: a new session.
    e1 = base
    rows.append(row(a, e1, 180_000))
    e2 = e1 + 20 * MIN + 200 * s  # 200,000 ms: begins at e1 + 20 min
    rows.append(row(b, e2, 200_000))
    # 3: begins 19:59.999 after 2 ended: the same session.
    e3 = e2 + 1230 * s  # 30,001 ms: begins 1,199,999 ms after e2
    rows.append(row(c, e3, 30_001))
    expected += [(e1 - 180 * s, e1, 1), (e2 - 200 * s, e3, 2)]
    # Neither a 29,999 ms play nor an incognito one is a stream: they join nothing, so 4 (which
    # begins 25 minutes after 3 ended) opens a session.
    rows.append(row(d, e3 + 10 * MIN, 29_999))
    rows.append(row(d, e3 + 15 * MIN, 200_000, incognito=True))
    e4 = e3 + 25 * MIN + 180 * s
    rows.append(row(a, e4, 180_000))
    # 5: a long play that began 10 minutes before 4 ended (before 4 began, too): it joins 4's
    # session, which then begins where it began.
    e5 = e4 + 2 * dt.timedelta(hours=1)
    ms5 = 130 * 60_000
    rows.append(row(b, e5, ms5))
    expected.append((e5 - dt.timedelta(milliseconds=ms5), e5, 2))
    # 6: a long play that began before 5 ended but ends after it: same session. 7: 20 minutes
    # and one second after 6: a new one. 8, 9: two streams ending in the same second.
    e6 = e5 + 30 * MIN
    rows.append(row(c, e6, 45 * 60_000))
    e7 = e6 + 20 * MIN + 1 * s + 60 * s
    rows.append(row(d, e7, 60_000))
    rows.append(row(a, e7 + 5 * MIN, 90_000))
    rows.append(row(b, e7 + 5 * MIN, 90_000))
    expected[-1] = (expected[-1][0], e6, 3)
    expected.append((e7 - 60 * s, e7 + 5 * MIN, 3))
    return rows, expected


def generated(seed: int = 19) -> export.History:
    """A generated streaming-history export (smaller than the import tests': the rule, not the scale, is
    checked) with the plays at local midnights and the sessions at their edges among its rows."""
    if seed not in _made:
        h = export.generate(seed, plays=500, tracks=60)
        extra = midnight_rows() + session_rows(dt.datetime(2020, 6, 1, 23, 40, tzinfo=UTC))[0]
        h.rows = sorted(h.rows + extra, key=lambda r: r["ts"])
        h.tracks = h.tracks + [t for t in tracks() if t not in h.tracks]
        _made[seed] = h
    return _made[seed]


# --- What the tables hold, in the oracle's shapes. ---

def stored(conn) -> dict[str, dict]:
    q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    return {
        "listening_days": {r[0]: tuple(r[1:]) for r in q("SELECT * FROM listening_days")
                           if any(r[1:])},
        "listening_hours": {(r[0], r[1]): (r[2], r[3])
                            for r in q("SELECT day, hour, streams, ms FROM listening_hours")},
        "listening_track_days": {(r[0], r[1]): (r[2], r[3]) for r in q(
            "SELECT day, track_id, streams, ms FROM listening_track_days")},
        "listening_track_months": {(r[0], r[1]): tuple(r[2:]) for r in q(
            "SELECT month, track_id, streams, ms, days FROM listening_track_months")},
        "listening_track_firsts": {r[0]: tuple(r[1:]) for r in q(
            "SELECT track_id, first_at, last_at, first_day, last_day FROM listening_track_firsts")},
        "listening_sessions": {r[0]: tuple(r[1:]) for r in q(
            "SELECT ended_at, started_at, day, streams, ms FROM listening_sessions")},
    }


def expected(rows: list[dict], zone: str) -> dict[str, dict]:
    return {
        "listening_days": oracle.rollup_days(rows, zone),
        "listening_hours": oracle.rollup_hours(rows, zone),
        "listening_track_days": oracle.rollup_track_days(rows, zone),
        "listening_track_months": oracle.rollup_track_months(rows, zone),
        "listening_track_firsts": oracle.rollup_track_firsts(rows, zone),
        "listening_sessions": oracle.rollup_sessions(rows, zone),
    }


def assert_rollups(conn, rows: list[dict], zone: str) -> None:
    found, wanted = stored(conn), expected(rows, zone)
    for table in TABLES:
        f, w = found[table], wanted[table]
        wrong = sorted((k for k in f.keys() & w.keys() if f[k] != w[k]), key=repr)
        assert f == w, (
            f"{table} in {zone}: only stored {sorted(f.keys() - w.keys(), key=repr)[:3]}, only "
            f"expected {sorted(w.keys() - f.keys(), key=repr)[:3]}, differ "
            f"{[(k, f[k], w[k]) for k in wrong[:3]]}")
    # A day row of all zeros (every play that day incognito) is allowed, on a day with a play.
    zero_days = {r[0] for r in conn.execute("SELECT day FROM listening_days WHERE streams = 0"
                                            " AND plays = 0")}
    assert zero_days <= {p.day for p in oracle.plays(rows, zone)}
    meta = conn.execute("SELECT value FROM app_meta WHERE key = 'listening_rollups'").fetchone()
    assert meta == ({"timezone": zone},)


def contents(conn) -> dict[str, list]:
    """Every row of the rollups as stored (with the row version: rewritten rows show)."""
    return {t: sorted(map(repr, conn.execute(f"SELECT xmin::text, * FROM {t}").fetchall()))
            for t in TABLES}


def values(conn) -> dict[str, list]:
    return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


@pytest.fixture
def other_conn(server_url, template_db):
    """A second fresh database, for what a full import of the same plays makes."""
    name = create_database(server_url, template_db)
    with psycopg.connect(url_for(server_url, name), autocommit=True) as connection:
        yield connection
    drop_database(server_url, name)


# --- The oracle itself, on what was worked by hand. ---

def test_the_oracle_reads_the_edges_as_worked_by_hand():
    base = dt.datetime(2021, 6, 1, 23, 40, tzinfo=UTC)
    rows, by_hand = session_rows(base)
    assert [(x.started_at, x.ended_at, x.streams) for x in oracle.sessions(rows, "UTC")] == by_hand
    # The sessions' days: the local day of their start (the first begins 23:37Z on June 1st).
    days = [x.day for x in oracle.sessions(rows, "Asia/Kolkata")]
    assert days[0] == dt.date(2021, 6, 2) and oracle.sessions(rows, "UTC")[0].day == base.date()
    # At local midnight: 23:59:59 local is the day before, 00:00:00 the day itself.
    for zone, offset in (("UTC", 0), ("America/Los_Angeles", -8), ("Asia/Kolkata", 5.5),
                         ("Pacific/Kiritimati", 14)):
        found = {(s.ended_at, s.day, s.hour) for s in oracle.streams(midnight_rows(), zone)}
        midnight = dt.datetime(2020, 1, 15, tzinfo=UTC) - dt.timedelta(hours=offset)
        assert (midnight - dt.timedelta(seconds=1), dt.date(2020, 1, 14), 23) in found
        assert (midnight, dt.date(2020, 1, 15), 0) in found
        # The 29,999 ms play a second later and the incognito one are not streams.
        assert not [e for e, _, _ in found if midnight < e < midnight + dt.timedelta(hours=2)]
    la = {s.ended_at: s.hour for s in oracle.streams(midnight_rows(), "America/Los_Angeles")}
    assert la[dt.datetime(2020, 3, 8, 9, 59, 59, tzinfo=UTC)] == 1  # 01:59:59 PST
    assert la[dt.datetime(2020, 3, 8, 10, tzinfo=UTC)] == 3  # 03:00:00 PDT
    assert la[dt.datetime(2020, 11, 1, 8, 30, tzinfo=UTC)] == 1  # 01:30 PDT
    assert la[dt.datetime(2020, 11, 1, 9, 30, tzinfo=UTC)] == 1  # 01:30 PST, the same hour
    # The streams of plays that repeat, and those with null metadata, count once.
    h = generated()
    assert len(oracle.streams(h.rows + h.rows, "UTC")) == len(oracle.streams(h.rows, "UTC"))


# --- The rollups against the oracle. ---

@pytest.mark.parametrize("zone", ZONES)
def test_the_rollups_follow_the_rule_in_every_zone(zone, use_database, conn, monkeypatch,
                                                   tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", zone)
    h = generated()
    run([export.write_zip(export.files(h), tmp_path / "my_spotify_data.zip")])
    assert_rollups(conn, h.rows, zone)


def test_sessions_at_their_edges_are_stored_as_worked_by_hand(use_database, conn, monkeypatch,
                                                               tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")
    base = dt.datetime(2021, 6, 1, 23, 40, tzinfo=UTC)
    rows, by_hand = session_rows(base)
    run(export_file(rows, tmp_path / "edges"))
    assert conn.execute("SELECT started_at, ended_at, streams FROM listening_sessions"
                        " ORDER BY ended_at").fetchall() == by_hand
    # Each session's day is the Kolkata day it began (the first began 23:37Z = 05:07 on the 2nd).
    assert conn.execute("SELECT min(day) FROM listening_sessions").fetchone()[0] == \
        dt.date(2021, 6, 2)
    assert_rollups(conn, rows, "Asia/Kolkata")


def test_a_newer_export_makes_the_rollups_of_a_full_import(use_database, conn, other_conn,
                                                           monkeypatch, tmp_path):
    """Step by step (a play inside a session, one bridging two sessions, then a newer export
    with plays among the old days and after them): after each, what the rule gives; at the end,
    what importing everything into a fresh database makes."""
    zone = "America/Los_Angeles"
    monkeypatch.setenv("MTM_TIMEZONE", zone)
    a, b, c, d = tracks()[:4]
    old = generated()
    # Two sessions 40 minutes apart near a Los Angeles midnight (08:00Z), and a long one.
    gap_at = dt.datetime(2020, 6, 10, 7, 40, tzinfo=UTC)
    pair = [row(a, gap_at, 200_000), row(b, gap_at + 40 * MIN + 200 * dt.timedelta(seconds=1),
                                         200_000)]
    run_start = dt.datetime(2020, 6, 11, 20, 0, tzinfo=UTC)
    long_session = [row(c, run_start + n * 4 * MIN, 200_000) for n in range(1, 8)]
    first_rows = old.rows + pair + long_session
    run([export.write_zip(export.files(export.History(first_rows, old.videos, old.tracks)),
                          tmp_path / "first.zip")])
    assert_rollups(conn, first_rows, zone)
    steps = [
        # Inside the long session: ends between two of its streams, begins before the first.
        [row(d, run_start + 10 * MIN, 12 * 60_000)],
        # Begins 10 minutes after the first of the pair ended, ends 10 minutes before the second
        # began: one session now.
        [row(c, gap_at + 30 * MIN, 20 * 60_000)],
        # A short play and an incognito one after the long session: no stream, no session.
        [row(a, run_start + dt.timedelta(hours=2), 29_999),
         row(b, run_start + dt.timedelta(hours=2, minutes=1), 100_000, incognito=True)],
    ]
    so_far = list(first_rows)
    for number, step in enumerate(steps):
        report = run(export_file(step, tmp_path / f"step{number}"))
        assert report.plays_new == len(step)
        so_far += step
        assert_rollups(conn, so_far, zone)
    sessions = oracle.sessions(so_far, zone)
    assert [x.streams for x in sessions if x.started_at <= gap_at + 10 * MIN < x.ended_at] == [3]
    newer = export.newer(export.History(so_far, old.videos, old.tracks), 23, plays=150)
    report = run([export.write_zip(export.files(newer), tmp_path / "newer.zip")])
    assert report.plays_new > 0 and report.plays_stored == len(oracle.plays(so_far, zone))
    assert_rollups(conn, newer.rows, zone)
    run([export.write_zip(export.files(newer), tmp_path / "all.zip")], conn=other_conn)
    assert_rollups(other_conn, newer.rows, zone)
    assert values(conn) == values(other_conn)


def test_an_exact_play_replacing_one_known_to_the_minute(use_database, conn, monkeypatch,
                                                          tmp_path):
    """The account-data export's play, later given exactly by the extended one: the rollups are
    those of the exact play, even when it turns out incognito (no stream at all then)."""
    monkeypatch.setenv("MTM_TIMEZONE", "Pacific/Kiritimati")
    a, b, c = tracks()[:3]
    known = [row(a, dt.datetime(2021, 5, 1, 9, 0, 5, tzinfo=UTC), 60_000),
             row(b, dt.datetime(2021, 5, 1, 9, 20, 5, tzinfo=UTC), 60_000),
             row(c, dt.datetime(2021, 5, 1, 9, 40, 5, tzinfo=UTC), 10_000)]  # c: no stream
    run(export_file(known, tmp_path / "ext"))
    later = [dt.datetime(2021, 7, 3, 9, 59, 40, tzinfo=UTC),
             dt.datetime(2021, 8, 9, 12, 0, 30, tzinfo=UTC),
             dt.datetime(2021, 9, 1, 3, 3, 3, tzinfo=UTC)]
    account = [export.account_row(later[0], a.artist, a.name, 200_000),
               export.account_row(later[1], b.artist, b.name, 90_000),
               export.account_row(later[2], c.artist, c.name, 120_000)]
    run(export.write_loose({"StreamingHistory_music_0.json": export.account_file(account)},
                           tmp_path / "MyData"))
    minute = [row(a, later[0].replace(second=0), 200_000, None),
              row(b, later[1].replace(second=0), 90_000, None),
              row(c, later[2].replace(second=0), 120_000, None)]
    assert_rollups(conn, known + minute, "Pacific/Kiritimati")  # stored to the minute
    # b's stream of August and c's only stream are incognito, given exactly: b's last stream is
    # May's again, and c has none.
    exact = [row(a, later[0], 200_000, False), row(b, later[1], 90_000, True),
             row(c, later[2], 120_000, True)]
    report = run(export_file(known + exact, tmp_path / "ext2",
                             "Streaming_History_Audio_2021_1.json"))
    assert report.plays_new == 3
    assert_rollups(conn, known + exact, "Pacific/Kiritimati")
    assert conn.execute("SELECT track_id FROM listening_track_firsts ORDER BY 1").fetchall() == \
        sorted([(a.id,), (b.id,)])


def test_derive_lists_makes_the_rollups_again_in_the_zone_now_set(use_database, conn,
                                                                  monkeypatch, tmp_path):
    from support.cli import run_cli

    h = generated()
    path = export.write_zip(export.files(h), tmp_path / "export.zip")
    monkeypatch.setenv("MTM_TIMEZONE", "America/Los_Angeles")
    run([path])
    assert_rollups(conn, h.rows, "America/Los_Angeles")
    monkeypatch.setenv("MTM_TIMEZONE", "Pacific/Kiritimati")
    done = run_cli("derive-lists", database_url=use_database)
    assert done.returncode == 0, done.stderr
    assert_rollups(conn, h.rows, "Pacific/Kiritimati")
    # An import in a zone the rollups were not made in makes them all again, too (even one that
    # adds nothing).
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")
    report = run([path])
    assert report.plays_new == 0
    assert_rollups(conn, h.rows, "Asia/Kolkata")


def test_the_same_export_again_changes_nothing(use_database, conn, monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")
    h = generated()
    path = export.write_zip(export.files(h), tmp_path / "export.zip")
    run([path])
    before = contents(conn)
    meta = conn.execute("SELECT xmin::text FROM app_meta WHERE key = 'listening_rollups'").fetchone()
    again = run([path])
    assert again.plays_new == 0
    assert contents(conn) == before  # not a row rewritten
    assert conn.execute("SELECT xmin::text FROM app_meta WHERE key = 'listening_rollups'"
                        ).fetchone() == meta
    assert_rollups(conn, h.rows, "Asia/Kolkata")


def test_no_streams_no_rollups(use_database, conn, monkeypatch, tmp_path):
    """Plays that are no stream (short, incognito) make no session, track or hour; their day
    counts them as plays (incognito ones not even that)."""
    monkeypatch.setenv("MTM_TIMEZONE", "UTC")
    a = tracks()[0]
    end = dt.datetime(2022, 2, 2, 12, tzinfo=UTC)
    rows = [row(a, end, 29_999, None, True), row(a, end + MIN, 180_000, True, True),
            row(a, end + 2 * MIN, 1_000, False, False)]
    run(export_file(rows, tmp_path / "short"))
    assert_rollups(conn, rows, "UTC")
    assert conn.execute("SELECT * FROM listening_days").fetchall() == \
        [(end.date(), 0, 0, 2, 2, 1)]
    assert conn.execute("SELECT count(*) FROM listening_sessions").fetchone()[0] == 0
