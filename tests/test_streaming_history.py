"""Spotify's data export in (issue #18): plays stored once, daily top lists derived from them
exactly as the rule says (tests/support/derived_oracle.py reads it from the generated rows), Spotify's
own lists winning, and bad input refused in one line with nothing changed. Real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from collections import Counter

import psycopg
import pytest

from db.derive import top_lists
from db.ingest import ImportRejected, streaming_history
from db.ingest import history_rows as rows
from db.model import access, bulk
from db.model.snapshots import SNAPSHOT_COLUMNS, merge_staged_ranks, save_snapshots

from support import derived_oracle as oracle
from support import history_export as export
from support.databases import create_database, drop_database, url_for

UTC = dt.UTC
SKIP_NAMES = {export.PODCAST: rows.SKIP_PODCAST, export.AUDIOBOOK: rows.SKIP_AUDIOBOOK,
              export.VIDEO: rows.SKIP_VIDEO, export.NO_URI: rows.SKIP_NO_URI}
TABLES = ("plays", "tracks", "snapshots", "imports", "data_version", "app_meta")

_generated: dict = {}


def streaming_export(seed: int = 18) -> export.History:
    """A generated streaming-history export (support/history_export.py), made once per seed."""
    if seed not in _generated:
        _generated[seed] = export.generate(seed)
    return _generated[seed]


def later(seed: int = 18) -> export.History:
    if ("newer", seed) not in _generated:
        _generated[("newer", seed)] = export.newer(streaming_export(seed), seed + 1)
    return _generated[("newer", seed)]


def run(paths, *, dry_run=False, conn=None, **options):
    return streaming_history.import_history([str(p) if not isinstance(p, streaming_history.Upload)
                                             else p for p in paths], access.operator(),
                                            dry_run=dry_run, conn=conn, **options)


def derived(conn) -> dict[tuple[dt.date, str], list[str]]:
    found: dict = {}
    for day, time_range, track_id, rank in conn.execute(
            "SELECT snapshot_date, time_range, track_id, rank FROM list_ranks WHERE derived"
            " ORDER BY 1, 2, 4"):
        ranked = found.setdefault((day, time_range), [])
        assert rank == len(ranked) + 1, f"ranks of {day} {time_range} are not 1, 2, 3, ..."
        ranked.append(track_id)
    return found


def stored_plays(conn) -> dict[tuple, dict]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("SELECT * FROM plays")
        return {(r.pop("played_at"), r.pop("track_id"), r.pop("ms_played")): r for r in cur}


def contents(conn) -> dict[str, list]:
    """Every row of the tables an import touches, in a stable order."""
    return {table: sorted(map(repr, conn.execute(f"SELECT * FROM {table}").fetchall()))
            for table in TABLES}


def data_version(conn) -> int:
    return conn.execute("SELECT version FROM data_version").fetchone()[0]


def assert_lists_equal(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys(), (
        f"lists only derived: {sorted(found.keys() - expected.keys())[:5]}; "
        f"only expected: {sorted(expected.keys() - found.keys())[:5]}")
    wrong = [key for key in expected if found[key] != expected[key]]
    assert not wrong, f"{len(wrong)} lists differ, first {wrong[0]}: {found[wrong[0]][:8]} vs " \
                      f"{expected[wrong[0]][:8]}"


@pytest.fixture
def other_conn(server_url, template_db):
    """A second fresh database, for what a full import of the same plays derives."""
    name = create_database(server_url, template_db)
    with psycopg.connect(url_for(server_url, name), autocommit=True) as connection:
        yield connection
    drop_database(server_url, name)


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata",
                                  "Pacific/Kiritimati"])
def test_derived_lists_follow_the_rule_in_every_zone(zone, use_database, conn, monkeypatch,
                                                     tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", zone)
    h = streaming_export()
    report = run([export.write_zip(export.files(h), tmp_path / "my_spotify_data.zip")])
    expected = oracle.lists(oracle.plays(h.rows), zone)
    assert_lists_equal(derived(conn), expected)
    assert report.lists.days == len(expected)
    assert conn.execute("SELECT count(*) FROM snapshots WHERE NOT derived").fetchone()[0] == 0


def test_a_play_counts_for_its_local_day_at_the_turn_of_a_utc_day(use_database, conn, monkeypatch,
                                                                 tmp_path):
    """Worked by hand, not by the oracle: a play ending 23:59:59Z and one ending 00:00:00Z."""
    b, a = sorted(export.make_tracks(random.Random(3), 2), key=lambda t: t.id)
    rng = random.Random(4)
    midnight = dt.datetime(2021, 3, 14, tzinfo=UTC)
    content = {"Streaming_History_Audio_2021_0.json": json.dumps([
        export._music_row(rng, b, midnight - dt.timedelta(seconds=1), 30_000, False),
        export._music_row(rng, a, midnight, 30_000, None)]).encode()}
    path = export.write_zip(content, tmp_path / "turn.zip")

    def lists(zone):
        monkeypatch.setenv("MTM_TIMEZONE", zone)
        run([path])
        return {(str(day), time_range): ranked for (day, time_range), ranked in derived(conn).items()
                if time_range == "short_term"}

    # UTC: two days; on the 14th the window holds both, with the same streams and ms, and a's
    # ended later (00:00:00 is after 23:59:59), so a leads (though b's id sorts first).
    assert lists("UTC") == {("2021-03-13", "short_term"): [b.id],
                            ("2021-03-14", "short_term"): [a.id, b.id]}
    # Kiritimati (UTC+14): both on the 14th. Los Angeles (UTC-8, before DST began that day): the 13th.
    assert lists("Pacific/Kiritimati") == {("2021-03-14", "short_term"): [a.id, b.id]}
    assert lists("America/Los_Angeles") == {("2021-03-13", "short_term"): [a.id, b.id]}
    # Kolkata (UTC+5:30): both on the 14th.
    assert lists("Asia/Kolkata") == {("2021-03-14", "short_term"): [a.id, b.id]}


LAYOUTS = {
    "zip of the audio generation": lambda h, tmp: [export.write_zip(export.files(h), tmp / "a.zip")],
    "folder of the endsong generation": lambda h, tmp: [
        export.write_folder(export.files(h, "endsong"), tmp / "unpacked")],
    "loose files": lambda h, tmp: export.write_loose(export.files(h), tmp / "loose"),
    "zip with no folder, endsong": lambda h, tmp: [
        export.write_zip(export.files(h, "endsong", folder=""), tmp / "b.zip")],
    "upload": lambda h, tmp: [streaming_history.Upload(
        "my_spotify_data.zip", export.zip_bytes(export.files(h, folder="MyData")))],
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_play_is_stored_once_and_nothing_personal(layout, use_database, conn, tmp_path):
    h = streaming_export()
    report = run(LAYOUTS[layout](h, tmp_path))
    expected = oracle.plays(h.rows)
    found = stored_plays(conn)
    assert found.keys() == expected.keys()
    assert found == expected  # every column, offline_timestamp in seconds or ms read alike
    assert report.plays_new == len(expected) and report.plays_stored == 0
    assert report.repeated == h.repeats
    generation = "endsong" if "endsong" in layout else "audio"
    videos = len(h.videos) if generation == "audio" else 0
    assert report.rows_read == len(h.rows) + videos
    skipped = Counter({SKIP_NAMES[k]: n for k, n in h.skipped_in(generation).items() if n})
    assert report.skipped == skipped
    stored = conn.execute("SELECT skipped, plays_inserted FROM imports").fetchall()
    assert stored == [(dict(skipped), len(expected))]
    # The tracks the plays name, with the export's names where a row had them.
    tracks = dict(conn.execute("SELECT track_id, name FROM tracks").fetchall())
    assert tracks.keys() == {key[1] for key in expected}
    assert report.tracks_new == len(tracks)
    names = {t.id: t.name for t in h.tracks}
    assert all(name in ("", names[track_id]) for track_id, name in tracks.items())
    # ip_addr (or the older ip_addr_decrypted) is in no column and in no value.
    columns = conn.execute("SELECT table_schema, table_name, column_name FROM "
                           "information_schema.columns WHERE column_name ILIKE '%%ip%%addr%%'"
                           " OR column_name ILIKE 'ip%%'").fetchall()
    assert columns == []
    ips = {r["ip_addr"] for r in h.rows}
    dumped = json.dumps([repr(conn.execute(f"SELECT * FROM {table}").fetchall())
                         for table in ("plays", "tracks", "imports", "app_meta")])
    assert not [ip for ip in ips if ip in dumped]


def test_the_same_export_again_changes_nothing(use_database, conn, tmp_path):
    h = streaming_export()
    path = export.write_zip(export.files(h), tmp_path / "export.zip")
    first = run([path])
    before, version = contents(conn), data_version(conn)
    again = run([path])
    assert (again.plays_new, again.plays_stored, again.tracks_new) == (0, first.plays_new, 0)
    assert again.repeated == first.repeated and again.skipped == first.skipped
    assert again.lists.days == 0 and again.lists.removed == 0 and again.lists.line() == "unchanged"
    assert data_version(conn) == version  # nothing a page shows moved: caches stay warm
    after = contents(conn)
    assert {t: after[t] for t in TABLES if t != "imports"} == \
        {t: before[t] for t in TABLES if t != "imports"}
    # The import itself is on record, with nothing inserted.
    assert conn.execute("SELECT plays_inserted, plays_unchanged, snapshots_inserted FROM imports"
                        " ORDER BY id").fetchall()[-1] == (0, first.plays_new, 0)


@pytest.mark.parametrize("late", [True, False], ids=["with late plays", "only later plays"])
def test_a_newer_export_adds_only_new_plays_and_derives_as_a_full_import(
        late, use_database, conn, other_conn, monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")
    old = streaming_export()
    new = export.newer(old, 7, late=late)
    run([export.write_zip(export.files(old, "endsong"), tmp_path / "2021.zip")])
    report = run([export.write_zip(export.files(new), tmp_path / "2023.zip")])
    old_plays, new_plays = oracle.plays(old.rows), oracle.plays(new.rows)
    assert report.plays_new == len(new_plays) - len(old_plays) > 0
    assert report.plays_stored == len(old_plays)
    assert stored_plays(conn).keys() == new_plays.keys()
    full = run([export.write_zip(export.files(new), tmp_path / "again.zip")], conn=other_conn)
    assert full.plays_new == len(new_plays)
    expected = oracle.lists(new_plays, "Asia/Kolkata")
    assert_lists_equal(derived(other_conn), expected)
    assert_lists_equal(derived(conn), expected)
    if not late:  # only the days whose windows hold a new play were derived again
        first_new = min(k[0] for k in new_plays.keys() - old_plays.keys()
                        if k[2] >= 30_000 and new_plays[k]["incognito"] is not True)
        assert report.lists.first_day >= first_new.astimezone(
            oracle.ZoneInfo("Asia/Kolkata")).date()
        assert report.lists.days < full.lists.days


def test_a_new_time_zone_derives_every_list_again(use_database, conn, monkeypatch, tmp_path):
    h = streaming_export()
    path = export.write_zip(export.files(h), tmp_path / "export.zip")
    monkeypatch.setenv("MTM_TIMEZONE", "America/Los_Angeles")
    run([path])
    monkeypatch.setenv("MTM_TIMEZONE", "Pacific/Kiritimati")
    report = run([path])
    assert report.plays_new == 0
    assert_lists_equal(derived(conn), oracle.lists(oracle.plays(h.rows), "Pacific/Kiritimati"))


def test_derive_lists_derives_every_list_again_in_the_zone_now_set(use_database, conn,
                                                                   monkeypatch, tmp_path):
    from support.cli import one_line_error, run_cli

    h = streaming_export()
    monkeypatch.setenv("MTM_TIMEZONE", "America/Los_Angeles")
    run([export.write_zip(export.files(h), tmp_path / "export.zip")])
    monkeypatch.setenv("MTM_TIMEZONE", "Pacific/Kiritimati")
    monkeypatch.setenv("MTM_READ_ONLY", "on")
    before = contents(conn)
    assert "read-only" in one_line_error(run_cli("derive-lists", database_url=use_database))
    with pytest.raises(access.WriteRefused):  # called directly, refused the same way
        top_lists.derive_again(access.Grant("open"))
    assert contents(conn) == before
    monkeypatch.delenv("MTM_READ_ONLY")
    done = run_cli("derive-lists", database_url=use_database)
    assert done.returncode == 0, done.stderr
    assert "derived lists in Pacific/Kiritimati" in done.stdout
    assert_lists_equal(derived(conn), oracle.lists(oracle.plays(h.rows), "Pacific/Kiritimati"))


def _spotify_list(h: export.History, day: dt.date, time_range: str, derived_ids: list[str]):
    """Spotify's own list for a day: not the derived one (some of its tracks, one at the same rank,
    others moved, and a track the export never played)."""
    ids = [derived_ids[0]] + list(reversed(derived_ids[1:5])) + [h.tracks[-3].id]
    return [(track_id, day, time_range, rank) for rank, track_id in enumerate(ids, start=1)]


def _save_old_app_way(conn, snapshot_rows):
    """The earlier app's SQL: an upsert that does not name the derived column."""
    for row in snapshot_rows:
        conn.execute("INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)"
                     " VALUES (%s, %s, %s, %s) ON CONFLICT (track_id, snapshot_date, time_range)"
                     " DO UPDATE SET rank = EXCLUDED.rank", row)


@pytest.mark.parametrize("writer", ["save_snapshots", "old app SQL"])
def test_spotifys_own_list_wins_when_written_after(writer, use_database, conn, monkeypatch,
                                                  tmp_path):
    h = streaming_export()
    plays = oracle.plays(h.rows)
    run([export.write_zip(export.files(h), tmp_path / "export.zip")])
    full = oracle.lists(plays, "UTC")
    days = sorted(full)
    chosen = [days[len(days) // 3], days[2 * len(days) // 3]]
    conn.execute("INSERT INTO tracks (track_id, name) VALUES (%s, 'spotify only')"
                 " ON CONFLICT DO NOTHING", (h.tracks[-3].id,))
    spotify = [row for key in chosen for row in _spotify_list(h, *key, full[key])]
    if writer == "save_snapshots":
        save_snapshots(spotify, conn=conn)
    else:
        _save_old_app_way(conn, spotify)
    found = conn.execute("SELECT track_id, snapshot_date, time_range, rank, derived FROM snapshots"
                         " WHERE (snapshot_date, time_range) IN ((%s, %s), (%s, %s))"
                         " ORDER BY 2, 3, 4", [*chosen[0], *chosen[1]]).fetchall()
    assert found == sorted([(*row, False) for row in spotify], key=lambda r: (r[1], r[2], r[3]))
    assert_lists_equal(derived(conn), oracle.lists(plays, "UTC", set(chosen)))
    # A later import (new plays in the chosen windows, and a new zone) leaves them alone too.
    monkeypatch.setenv("MTM_TIMEZONE", "UTC")
    newer = later()
    run([export.write_zip(export.files(newer), tmp_path / "newer.zip")])
    assert_lists_equal(derived(conn), oracle.lists(oracle.plays(newer.rows), "UTC", set(chosen)))
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")
    run([export.write_zip(export.files(newer), tmp_path / "newer.zip")])
    assert_lists_equal(derived(conn),
                       oracle.lists(oracle.plays(newer.rows), "Asia/Kolkata", set(chosen)))
    assert conn.execute("SELECT track_id, snapshot_date, time_range, rank, derived FROM snapshots"
                        " WHERE NOT derived ORDER BY 2, 3, 4").fetchall() == found


def test_spotifys_own_list_wins_when_written_before(use_database, conn, monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", "America/Los_Angeles")
    h = streaming_export()
    plays = oracle.plays(h.rows)
    full = oracle.lists(plays, "America/Los_Angeles")
    days = sorted(full)
    chosen = [days[5], days[len(days) // 2], days[-1]]
    ids = {track_id for key in chosen for track_id in full[key][:5]} | {h.tracks[-3].id}
    conn.cursor().executemany("INSERT INTO tracks (track_id, name) VALUES (%s, 'from Spotify')",
                              [(i,) for i in ids])
    spotify = [row for key in chosen for row in _spotify_list(h, *key, full[key])]
    save_snapshots(spotify, conn=conn)
    report = run([export.write_zip(export.files(h), tmp_path / "export.zip")])
    assert_lists_equal(derived(conn), oracle.lists(plays, "America/Los_Angeles", set(chosen)))
    assert report.lists.days == len(full) - len(chosen)
    assert sorted(conn.execute("SELECT track_id, snapshot_date, time_range, rank FROM snapshots"
                               " WHERE NOT derived").fetchall()) == sorted(spotify)
    # A track Spotify already described keeps its names.
    assert {n for (n,) in conn.execute("SELECT name FROM tracks WHERE track_id = ANY(%s)",
                                       (list(ids),))} == {"from Spotify"}


def test_a_dry_run_writes_nothing(use_database, conn, tmp_path):
    h = streaming_export()
    run([export.write_zip(export.files(h), tmp_path / "old.zip")])
    before = contents(conn)
    newer = later()
    report = run([export.write_zip(export.files(newer), tmp_path / "new.zip")], dry_run=True)
    assert contents(conn) == before
    assert report.dry_run and report.lists is None
    assert report.plays_new == len(oracle.plays(newer.rows)) - len(oracle.plays(h.rows)) > 0
    assert "would add" in report.line()
    assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%%incoming'"
                        ).fetchone()[0] == 0


def test_a_read_only_app_imports_nothing(use_database, conn, monkeypatch, tmp_path):
    path = export.write_zip(export.files(streaming_export()), tmp_path / "export.zip")
    before = contents(conn)
    monkeypatch.setenv("MTM_READ_ONLY", "on")
    with pytest.raises(access.WriteRefused):
        streaming_history.import_history([path], access.Grant("a stale grant"))
    assert contents(conn) == before


def test_account_data_rows_match_one_known_track_by_exact_names(use_database, conn, tmp_path):
    rng = random.Random(11)
    alpha, twin1, twin2, other = export.make_tracks(rng, 4)
    twin2 = export.Track(twin2.id, twin1.name, twin1.artist, "Another album")
    exact = dt.datetime(2021, 5, 1, 10, 15, 42, tzinfo=UTC)
    extended = [export._music_row(rng, alpha, exact, 200_000, False),
                export._music_row(rng, twin1, exact + dt.timedelta(hours=1), 60_000, False),
                export._music_row(rng, twin2, exact + dt.timedelta(hours=2), 60_000, False),
                export._music_row(rng, other, exact + dt.timedelta(hours=3), 60_000, False)]
    for row, track in zip(extended, (alpha, twin1, twin2, other), strict=False):  # names on every row here
        row.update(master_metadata_track_name=track.name,
                   master_metadata_album_artist_name=track.artist)
    run([export.write_loose({"Streaming_History_Audio_2021_0.json": json.dumps(extended).encode()},
                            tmp_path / "ext")[0]])
    day = dt.datetime(2021, 6, 2, 21, 5, tzinfo=UTC)
    account = [
        export.account_row(day, alpha.artist, alpha.name, 180_000),  # unique
        export.account_row(day + dt.timedelta(minutes=4), alpha.artist, alpha.name, 45_000),
        export.account_row(day, twin1.artist, twin1.name, 90_000),  # ambiguous
        export.account_row(day, "Nobody", "Ghost", 90_000),  # unknown
        export.account_row(day, alpha.artist.upper(), alpha.name, 90_000),  # not exactly
        export.account_row(exact, alpha.artist, alpha.name, 200_000),  # the exact play, again
        {"endTime": "2021-06-02 22:00", "artistName": None, "trackName": "x", "msPlayed": 1},
    ]
    older = [export.account_row(day + dt.timedelta(days=1), other.artist, other.name, 31_000)]
    folder = tmp_path / "MyData"
    paths = export.write_loose({"StreamingHistory_music_0.json": export.account_file(account),
                                "StreamingHistory0.json": export.account_file(older)}, folder)
    report = run(paths)
    assert report.skipped == Counter({rows.SKIP_UNMATCHED: 4})
    # The account row of a play the extended export already gave exactly is that play, stored.
    assert (report.plays_new, report.plays_stored, report.repeated) == (3, 1, 0)
    known: dict = {}
    for t in (alpha, twin1, twin2, other):
        known.setdefault((t.name, t.artist), set()).add(t.id)
    expected = oracle.plays(extended)
    expected.update({k: v for k, v in oracle.account_plays(account + older, known).items()
                     if (k[0], k[1], k[2]) != (exact.replace(second=0), alpha.id, 200_000)})
    found = stored_plays(conn)
    assert {k: v["exact_time"] for k, v in found.items()} == \
        {k: v["exact_time"] for k, v in expected.items()}
    assert_lists_equal(derived(conn), oracle.lists(expected, "UTC"))
    # The extended export, when it comes, replaces a play known to the minute by the exact one.
    later_play = export._music_row(rng, alpha, day + dt.timedelta(seconds=33), 180_000, True)
    again = run(export.write_loose({"Streaming_History_Audio_2021_1.json":
                                    json.dumps([later_play]).encode()}, tmp_path / "ext2"))
    assert again.plays_new == 1
    del expected[(day, alpha.id, 180_000)]
    expected.update(oracle.plays([later_play]))
    assert stored_plays(conn).keys() == expected.keys()
    assert_lists_equal(derived(conn), oracle.lists(expected, "UTC"))


# --- Bad input: refused in one line naming the problem, nothing changed. ---

def _small() -> export.History:
    if "small" not in _generated:
        _generated["small"] = export.generate(5, plays=150, tracks=20)
    return _generated["small"]


def _zip_with(entries: dict[str, bytes], tmp) -> list:
    return [export.write_zip(entries, tmp / "bad.zip")]


def _bad_row(tmp):
    content = export.files(_small(), per_file=60)
    name = [n for n in content if n.endswith("_1.json")][0]
    data = json.loads(content[name])
    data[7]["ms_played"] = "12"
    content[name] = json.dumps(data).encode()
    return _zip_with(content, tmp)


def _too_big(tmp):
    row = json.dumps(export._music_row(random.Random(1), _small().tracks[0],
                                       dt.datetime(2020, 1, 1, tzinfo=UTC)))
    blob = ("[" + ",".join([row] * 900) + "]").encode()  # about 0.6 MB each
    assert 0.5 * 2**20 < len(blob) < 2**20
    return _zip_with({"Streaming_History_Audio_2020_0.json": blob,
                      "Streaming_History_Audio_2020_1.json": blob}, tmp)


def _unsafe(name):
    def build(tmp):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("MyData/endsong_0.json", export.files(_small(), "endsong", "")[
                "endsong_0.json"])
            archive.writestr(zipfile.ZipInfo(name), b"[]")
        (tmp / "unsafe.zip").write_bytes(buffer.getvalue())
        return [tmp / "unsafe.zip"]
    return build


def _with_good(build):
    def both(tmp):
        good = export.write_zip(export.files(export.newer(_small(), 9, plays=30), folder="MyData"),
                                tmp / "good" / "good.zip")
        return [good, *build(tmp)]
    return both


def _text_file(name, data: bytes):
    def build(tmp):
        (tmp / name).write_bytes(data)
        return [tmp / name]
    return build


BAD = {
    "not a zip": (_text_file("my_spotify_data.zip", b"PK\x03\x04 but not really a zip"),
                  "my_spotify_data.zip: not a zip file"),
    "zip without history": (lambda tmp: _zip_with({"MyData/Userdata.json": b"{}",
                                                   "MyData/Read_Me_First.pdf": b"%PDF"}, tmp),
                            "no streaming-history files found"),
    "malformed row": (_bad_row, "_1.json row 7: ms_played must be a whole number"),
    "not utf-8": (lambda tmp: _zip_with({"MyData/endsong_3.json": json.dumps(
        [{"ts": "2020-01-01T00:00:00Z", "master_metadata_track_name": "Café"}],
        ensure_ascii=False).encode("latin-1")}, tmp), "endsong_3.json: not UTF-8"),
    "not json": (lambda tmp: _zip_with({"endsong_0.json": b"[{\"ts\": "}, tmp),
                 "endsong_0.json: not valid JSON"),
    "not an array": (_text_file("Streaming_History_Audio_2020_0.json", b'{"ts": 1}'),
                     "expected a JSON array"),
    "over the size limit": (_too_big, "MTM_IMPORT_MAX_MB"),
    "entry with ..": (_unsafe("MyData/../../etc/endsong_9.json"), "unsafe path"),
    "absolute entry": (_unsafe("/tmp/Streaming_History_Audio_2020_0.json"), "unsafe path"),
    "unsafe entry that is no history file": (_unsafe("../../.bashrc"), "unsafe path"),
    "a file that is no history": (_text_file("notes.txt", b"hello"),
                                  "notes.txt: not a zip, a folder or a streaming-history file"),
    "bad account row": (_text_file("StreamingHistory_music_0.json", json.dumps(
        [{"endTime": "yesterday", "artistName": "a", "trackName": "b", "msPlayed": 1}]).encode()),
        "StreamingHistory_music_0.json row 0: endTime"),
    "missing path": (lambda tmp: [tmp / "nowhere.zip"], "nowhere.zip: no such file or folder"),
    "good zip, then a bad one": (_with_good(_bad_row), "row 7: ms_played"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_refused_in_one_line_with_nothing_changed(case, use_database, conn,
                                                               monkeypatch, tmp_path):
    build, says = BAD[case]
    run([export.write_zip(export.files(_small()), tmp_path / "first.zip")])
    before = contents(conn)
    monkeypatch.setenv("MTM_IMPORT_MAX_MB", "1")
    paths = build(tmp_path)
    with pytest.raises(ImportRejected) as refused:
        run(paths)
    message = str(refused.value)
    assert "\n" not in message and says in message, message
    assert contents(conn) == before


def test_an_uploaded_file_that_is_not_a_zip_is_refused(use_database, conn):
    before = contents(conn)
    with pytest.raises(ImportRejected, match="upload.zip: not a zip file"):
        streaming_history.import_history_upload(b"{}", "upload.zip", access.operator())
    assert contents(conn) == before


def test_a_zip_bomb_stops_early(use_database, conn, monkeypatch, tmp_path):
    """64 MB of JSON whitespace (a valid, empty history) packed into a few kB: refused once the
    unpacked bytes pass the limit, having unpacked little more than the limit."""
    bomb = b"[" + b" " * (64 * 2**20) + b"]"
    path = export.write_zip({"Spotify Extended Streaming History/Streaming_History_Audio_2020_0"
                             ".json": bomb}, tmp_path / "bomb.zip")
    assert path.stat().st_size < 2**20
    del bomb
    unpacked = []
    original = zipfile.ZipExtFile.read

    def counted(self, n=-1):
        data = original(self, n)
        unpacked.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    monkeypatch.setenv("MTM_IMPORT_MAX_MB", "2")
    before = contents(conn)
    with pytest.raises(ImportRejected, match="more than 2 MB") as refused:
        run([path])
    assert "\n" not in str(refused.value)
    assert sum(unpacked) <= 4 * 2**20
    assert contents(conn) == before


def test_the_command_line_imports_and_refuses_in_one_line(use_database, tmp_path):
    from support.cli import one_line_error, run_cli

    path = export.write_zip(export.files(_small()), tmp_path / "export.zip")
    done = run_cli("import-history", str(path), database_url=use_database)
    assert done.returncode == 0, done.stderr
    assert f"added {len(oracle.plays(_small().rows)):,} new plays" in done.stdout
    (tmp_path / "broken.zip").write_bytes(b"nope")
    line = one_line_error(run_cli("import-history", str(tmp_path / "broken.zip"),
                                  database_url=use_database))
    assert "broken.zip: not a zip file" in line


def test_plays_after_a_silence_of_over_a_year_get_every_list_between(use_database, conn,
                                                                     monkeypatch, tmp_path):
    """An export up to a silence, then one past it: the days between the old last stream and the
    new plays (whose windows hold old streams) get lists too, as a full import gives them."""
    monkeypatch.setenv("MTM_TIMEZONE", "America/Los_Angeles")
    h = streaming_export()
    times = sorted({r["ts"] for r in h.rows})
    gap = max(range(1, len(times)), key=lambda i: oracle.utc(times[i]) - oracle.utc(times[i - 1]))
    assert oracle.utc(times[gap]) - oracle.utc(times[gap - 1]) > dt.timedelta(days=366)
    before = export.History([r for r in h.rows if r["ts"] < times[gap]], [], h.tracks)
    run([export.write_zip(export.files(before), tmp_path / "before.zip")])
    report = run([export.write_zip(export.files(h), tmp_path / "all.zip")])
    assert report.plays_new == len(oracle.plays(h.rows)) - len(oracle.plays(before.rows)) > 0
    assert_lists_equal(derived(conn), oracle.lists(oracle.plays(h.rows), "America/Los_Angeles"))


def _ranks(conn) -> dict[tuple, int]:
    return {(t, d, r): k for t, d, r, k in conn.execute(
        "SELECT track_id, snapshot_date, time_range, rank FROM list_ranks WHERE derived")}


def test_the_report_counts_ranks_as_rows_of_the_lists_it_derived(use_database, conn, monkeypatch,
                                                                 tmp_path):
    """Derived lists are stored one row per list, but the report (and imports) still counts
    ranks: new, moved, unchanged and removed (track, day, range), as when each was a row."""
    run([export.write_zip(export.files(streaming_export()), tmp_path / "export.zip")])
    before = _ranks(conn)
    monkeypatch.setenv("MTM_TIMEZONE", "Asia/Kolkata")  # every list derived again
    report = run([export.write_zip(export.files(later()), tmp_path / "newer.zip")])
    after = _ranks(conn)
    both = before.keys() & after.keys()
    moved = sum(before[k] != after[k] for k in both)
    assert moved and len(after.keys() - before.keys()) and len(before.keys() - after.keys())
    assert (report.lists.counts.inserted, report.lists.counts.updated,
            report.lists.counts.unchanged, report.lists.removed) == (
        len(after.keys() - before.keys()), moved, len(both) - moved,
        len(before.keys() - after.keys()))
    stored = conn.execute("SELECT snapshots_inserted, snapshots_updated, snapshots_unchanged,"
                          " snapshots_removed FROM imports ORDER BY id DESC LIMIT 1").fetchone()
    assert stored == (len(after.keys() - before.keys()), moved, len(both) - moved,
                      len(before.keys() - after.keys()))


def test_spotifys_ranks_over_a_derived_list_count_as_they_did_over_its_rows(use_database, conn,
                                                                            tmp_path):
    """A rank of Spotify's that takes the place of the same track's derived rank that day counts
    as unchanged (same rank) or updated (another), as when derived ranks were rows of snapshots;
    only a track the derived list lacked is new."""
    h = streaming_export()
    run([export.write_zip(export.files(h), tmp_path / "export.zip")])
    full = oracle.lists(oracle.plays(h.rows), "UTC")
    day = sorted(full)[len(full) // 2]
    derived_ids = full[day]
    other = next(t.id for t in h.tracks if t.id not in derived_ids)
    conn.execute("INSERT INTO tracks (track_id, name) VALUES (%s, 'spotify only')"
                 " ON CONFLICT DO NOTHING", (other,))
    ids = [derived_ids[0]] + list(reversed(derived_ids[1:5])) + [other]  # same, 4 moved, new
    spotify = [(track_id, *day, rank) for rank, track_id in enumerate(ids, start=1)]
    with conn.transaction():
        bulk.stage(conn, "snapshots", SNAPSHOT_COLUMNS, spotify)
        assert merge_staged_ranks(conn) == (1, 4, 1)
    assert conn.execute("SELECT count(*) FROM derived_lists WHERE (snapshot_date, time_range)"
                        " = (%s, %s)", day).fetchone() == (0,)
