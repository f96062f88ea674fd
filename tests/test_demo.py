import datetime as dt
from collections import Counter, defaultdict

import psycopg
import pytest

from db.errors import InvalidData
from db.ingest import demo
from db.model import meta
from db.model.snapshots import TIME_RANGES

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def tracks():
    return demo.generate_tracks(2000, seed=42)


def test_same_seed_same_data_other_seed_other_data(tracks):
    assert demo.generate_tracks(2000, seed=42) == tracks
    assert demo.generate_tracks(2000, seed=43) != tracks
    ids = [t["id"] for t in tracks]
    once = list(demo.generate_snapshots(ids, 30, END, seed=42))
    assert list(demo.generate_snapshots(ids, 30, END, seed=42)) == once


def test_tracks_have_the_spotify_track_object_shape(tracks):
    assert len({t["id"] for t in tracks}) == 2000
    whole = [t for t in tracks if "album" in t and "explicit" in t
             and isinstance(t["album"].get("release_date"), str)
             and t["album"]["release_date"] not in ("", "0000")]
    assert len(whole) > 1800
    for t in whole[:200]:
        assert t["type"] == "track" and t["uri"] == f"spotify:track:{t['id']}"
        assert len(t["id"]) == 22 and t["id"].isalnum()
        assert isinstance(t["explicit"], bool)
        assert isinstance(t["duration_ms"], int) and t["duration_ms"] > 0
        assert t["external_urls"]["spotify"] == f"https://open.spotify.com/track/{t['id']}"
        assert len(t["external_ids"]["isrc"]) == 12
        assert t["artists"] and all(a["type"] == "artist" and a["name"] for a in t["artists"])
        album = t["album"]
        assert [i["height"] for i in album["images"]] == [640, 300, 64]
        precision = album["release_date_precision"]
        assert len(album["release_date"]) == {"year": 4, "month": 7, "day": 10}[precision]
        dt.date.fromisoformat(album["release_date"] + {"year": "-01-01", "month": "-01",
                                                        "day": ""}[precision])
    precisions = Counter(t["album"]["release_date_precision"] for t in whole)
    assert set(precisions) == {"year", "month", "day"}


def test_a_quarter_carry_the_retired_fields(tracks):
    old = [t for t in tracks if "popularity" in t]
    assert 0.2 < len(old) / len(tracks) < 0.3
    assert all("available_markets" in t and 0 <= t["popularity"] <= 100 for t in old)


def test_a_few_per_cent_carry_real_world_edge_cases(tracks):
    def kind(t):
        if "album" not in t:
            return "album missing"
        if "explicit" not in t:
            return "explicit missing"
        if "release_date" not in t["album"]:
            return "date missing"
        return {None: "date null", "": "date empty", "0000": "date 0000"}.get(
            t["album"]["release_date"], "fine")

    kinds = Counter(kind(t) for t in tracks)
    odd = len(tracks) - kinds["fine"]
    assert 0.02 < odd / len(tracks) < 0.1
    assert set(kinds) == {"fine", "album missing", "explicit missing", "date missing",
                          "date null", "date empty", "date 0000"}


def test_snapshots_rank_fifty_per_range_per_day_with_realistic_churn(tracks):
    ids = [t["id"] for t in tracks]
    rows = list(demo.generate_snapshots(ids, 120, END, seed=42))
    assert len(rows) == 120 * 3 * 50
    charts = defaultdict(dict)
    for track_id, day, time_range, rank in rows:
        charts[(day, time_range)][rank] = track_id
    assert min(d for d, _ in charts) == END - dt.timedelta(days=119)
    assert max(d for d, _ in charts) == END
    for chart in charts.values():
        assert sorted(chart) == list(range(1, 51)) and len(set(chart.values())) == 50

    def turnover(time_range):  # share of the chart that changed, day to day
        days = sorted({d for d, _ in charts})
        changed = sum(len(set(charts[(a, time_range)].values()) - set(charts[(b, time_range)].values()))
                      for b, a in zip(days, days[1:], strict=False))
        return changed / (50 * (len(days) - 1))

    short, medium, long_ = (turnover(tr) for tr in TIME_RANGES)
    assert short > medium > long_ > 0
    assert short > 0.05 and long_ < 0.02


def test_fewer_tracks_than_ranks():
    ids = [t["id"] for t in demo.generate_tracks(7, seed=1)]
    rows = list(demo.generate_snapshots(ids, 3, END))
    assert len(rows) == 3 * 3 * 7
    assert {r[3] for r in rows} == set(range(1, 8))


def test_seed_demo_fills_an_empty_database(conn):
    summary = demo.seed_demo(tracks=300, days=10, seed=5, end=END, conn=conn)
    assert summary == {"tracks": 300, "snapshots": 1500, "days": 10, "seed": 5,
                       "end": "2026-06-30"}
    assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 300
    assert conn.execute("SELECT count(*), count(DISTINCT snapshot_date), max(snapshot_date)"
                        " FROM snapshots").fetchone() == (1500, 10, END)
    assert meta.get_meta(meta.DEMO_KEY, conn) == summary
    stored = conn.execute("SELECT raw_json FROM tracks ORDER BY track_id").fetchall()
    assert sorted((r[0] for r in stored), key=lambda t: t["id"]) == sorted(
        demo.generate_tracks(300, seed=5), key=lambda t: t["id"])


def test_seed_demo_refuses_a_database_with_tracks_and_changes_nothing(conn):
    demo.seed_demo(tracks=20, days=2, seed=1, end=END, conn=conn)
    before = conn.execute("SELECT count(*), max(updated_at) FROM tracks").fetchone()
    with pytest.raises(InvalidData, match="already holds 20 tracks"):
        demo.seed_demo(tracks=20, days=2, seed=2, end=END, conn=conn)
    assert conn.execute("SELECT count(*), max(updated_at) FROM tracks").fetchone() == before


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tracks": 0}, "--tracks must be between 1 and"),
    ({"days": 0}, "--days must be between 1 and"),
    ({"tracks": demo.MAX_TRACKS + 1}, "--tracks must be between"),
])
def test_seed_demo_rejects_impossible_sizes(conn, kwargs, message):
    with pytest.raises(InvalidData, match=message):
        demo.seed_demo(conn=conn, **kwargs)


def test_seed_demo_is_all_or_nothing(database_url):
    with psycopg.connect(database_url) as conn:
        with pytest.raises(RuntimeError):
            def explode(stage, done, total):
                if stage == "snapshots":
                    raise RuntimeError("interrupted")
            demo.seed_demo(tracks=50, days=2, end=END, conn=conn, progress=explode)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 0
