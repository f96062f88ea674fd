import copy
from datetime import date

import pytest
from psycopg.rows import dict_row

from db.errors import InvalidData
from db.ingest.demo import generate_tracks
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks


def table(conn, name):
    order = "track_id" if name == "tracks" else "track_id, snapshot_date, time_range"
    return conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()


def stored(conn, track_id):
    """One tracks row as written, with the columns PostgreSQL derives from raw_json."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT name, artist_name, album_name, spotify_url, raw_json, album_release_year, "
            "created_at, updated_at FROM tracks WHERE track_id = %s", (track_id,)).fetchone()


@pytest.fixture
def tracks():
    return generate_tracks(20, seed=3)


def test_save_tracks_keeps_the_payload_and_derives_its_columns(conn, tracks):
    track = next(t for t in tracks if isinstance(t.get("album", {}).get("release_date"), str)
                 and t["album"]["release_date"][:4].isdigit() and t["album"]["release_date"] != "0000")
    assert save_tracks(tracks, conn) == 20
    row = stored(conn, track["id"])
    assert row["raw_json"] == track
    assert row["name"] == track["name"]
    assert row["artist_name"] == track["artists"][0]["name"]
    assert row["album_name"] == track["album"]["name"]
    assert row["album_release_year"] == int(track["album"]["release_date"][:4])
    assert row["spotify_url"] == f"https://open.spotify.com/track/{track['id']}"


def test_resaving_the_same_tracks_changes_nothing(conn, tracks):
    save_tracks(tracks, conn)
    before = table(conn, "tracks")
    save_tracks(tracks, conn)
    assert table(conn, "tracks") == before  # updated_at included


def test_resaving_a_changed_track_updates_it(conn, tracks):
    save_tracks(tracks, conn)
    old = stored(conn, tracks[0]["id"])
    save_tracks([{**tracks[0], "name": "New Name"}], conn)
    new = stored(conn, tracks[0]["id"])
    assert new["name"] == "New Name"
    assert new["updated_at"] > old["updated_at"]
    assert new["created_at"] == old["created_at"]


def test_a_later_duplicate_in_one_batch_wins(conn, tracks):
    assert save_tracks([tracks[0], {**tracks[0], "name": "Second"}], conn) == 1
    assert stored(conn, tracks[0]["id"])["name"] == "Second"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not a track", "track 3: expected a JSON object"),
        ({"name": "No id"}, "track 3: 'id' must be a non-empty string"),
        ({"id": "", "name": "Blank id"}, "'id' must be a non-empty string"),
        ({"id": "x1", "name": None}, "'name' must be a string"),
        ({"id": "x1", "name": "n", "duration_ms": -5}, "'duration_ms' must be a non-negative"),
        ({"id": "x1", "name": "n", "duration_ms": "long"}, "'duration_ms' must be"),
        ({"id": "x1", "name": "n", "duration_ms": float("nan")}, "'duration_ms' must be"),
        ({"id": "x1", "name": "n", "extra": float("inf")}, "not serialisable as JSON"),
        ({"id": "x1", "name": "n\u0000ul"}, "rejected by the database"),
    ],
)
def test_a_bad_track_rejects_the_batch_and_keeps_stored_data(conn, tracks, bad, message):
    save_tracks(tracks[:5], conn)
    before = table(conn, "tracks")
    changed = copy.deepcopy(tracks[0])
    changed["name"] = "Would change"
    with pytest.raises(InvalidData, match=message):
        save_tracks([changed, tracks[6], bad], conn)
    assert table(conn, "tracks") == before


def test_messy_payloads_are_stored_and_derive_unknown_year_and_explicit(conn):
    base = {"name": "n", "artists": [{"name": "a"}]}
    cases = {
        "no-album": ({}, None, None),
        "no-date": ({"album": {"name": "x"}}, None, None),
        "null-date": ({"album": {"release_date": None}}, None, None),
        "empty-date": ({"album": {"release_date": ""}}, None, None),
        "zero-date": ({"album": {"release_date": "0000"}}, None, None),
        "19xx-date": ({"album": {"release_date": "19xx"}}, None, None),
        "number-date": ({"album": {"release_date": 1999}}, None, None),
        "album-string": ({"album": "oops"}, None, None),
        "year-only": ({"album": {"release_date": "1987"}, "explicit": True}, 1987, True),
        "month": ({"album": {"release_date": "2001-04"}, "explicit": False}, 2001, False),
        "day": ({"album": {"release_date": "2024-02-29"}, "explicit": None}, 2024, None),
        "string-explicit": ({"explicit": "true"}, None, None),
        "number-explicit": ({"explicit": 1}, None, None),
    }
    save_tracks([{**base, "id": key, **extra} for key, (extra, _, _) in cases.items()], conn)
    got = {r[0]: r[1:] for r in conn.execute(
        "SELECT track_id, album_release_year, is_explicit FROM tracks")}
    assert got == {key: (year, explicit) for key, (_, year, explicit) in cases.items()}


def test_save_snapshots_is_idempotent_and_updates_rank(conn, tracks):
    save_tracks(tracks[:2], conn)
    rows = [(tracks[0]["id"], date(2026, 5, 1), "short_term", 1),
            {"track_id": tracks[1]["id"], "snapshot_date": "2026-05-01",
             "time_range": "long_term", "rank": 2}]
    assert save_snapshots(rows, conn) == 2
    before = table(conn, "snapshots")
    save_snapshots(rows, conn)
    assert table(conn, "snapshots") == before
    save_snapshots([(tracks[0]["id"], "2026-05-01", "short_term", 7)], conn)
    assert conn.execute("SELECT rank FROM snapshots WHERE time_range = 'short_term'"
                        ).fetchone()[0] == 7


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (("t", date(2026, 1, 1), "weekly", 1), "time_range must be one of"),
        (("t", date(2026, 1, 1), "short_term", 0), "rank must be a whole number of at least 1"),
        (("t", date(2026, 1, 1), "short_term", True), "rank must be"),
        (("t", "2026-02-30", "short_term", 1), "snapshot_date must be a date"),
        (("t", None, "short_term", 1), "snapshot_date must be a date"),
        (("", date(2026, 1, 1), "short_term", 1), "track_id must be a non-empty string"),
        (("t", date(2026, 1, 1)), "expected \\(track_id, snapshot_date, time_range, rank\\)"),
        (("missing-track", date(2026, 1, 1), "short_term", 1), "refer to a track that is not stored"),
    ],
)
def test_a_bad_snapshot_rejects_the_batch(conn, tracks, bad, message):
    save_tracks(tracks[:1], conn)
    good = (tracks[0]["id"], date(2026, 1, 1), "short_term", 1)
    save_snapshots([good], conn)
    before = table(conn, "snapshots")
    bad = tuple(tracks[0]["id"] if v == "t" else v for v in bad)
    with pytest.raises(InvalidData, match=message):
        save_snapshots([(tracks[0]["id"], date(2026, 1, 1), "short_term", 9), bad], conn)
    assert table(conn, "snapshots") == before


def test_writes_through_the_shared_pool_are_committed(use_database, tracks):
    save_tracks(tracks)
    save_snapshots([(tracks[0]["id"], date(2026, 1, 1), "medium_term", 4)])
    import psycopg
    with psycopg.connect(use_database) as other:
        assert other.execute("SELECT count(*) FROM tracks").fetchone()[0] == 20
        assert other.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1


def test_large_batches_keep_the_same_guarantees(conn):
    many = generate_tracks(1200, seed=8)
    assert save_tracks(many, conn) == len(many)
    before = table(conn, "tracks")
    assert save_tracks(many, conn) == len(many)
    assert table(conn, "tracks") == before  # unchanged re-save writes nothing

    poisoned = [*many[:-1], {**many[-1], "name": "bad\u0000name"}]
    poisoned[0] = {**poisoned[0], "name": "Would change"}
    with pytest.raises(InvalidData, match="rejected by the database"):
        save_tracks(poisoned, conn)
    assert table(conn, "tracks") == before

    rows = [(t["id"], date(2026, 1, 1), "short_term", i) for i, t in enumerate(many, start=1)]
    assert save_snapshots(rows, conn) == len(rows)
    snapshots_before = table(conn, "snapshots")
    with pytest.raises(InvalidData, match="not stored"):
        save_snapshots([*rows[1:], ("ghost", date(2026, 1, 1), "short_term", 1)], conn)
    assert table(conn, "snapshots") == snapshots_before


def test_a_batch_through_the_autocommit_pool_is_still_all_or_nothing(use_database, tracks):
    import psycopg

    save_tracks(tracks[:3])
    poisoned = [{**tracks[0], "name": "Would change"}, *tracks[3:8], {**tracks[9], "name": "a\u0000b"}]
    with pytest.raises(InvalidData):
        save_tracks(poisoned)
    with psycopg.connect(use_database) as other:
        names = dict(other.execute("SELECT track_id, name FROM tracks").fetchall())
    assert names == {t["id"]: t["name"] for t in tracks[:3]}
