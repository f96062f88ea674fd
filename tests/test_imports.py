"""Imports of a listener's own history: Spotify JSON and the earlier app's SQLite file, exact,
idempotent, all-or-nothing per file, and refused where the data may not be changed."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strategies

from db import ingest
from db.ingest import demo, json_files, legacy_sqlite
from db.model import access
from queries import core, dashboard

from support.cli import one_line_error, run_cli
from support.old_app import write_old_sqlite

DAY = dt.date(2026, 6, 30)
CHECKSUM = """
SELECT (SELECT count(*) FROM tracks),
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY track_id), '')) FROM tracks t),
       (SELECT md5(coalesce(string_agg(s::text, ',' ORDER BY track_id, snapshot_date,
                                       time_range), '')) FROM snapshots s),
       (SELECT count(*) FROM imports)
"""


@pytest.fixture
def stored(use_database, conn):
    """A database with some tracks and lists already, and a way to check it did not change."""
    demo.seed_demo(tracks=30, days=3, seed=5, end=DAY)
    before = conn.execute(CHECKSUM).fetchone()
    return lambda: conn.execute(CHECKSUM).fetchone() == before


def tracks(n=60, seed=1):
    return demo.generate_tracks(n, seed=seed)


def write(path, data) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


GRANT = access.operator


def the_error(result) -> str:
    """A refused import: exit 1, no traceback, and one error line (after any progress lines)."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if " error: " in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


SHAPES = {
    "one track": lambda t: t[0],
    "a list of tracks": lambda t: t,
    "tracks object": lambda t: {"tracks": t},
    "top tracks": lambda t: {"items": t, "offset": 0, "limit": 50, "total": len(t)},
    "saved tracks": lambda t: {"items": [{"added_at": "2026-01-01T00:00:00Z", "track": x}
                                         for x in t], "offset": 0},
    "recently played": lambda t: {"items": [{"played_at": "2026-01-01T00:00:00Z", "track": x}
                                            for x in t + t[:3]]},
    "playlist": lambda t: {"tracks": {"items": [{"track": x} for x in t]}, "name": "p"},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_stores_every_track_as_it_came(use_database, conn, tmp_path, shape):
    given_tracks = tracks(20) if shape != "one track" else tracks(1)
    path = write(tmp_path / "f.json", SHAPES[shape](given_tracks))
    report = json_files.import_json(path, GRANT())
    assert (report.tracks.inserted, report.tracks.updated, report.tracks.unchanged) == \
        (len(given_tracks), 0, 0)
    stored = dict(conn.execute("SELECT track_id, raw_json FROM tracks"))
    assert stored == {t["id"]: t for t in given_tracks}  # raw_json equal as JSON


def test_a_top_tracks_page_becomes_ranks_from_its_offset(use_database, conn, tmp_path):
    page = tracks(60)[49:]
    path = write(tmp_path / "top.json", {"items": page, "offset": 49, "limit": 50})
    report = json_files.import_json(path, GRANT(), snapshot_date="2026-06-30",
                                 time_range="medium_term")
    assert report.snapshots.inserted == len(page)
    ranks = conn.execute("SELECT track_id, rank FROM snapshots WHERE snapshot_date = %s AND "
                         "time_range = 'medium_term' ORDER BY rank", (DAY,)).fetchall()
    assert ranks == [(t["id"], 50 + i) for i, t in enumerate(page)]


def test_importing_the_same_file_twice_changes_nothing(stored, conn, tmp_path):
    path = write(tmp_path / "top.json", {"items": tracks(40), "offset": 0})
    first = json_files.import_json(path, GRANT(), snapshot_date=DAY, time_range="short_term")
    state = conn.execute(CHECKSUM).fetchone()
    again = json_files.import_json(path, GRANT(), snapshot_date=DAY, time_range="short_term")
    assert first.tracks.inserted == 40 and first.snapshots.inserted == 40
    assert (again.tracks.inserted, again.tracks.updated, again.tracks.unchanged) == (0, 0, 40)
    assert (again.snapshots.inserted, again.snapshots.unchanged) == (0, 40)
    assert conn.execute(CHECKSUM).fetchone()[:3] == state[:3]  # only the import log grew
    changed = tracks(40)
    changed[3]["name"] = "Renamed"
    path = write(tmp_path / "top.json", {"items": changed, "offset": 0})
    third = json_files.import_json(path, GRANT())
    assert (third.tracks.updated, third.tracks.unchanged) == (1, 39)


def test_a_dry_run_counts_and_writes_nothing(stored, tmp_path):
    path = write(tmp_path / "t.json", tracks(10))
    report = json_files.import_json(path, GRANT(), dry_run=True)
    assert report.dry_run and report.tracks.inserted == 10
    assert stored()


BAD_FILES = {
    "malformed JSON": (b'{"items": [', "not valid JSON at line 1, column 12"),
    "a number": (b"42", "not a shape Spotify's API returns"),
    "no tracks": (b'{"items": [], "offset": 0}', "the file holds no tracks"),
    "NaN": (b'[{"id": "a", "name": "x", "popularity": NaN}]', "NaN is not a JSON number"),
    "another object": (b'{"artists": []}', "not a shape Spotify's API returns"),
    "a track without id": (json.dumps([{"name": "x"}]).encode(), "[0]: 'id' must be"),
    "a track without name": (json.dumps({"items": [{"id": "a"}]}).encode(),
                             "items[0]: 'name' must be a string"),
    "wrong types": (json.dumps([{"id": "a", "name": "x", "duration_ms": "long"}]).encode(),
                    "[0]: 'duration_ms' must be"),
    "a list of numbers": (b"[1, 2]", "[0]: expected a JSON object"),
    "items not a list": (b'{"items": {"a": 1}}', "'items' must be a list"),
    "non-UTF-8 bytes": ('[{"id": "a", "name": "caf\xe9"}]'.encode("latin-1"),
                        "not UTF-8 text (byte 25 is 0xe9)"),
    "a NUL in a name": (json.dumps([{"id": "a", "name": "x\u0000y"}]).encode(),
                        "rejected by the database"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_are_one_line_and_change_nothing(stored, use_database, tmp_path, case):
    content, message = BAD_FILES[case]
    (tmp_path / "bad.json").write_bytes(content)
    with pytest.raises(ingest.ImportRejected) as caught:
        json_files.import_json(tmp_path / "bad.json", GRANT())
    assert str(caught.value).startswith("bad.json: ") and message in str(caught.value)
    line = one_line_error(run_cli("import-json", str(tmp_path / "bad.json"),
                                  database_url=use_database))
    assert "bad.json: " in line and message in line
    assert stored()


@pytest.mark.parametrize(("options", "message"), [
    (["--snapshot-date", "2026-13-01", "--time-range", "short_term"], "is not a date"),
    (["--snapshot-date", "yesterday", "--time-range", "short_term"], "is not a date"),
    (["--snapshot-date", "1999-12-31", "--time-range", "short_term"], "is not between"),
    (["--snapshot-date", "2026-06-30"], "give both a snapshot date and a time range"),
])
def test_bad_snapshot_options_are_one_line_and_change_nothing(stored, use_database, tmp_path,
                                                              options, message):
    path = write(tmp_path / "top.json", {"items": tracks(3)})
    line = one_line_error(run_cli("import-json", path, *options, database_url=use_database))
    assert message in line
    assert stored()


def test_an_unknown_time_range_is_refused(stored, use_database, tmp_path):
    path = write(tmp_path / "top.json", {"items": tracks(3)})
    result = run_cli("import-json", path, "--snapshot-date", "2026-06-30", "--time-range",
                     "forever", database_url=use_database)
    assert result.returncode == 2 and "invalid choice: 'forever'" in result.stderr
    with pytest.raises(json_files.InvalidData, match="unknown time range 'forever'"):
        json_files.import_json(path, GRANT(), snapshot_date="2026-06-30", time_range="forever")
    assert stored()


def test_ranks_need_a_top_tracks_response(stored, tmp_path):
    path = write(tmp_path / "saved.json", {"items": [{"track": t} for t in tracks(3)]})
    with pytest.raises(ingest.ImportRejected, match="ranks need a top-tracks response"):
        json_files.import_json(path, GRANT(), snapshot_date=DAY, time_range="short_term")
    assert stored()


def test_a_file_over_the_size_limit(stored, tmp_path, monkeypatch):
    monkeypatch.setenv("MTM_IMPORT_MAX_MB", "1")
    (tmp_path / "big.json").write_text(json.dumps(tracks(1) * 2000))
    with pytest.raises(ingest.ImportRejected,
                       match=r"big.json: the file is \d+\.\d MB, over the 1 MB limit"):
        json_files.import_json(tmp_path / "big.json", GRANT())
    assert stored()


def test_one_bad_file_among_good_ones_is_refused_alone(stored, use_database, conn, tmp_path):
    good = write(tmp_path / "good.json", tracks(5, seed=9))
    (tmp_path / "bad.json").write_bytes(b"{")
    result = run_cli("import-json", good, str(tmp_path / "bad.json"), database_url=use_database)
    assert result.returncode == 1
    assert "good.json: imported 5 tracks (5 new" in result.stdout
    assert "bad.json: not valid JSON" in result.stderr
    assert "1 of 2 files refused" in result.stderr


# --- the earlier app's SQLite file ---------------------------------------------------------

@pytest.fixture
def old_file(tmp_path):
    made = tracks(150, seed=4)
    snapshots = list(demo.generate_snapshots([t["id"] for t in made], 12, DAY, seed=4))
    return write_old_sqlite(tmp_path / "music.db", made, snapshots), made, snapshots


def test_a_migrated_sqlite_file_is_all_there_and_answers_the_same(use_database, conn, old_file):
    path, made, snapshots = old_file
    report = legacy_sqlite.import_sqlite(path, GRANT())
    assert report.read == {"tracks": 150, "snapshots": len(snapshots)}
    assert (report.tracks.inserted, report.snapshots.inserted) == (150, len(snapshots))
    assert dict(conn.execute("SELECT track_id, raw_json FROM tracks")) == \
        {t["id"]: t for t in made}
    stored = set(conn.execute("SELECT track_id, snapshot_date, time_range, rank FROM snapshots"))
    assert stored == set(snapshots)
    # The dashboard's numbers equal the same questions asked of the SQLite file.
    with sqlite3.connect(path) as old:
        tracks_n, explicit, known = old.execute(
            "SELECT count(*), sum(json_extract(raw_json, '$.explicit') IS 1 AND "
            "json_type(raw_json, '$.explicit') = 'true'), sum(json_type(raw_json, '$.explicit') "
            "IN ('true', 'false')) FROM tracks").fetchone()
        days = old.execute("SELECT count(DISTINCT snapshot_date) FROM snapshots").fetchone()[0]
        decades = dict(old.execute(
            "SELECT CASE WHEN substr(json_extract(raw_json, '$.album.release_date'), 1, 4) "
            "GLOB '[0-9][0-9][0-9][0-9]' AND substr(json_extract(raw_json, "
            "'$.album.release_date'), 1, 4) <> '0000' THEN (CAST(substr(json_extract(raw_json, "
            "'$.album.release_date'), 1, 4) AS INTEGER) / 10 * 10) || 's' ELSE 'Unknown' END, "
            "count(*) FROM tracks GROUP BY 1"))
    st.cache_data.clear()
    core.sync_version()
    numbers = dashboard.summary(None, None, None)
    assert (numbers["tracks"], numbers["snapshot_days"]) == (tracks_n, days)
    assert (numbers["explicit"], numbers["known_explicit"]) == (explicit, known)
    shown = dashboard.release_decades(None, None, None)
    assert dict(zip(shown["decade"], shown["tracks"], strict=True)) == decades


def test_migrating_the_same_file_again_changes_nothing(use_database, conn, old_file):
    path = old_file[0]
    legacy_sqlite.import_sqlite(path, GRANT())
    state = conn.execute(CHECKSUM).fetchone()
    again = legacy_sqlite.import_sqlite(path, GRANT())
    assert (again.tracks.inserted, again.tracks.updated, again.tracks.unchanged) == (0, 0, 150)
    assert again.snapshots.inserted == again.snapshots.updated == 0
    assert conn.execute(CHECKSUM).fetchone()[:3] == state[:3]
    result = run_cli("import-sqlite", str(path), database_url=use_database)
    assert result.returncode == 0 and "tracks: 0 new, 0 updated, 150 unchanged" in result.stdout


def test_sqlite_problems_are_reported_by_key_and_nothing_is_written(stored, use_database,
                                                                    tmp_path):
    good = tracks(5, seed=6)
    path = write_old_sqlite(
        tmp_path / "old.db", good,
        [(good[0]["id"], "2026-06-01", "short_term", 1), ("ghost", "2026-06-01", "short_term", 2),
         ("broken", "2026-06-01", "short_term", 3)],  # a bad track's rank is not an orphan too
        raw_rows=[("broken", "Broken", None, None, None, None, "{not json"),
                  ("listy", "Listy", None, None, None, None, "[1, 2]")])
    with pytest.raises(ingest.ImportRejected) as caught:
        legacy_sqlite.import_sqlite(path, GRANT())
    assert caught.value.problems == [
        "track 'broken': raw_json is not valid JSON (Expecting property name enclosed in double "
        "quotes)",
        "track 'listy': raw_json is not a JSON object",
        "snapshot ('ghost', '2026-06-01', 'short_term'): names a track the file does not have"]
    assert stored()
    line = the_error(run_cli("import-sqlite", str(path), database_url=use_database))
    assert line == ("python -m db: error: old.db: track 'broken': raw_json is not valid JSON "
                    "(Expecting property name enclosed in double quotes); also track 'listy', "
                    "snapshot ('ghost', '2026-06-01', 'short_term')")
    assert stored()


def test_a_file_with_many_bad_rows_names_ten_and_counts_the_rest(stored, use_database, tmp_path):
    good = tracks(2, seed=6)
    ghosts = [(f"ghost{i:02}", "2026-06-01", "short_term", i) for i in range(1, 25)]
    path = write_old_sqlite(tmp_path / "old.db", good, ghosts,
                            raw_rows=[("broken", "Broken", None, None, None, None, "{")])
    line = the_error(run_cli("import-sqlite", str(path), database_url=use_database))
    named = ", ".join(f"snapshot ('ghost{i:02}', '2026-06-01', 'short_term')" for i in range(1, 10))
    assert line.endswith(f"raw_json is not valid JSON (Expecting property name enclosed in double "
                         f"quotes); also {named} and 15 more"), line
    assert stored()


@pytest.mark.parametrize("case", ["text file", "another schema", "missing column", "empty"])
def test_files_that_are_not_the_old_apps_database(stored, use_database, tmp_path, case):
    path = tmp_path / "old.db"
    if case == "text file":
        path.write_text("hello, I am not a database" * 10)
        message = "not a SQLite database"
    elif case == "empty":
        path.write_bytes(b"")
        message = "not a SQLite database"
    else:
        with sqlite3.connect(path) as db:
            if case == "another schema":
                db.execute("CREATE TABLE songs (id TEXT)")
                message = "no table 'tracks'"
            else:
                db.executescript("CREATE TABLE tracks (track_id TEXT, name TEXT);"
                                 "CREATE TABLE snapshots (track_id TEXT)")
                message = "table 'tracks' lacks the column(s) album_name, artist_name"
    line = the_error(run_cli("import-sqlite", str(path), database_url=use_database))
    assert line.startswith("python -m db: error: old.db: ") and message in line
    assert stored()


# --- who may write -------------------------------------------------------------------------

def test_read_only_refuses_every_write_path_even_called_directly(stored, use_database,
                                                                 tmp_path, old_file,
                                                                 monkeypatch):
    path = write(tmp_path / "t.json", tracks(3))
    monkeypatch.setenv("MTM_READ_ONLY", "on")
    for attempt in (lambda: json_files.import_json(path, access.Grant("operator")),
                    lambda: legacy_sqlite.import_sqlite(old_file[0], access.Grant("operator")),
                    lambda: json_files.import_json(path, None, dry_run=True),
                    access.operator, lambda: access.unlock("anything")):
        with pytest.raises(access.WriteRefused, match="read-only"):
            attempt()
    for command in (["import-json", path], ["import-sqlite", str(old_file[0])], ["seed-demo"]):
        line = one_line_error(run_cli(*command, database_url=use_database, MTM_READ_ONLY="on"))
        assert "read-only (MTM_READ_ONLY)" in line
    assert stored()


def test_the_passphrase_gates_writes_and_wrong_ones_slow_down(stored, tmp_path, monkeypatch):
    path = write(tmp_path / "t.json", tracks(3))
    monkeypatch.setenv("MTM_ADMIN_PASSWORD", "correct horse")
    waited: list[float] = []
    monkeypatch.setattr(access.time, "sleep", waited.append)
    monkeypatch.setitem(access._FAILED, "count", 0)
    for grant in (None, access.Grant("open")):
        with pytest.raises(access.WriteRefused, match="needs the admin passphrase"):
            json_files.import_json(path, grant)
    for _ in range(4):
        with pytest.raises(access.WriteRefused, match="wrong passphrase"):
            access.unlock("wrong horse")
    assert waited == [0.0, 0.5, 1.5, 3.5]  # each wrong attempt makes the next wait longer
    grant = access.unlock("correct horse")
    assert waited[-1] == 7.5
    assert json_files.import_json(path, grant).tracks.inserted == 3
    access.unlock("correct horse")
    assert waited[-1] == 0.0  # a right one resets the delay


# --- random and broken payloads --------------------------------------------------------------

json_values = strategies.recursive(
    strategies.none() | strategies.booleans() | strategies.integers() |
    strategies.floats(allow_nan=False, allow_infinity=False) | strategies.text(max_size=20),
    lambda inner: strategies.lists(inner, max_size=5) |
    strategies.dictionaries(strategies.sampled_from(
        ["id", "name", "items", "tracks", "track", "offset", "artists", "album", "duration_ms",
         "explicit", "type", "x"]), inner, max_size=6),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parsing_any_json_gives_tracks_or_problems_never_a_crash(data):
    parsed = json_files.parse_payload(data)
    assert parsed.problems or all(isinstance(k, str) and k for k in parsed.tracks)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strategies.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_importing_random_bytes_refuses_or_imports_and_never_half_writes(stored, conn,
                                                                         tmp_path, content):
    (tmp_path / "random.json").write_bytes(content)
    before = conn.execute(CHECKSUM).fetchone()
    try:
        report = json_files.import_json(tmp_path / "random.json", GRANT())
    except json_files.InvalidData:
        assert conn.execute(CHECKSUM).fetchone() == before
    else:
        assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == before[3] + 1
        assert report.tracks.total >= 1
