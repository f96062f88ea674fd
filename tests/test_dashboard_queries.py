"""The dashboard's SQL against data built for the test: every edge case real caches hold,
unfiltered and filtered, checked against an independent Python reading (semantics.py)."""

import datetime as dt

import pytest
import streamlit as st

from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks
from queries import core, dashboard, shared

from support import semantics

D = dt.date
ALBUM_CASES = {
    "no-album": None, "no-date": {}, "null-date": {"release_date": None},
    "empty-date": {"release_date": ""}, "zero-date": {"release_date": "0000"},
    "19xx-date": {"release_date": "19xx"}, "number-date": {"release_date": 1987},
    "year": {"release_date": "1987"}, "month": {"release_date": "1999-04"},
    "day": {"release_date": "2024-02-29"}, "day-2": {"release_date": "2020-01-01"},
    "sixties": {"release_date": "1969-07-20"},
}
EXPLICIT_CASES = [True, False, "missing", None, "true", 1, True, False, True, False, True, False]


def build_tracks():
    tracks = []
    for i, (key, album) in enumerate(ALBUM_CASES.items()):
        track = {"id": f"t-{key}", "name": f"<b>{key}</b>", "artists": [{"name": f"A{i % 4}"}]}
        if album is not None:
            track["album"] = {"name": f"Album {key}", **album}
        flag = EXPLICIT_CASES[i]
        if flag != "missing":
            track["explicit"] = flag
        tracks.append(track)
    return tracks


SNAPSHOTS = [
    # (track_id, date, time_range, rank)
    ("t-year", D(2026, 1, 1), "short_term", 1),      # on the window's first day
    ("t-year", D(2026, 1, 2), "short_term", 2),      # same track again: counted once
    ("t-year", D(2026, 1, 2), "long_term", 1),
    ("t-month", D(2026, 1, 31), "medium_term", 3),   # on the window's last day
    ("t-no-album", D(2026, 1, 15), "short_term", 4),
    ("t-empty-date", D(2026, 1, 15), "long_term", 2),
    ("t-day", D(2025, 12, 31), "short_term", 1),     # a day before the window
    ("t-day", D(2026, 2, 1), "short_term", 1),       # a day after it
    ("t-null-date", D(2026, 3, 1), "medium_term", 9),
]
# t-zero-date, t-19xx-date, ... have no snapshots: they count only without a filter.

FILTERS = [
    (None, None, None),
    (D(2026, 1, 1), D(2026, 1, 31), None),
    (D(2026, 1, 1), D(2026, 1, 31), "short_term"),
    (D(2026, 1, 1), D(2026, 1, 31), "long_term"),
    (D(2026, 1, 2), D(2026, 1, 30), None),
    (None, None, "medium_term"),
    (D(2030, 1, 1), D(2030, 12, 31), None),  # matches nothing
    (D(2025, 12, 15), D(2026, 2, 10), None),  # partial + whole + partial month
    (D(2025, 12, 31), D(2026, 3, 1), "short_term"),
    (D(2026, 1, 31), D(2026, 1, 31), None),  # one day
]


@pytest.fixture
def data(use_database):
    st.cache_data.clear()
    tracks = build_tracks()
    save_tracks(tracks)
    save_snapshots(SNAPSHOTS)
    yield tracks
    st.cache_data.clear()


@pytest.mark.parametrize(("start", "end", "time_range"), FILTERS)
def test_dashboard_queries_match_an_independent_reading(data, start, end, time_range):
    args = (start, end, time_range)
    chosen = semantics.selected(data, SNAPSHOTS, *args)
    numbers = dashboard.summary(*args)
    assert numbers["tracks"] == len(chosen)
    assert numbers["snapshot_days"] == semantics.snapshot_days(SNAPSHOTS, *args)
    assert numbers["artists"] == len({t["artists"][0]["name"] for t in chosen})
    flags = semantics.explicit(chosen)
    known = flags.get("Explicit", 0) + flags.get("Clean", 0)
    assert numbers["share_explicit"] == (flags.get("Explicit", 0) / known if known else None)

    decades = dashboard.release_decades(*args)
    assert dict(zip(decades["decade"], decades["tracks"], strict=True)) == semantics.decades(chosen)
    years = dashboard.release_years(*args)
    assert dict(zip(years["year"], years["tracks"], strict=True)) == semantics.years(chosen)
    explicit = dashboard.explicit_breakdown(*args)
    assert dict(zip(explicit["content"], explicit["tracks"], strict=True)) == flags


def test_unfiltered_counts_every_track_and_every_edge_case(data):
    assert dashboard.summary(None, None, None)["tracks"] == len(ALBUM_CASES)
    decades = dashboard.release_decades(None, None, None)
    assert list(decades["decade"]) == ["1960s", "1980s", "1990s", "2020s", "Unknown"]
    assert list(decades["tracks"]) == [1, 1, 1, 2, 7]
    years = dashboard.release_years(None, None, None)
    assert list(years["year"]) == ["2024", "2020", "1999", "1987", "1969", "Unknown"]
    explicit = dashboard.explicit_breakdown(None, None, None)
    # four true, four false; missing, null, "true" and 1 are all Unknown
    assert list(explicit["content"]) == ["Explicit", "Clean", "Unknown"]
    assert explicit["tracks"].sum() == len(ALBUM_CASES)
    assert dict(zip(explicit["content"], explicit["tracks"], strict=True))["Unknown"] == 4


def test_window_bounds_are_inclusive_and_each_track_counts_once(data):
    numbers = dashboard.summary(D(2026, 1, 1), D(2026, 1, 31), None)
    assert numbers["tracks"] == 4  # t-year (3 snapshots), t-month, t-no-album, t-empty-date
    assert numbers["snapshot_days"] == 4  # Jan 1, 2, 15, 31
    assert numbers["latest_snapshot"] == D(2026, 1, 31)


def test_top_tracks_ranks_and_shows_names_as_stored(data):
    top = dashboard.top_tracks(D(2026, 1, 1), D(2026, 1, 31), None)
    assert list(top["track"])[:2] == ["<b>year</b>", "<b>empty-date</b>"]
    assert top.iloc[0]["best_rank"] == 1 and top.iloc[0]["days_charted"] == 2


def test_an_empty_database_answers_with_zeros(use_database):
    st.cache_data.clear()
    numbers = dashboard.summary(None, None, None)
    assert (numbers["tracks"], numbers["snapshot_days"], numbers["latest_snapshot"]) == (0, 0, None)
    assert numbers["share_explicit"] is None
    assert dashboard.release_decades(None, None, None).empty
    assert shared.snapshot_bounds() == (None, None)
    st.cache_data.clear()


def test_a_write_shows_at_the_next_version_sync_with_no_cache_cleared(data):
    version = core.sync_version()
    before = dashboard.summary(None, None, None)["tracks"]
    window = (D(2026, 1, 1), D(2026, 1, 31), None)
    charted = dashboard.summary(*window)["tracks"]
    save_tracks([{"id": "late", "name": "Late"}])  # by any process: here, not through the app
    assert dashboard.summary(None, None, None)["tracks"] == before  # cached, version unchanged
    assert core.sync_version() == version + 1  # the next script run reads it
    assert dashboard.summary(None, None, None)["tracks"] == before + 1
    save_snapshots([("late", D(2026, 1, 20), "short_term", 51)])
    core.sync_version()
    assert dashboard.summary(*window)["tracks"] == charted + 1
    assert core.sync_version() == version + 2  # nothing written: same version, same cache


def test_random_windows_over_demo_data_match_an_independent_reading(use_database):
    """Windows that cut months anywhere, checked track by track (best rank, days charted)."""
    import random

    from db.ingest import demo

    st.cache_data.clear()
    end = D(2026, 5, 20)
    tracks = demo.generate_tracks(150, seed=21)
    snapshots = list(demo.generate_snapshots([t["id"] for t in tracks], 140, end, seed=21))
    save_tracks(tracks)
    save_snapshots(snapshots)
    rng = random.Random(5)
    for _ in range(25):
        a = end - dt.timedelta(days=rng.randrange(160))
        b = a + dt.timedelta(days=rng.randrange(90))
        time_range = rng.choice([None, "short_term", "medium_term", "long_term"])
        rows = [s for s in snapshots if a <= s[1] <= b and time_range in (None, s[2])]
        expected = {}
        for track_id, day, _, rank in rows:
            best, days = expected.get(track_id, (rank, set()))
            expected[track_id] = (min(best, rank), days | {day})
        charted = dashboard.charted_tracks(a, b, time_range)
        got = {r.track_id: (r.best_rank, r.days_charted) for r in charted.itertuples()}
        assert got == {k: (best, len(days)) for k, (best, days) in expected.items()}, (a, b, time_range)
        numbers = dashboard.summary(a, b, time_range)
        assert numbers["snapshot_days"] == len({s[1] for s in rows})
        assert numbers["latest_snapshot"] == max((s[1] for s in rows), default=None)
    st.cache_data.clear()
