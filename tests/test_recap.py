"""The year in review (issue #19): its queries against an independent reading of the export's
rows (support/listening_oracle.py), for several years and time zones, and its link parsing."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st

from queries import core, recap
from ui.state.recap import Recap, parse_recap

from support import history_export as export
from support import listening_oracle as oracle

UTC = dt.UTC


def at_the_turn_of_the_year(streaming_export: export.History) -> list[dict]:
    """The export's rows plus plays the rule must place right: near midnight UTC on New Year's
    Eve (23:30Z counts for the next year east of UTC, 00:30Z for the year before west of it), a
    29,999 ms play, an incognito one, and a track streamed only then (discovered that night)."""
    rows = [dict(r) for r in streaming_export.rows]
    template = next(r for r in rows if r["spotify_track_uri"] and r["master_metadata_track_name"])
    years = sorted({int(r["ts"][:4]) for r in rows})
    popular, other = streaming_export.tracks[0], streaming_export.tracks[1]
    only_then = streaming_export.tracks[5]
    for year in years:
        for track, moment, ms, incognito in (
                (popular, dt.datetime(year, 12, 31, 23, 30), 240_000, False),
                (only_then, dt.datetime(year, 12, 31, 23, 45), 180_000, None),
                (other, dt.datetime(year, 1, 1, 0, 30), 215_000, False),
                (other, dt.datetime(year, 6, 30, 12), 29_999, False),
                (popular, dt.datetime(year, 6, 30, 13), 240_000, True)):
            rows.append(template | {
                "ts": export.ts_text(moment.replace(tzinfo=UTC)), "ms_played": ms,
                "incognito_mode": incognito, "spotify_track_uri": track.uri,
                "master_metadata_track_name": track.name,
                "master_metadata_album_artist_name": track.artist,
                "master_metadata_album_album_name": track.album})
    rows.sort(key=lambda r: r["ts"])
    return rows


def shown(year: int) -> dict:
    """What the queries say of a year, in the oracle's terms."""
    tracks = recap.top_tracks(year)
    artists = recap.top_artists(year)
    months = recap.months(year)
    returned = recap.most_returned(year)
    return {
        "minutes": recap.minutes(months["ms"].sum()),
        "streams": int(months["streams"].sum()),
        "top_tracks": [(t.track_id, t.streams, t.minutes) for t in tracks.itertuples()],
        "top_artists": [(a.artist, a.streams, a.minutes) for a in artists.itertuples()],
        "top_month": recap.top_month(months),
        "discovered": recap.discovered(year),
        "most_returned": returned["track_id"].iloc[0] if len(returned) else None,
        "most_returned_days": int(returned["days"].iloc[0]) if len(returned) else None,
    }


def rounded(figures: dict) -> dict:
    """Minutes to the millisecond's 1/60,000 cannot differ but by float rounding: 9 places."""
    def fix(value):
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, list | tuple):
            return type(value)(fix(v) for v in value)
        return value
    return {key: fix(value) for key, value in figures.items()}


@pytest.mark.parametrize(("tz", "seed", "start"), [
    ("UTC", 19, dt.datetime(2019, 11, 3, 7, tzinfo=UTC)),
    ("Asia/Tokyo", 20, dt.datetime(2020, 12, 1, 7, tzinfo=UTC)),  # east: 23:30Z is tomorrow
    ("America/Los_Angeles", 21, dt.datetime(2021, 12, 10, 7, tzinfo=UTC)),  # west
])
def test_every_figure_of_every_year_matches_the_oracle(use_database, fresh_cache, monkeypatch,
                                                       tmp_path, tz, seed, start):
    monkeypatch.setenv("MTM_TIMEZONE", tz)
    rows = at_the_turn_of_the_year(export.generate(seed, plays=900, start=start))
    export.load(rows, tmp_path)
    core.sync_version()
    years = oracle.years(rows, tz)
    assert recap.years() == sorted(years, reverse=True)
    assert len(years) >= 3
    for year in [years[0] - 1, *years, years[-1] + 1]:  # and the years around them, empty
        expected = oracle.recap(rows, tz, year)
        assert rounded(shown(year)) == rounded(expected), (tz, year)
        assert len(recap.months(year)) == 12


def test_a_new_year_in_the_east_and_an_old_one_in_the_west(use_database, fresh_cache,
                                                           monkeypatch, tmp_path):
    """One play at 23:30Z on 31 December 2023: 2024 in Tokyo, 2023 in UTC and Los Angeles."""
    track = export.make_tracks(__import__("random").Random(1), 1)[0]
    row = export.generate(1, plays=3, tracks=3).rows[0] | {
        "ts": "2023-12-31T23:30:00Z", "ms_played": 200_000, "incognito_mode": False,
        "spotify_track_uri": track.uri, "master_metadata_track_name": track.name,
        "master_metadata_album_artist_name": track.artist}
    for tz, year in (("Asia/Tokyo", 2024), ("UTC", 2023), ("America/Los_Angeles", 2023)):
        monkeypatch.setenv("MTM_TIMEZONE", tz)
        export.load([row], tmp_path / tz)  # a new zone makes the rollups again
        st.cache_data.clear()
        core.sync_version()
        assert recap.years() == [year], tz
        assert recap.discovered(year) == 1
        assert recap.top_month(recap.months(year)) == dt.date(year, 1 if year == 2024 else 12, 1)
        assert recap.top_tracks(year)["track_id"].tolist() == [track.id]


def test_no_plays_no_years(use_database, fresh_cache):
    core.sync_version()
    assert recap.years() == []
    assert recap.top_tracks(2024).empty and recap.top_artists(2024).empty
    assert recap.top_month(recap.months(2024)) is None
    assert recap.discovered(2024) == 0


# --- The link ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "year"), [
    ({}, None), ({"year": ""}, None), ({"year": "2024"}, 2024), ({"year": "2000"}, 2000),
    ({"year": "2099"}, 2099), ({"other": "x"}, None)])
def test_a_year_in_the_link(params, year):
    assert parse_recap(params) == (Recap(year), [])
    assert Recap(year).query_params() == ({"year": str(year)} if year else {})


@pytest.mark.parametrize("value", ["24", "20245", "1999", "2100", " 2024", "2024 ", "２０２４",
                                   "2024.0", "-2024", "y2024", "<b>2024</b>", "x" * 500])
def test_a_bad_year_is_a_hint_and_the_latest_year(value):
    state, hints = parse_recap({"year": value})
    assert state == Recap(None)
    assert len(hints) == 1 and "year" in hints[0]
    if len(value) <= 32:
        assert repr(value) in hints[0]  # quoted as the visitor typed it
    else:
        assert value not in hints[0] and "500 characters" in hints[0]


def test_a_track_without_names_counts_as_streams_but_for_no_artist(use_database, fresh_cache,
                                                                    monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", "UTC")
    rows = export.generate(7, plays=120, tracks=20).rows
    nameless = export.make_tracks(__import__("random").Random(2), 1)[0]
    year = int(rows[0]["ts"][:4])
    for hour in range(20):  # the year's most streamed track, named by no row
        rows.append(rows[0] | {
            "ts": f"{year}-12-01T{hour:02d}:00:00Z", "ms_played": 200_000, "incognito_mode": False,
            "spotify_track_uri": nameless.uri, "master_metadata_track_name": None,
            "master_metadata_album_artist_name": None, "master_metadata_album_album_name": None})
    rows.sort(key=lambda r: r["ts"])
    export.load(rows, tmp_path)
    core.sync_version()
    expected = oracle.recap(rows, "UTC", year)
    assert expected["top_tracks"][0][0] == nameless.id
    assert rounded(shown(year)) == rounded(expected)
    assert None not in recap.top_artists(year)["artist"].tolist()
