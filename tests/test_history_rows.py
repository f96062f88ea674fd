"""One row of Spotify's data export read on its own (db.ingest.history_rows), with random and
broken payloads: a row is always a Play, a reason it is not one, or a RowProblem, never another
exception; generated rows read back as what they say. No database."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.ingest import history_rows as rows

from support import history_export as export

UTC = dt.UTC
NOW = dt.datetime(2024, 6, 1, tzinfo=UTC)
settings.register_profile("history_rows", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("history_rows")

EXTENDED_KEYS = ["ts", "ms_played", "spotify_track_uri", "spotify_episode_uri", "episode_name",
                 "audiobook_uri", "audiobook_title", "master_metadata_track_name",
                 "master_metadata_album_artist_name", "master_metadata_album_album_name",
                 "reason_start", "reason_end", "shuffle", "skipped", "offline",
                 "offline_timestamp", "incognito_mode", "platform", "conn_country", "ip_addr"]
ACCOUNT_KEYS = ["endTime", "artistName", "trackName", "msPlayed"]

# JSON-ish junk, and the values that trip readers: booleans for numbers, huge and negative ints,
# NaN and infinities (Python's json reads them), numeric strings, NUL, nesting.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, 1, 29_999, 30_000, 2**31 - 1, 2**31, -1, 10**11, 10**13, 10**20]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 30000.0]),
    st.text(max_size=30),
    st.sampled_from(["", "NaN", "Infinity", "30000", "2023-04-01T18:22:05Z",
                     "2023-04-01T18:22:05", "2023-04-01 18:22", "2023-02-30T00:00:00Z",
                     "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2023-04-01T18:22:05+14:00",
                     "spotify:track:" + "a" * 22, "spotify:track:" + "a" * 21,
                     "spotify:episode:" + "b" * 22, "x\x00y", "2023-04-01T18:22:05Z" + " " * 40,
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]),
)
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)


def payloads(keys):
    """Objects with the row's keys (some missing, some junk), and non-objects."""
    return st.one_of(
        st.dictionaries(st.sampled_from(keys), junk, max_size=len(keys)),
        junk,
        st.builds(lambda base, extra: {**base, **extra},
                  st.fixed_dictionaries({k: junk for k in keys[:3]}),
                  st.dictionaries(st.sampled_from(keys), junk)))


def good_extended() -> st.SearchStrategy[dict]:
    """A row as the generator writes it, from a seed, with one field perhaps replaced by junk."""
    return st.builds(_generated_row, st.integers(0, 2**32), st.sampled_from(EXTENDED_KEYS), junk,
                     st.booleans())


def _generated_row(seed, key, value, spoil):
    rng = random.Random(seed)
    track = export.make_tracks(rng, 1)[0]
    end = dt.datetime(2008, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.randint(0, 16 * 365 * 86_400))
    row = export._music_row(rng, track, end)
    if spoil:
        row[key] = value
    return row


def _outcome(reader, payload):
    try:
        result = reader(payload, NOW)
    except rows.RowProblem as problem:
        assert str(problem) and "\n" not in str(problem)
        return problem
    return result


@PROFILE
@given(payloads(EXTENDED_KEYS))
def test_an_extended_row_is_a_play_a_reason_or_a_problem(payload):
    result = _outcome(rows.extended_row, payload)
    if isinstance(result, rows.Play):
        _check_play(result)
    elif isinstance(result, str):
        assert result in (rows.SKIP_PODCAST, rows.SKIP_AUDIOBOOK, rows.SKIP_NO_URI)
    else:
        assert isinstance(result, rows.RowProblem)


@PROFILE
@given(good_extended())
def test_a_generated_row_reads_back_as_it_was_written(row):
    result = _outcome(rows.extended_row, row)
    if isinstance(result, rows.RowProblem):
        return  # a field was spoiled
    assert isinstance(result, rows.Play)
    _check_play(result)
    played_at, track_id, ms = result.key
    assert export.ts_text(played_at) == row["ts"]
    assert f"spotify:track:{track_id}" == row["spotify_track_uri"]
    assert ms == row["ms_played"] and type(ms) is int
    assert result.row[rows.PLAY_COLUMNS.index("incognito")] == row["incognito_mode"]
    assert result.track_name == row["master_metadata_track_name"]
    assert "ip_addr" not in rows.PLAY_COLUMNS
    assert row["ip_addr"] not in map(str, result.row)


@PROFILE
@given(st.integers(0, 2**32), st.sampled_from(["s", "ms", "zero", "none"]))
def test_offline_timestamp_in_seconds_or_milliseconds_reads_the_same(seed, unit):
    rng = random.Random(seed)
    moment = dt.datetime(2010, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.randint(0, 14 * 365 * 86_400))
    row = export._music_row(rng, export.make_tracks(rng, 1)[0], moment + dt.timedelta(hours=1))
    seconds = int(moment.timestamp())
    row["offline_timestamp"] = {"s": seconds, "ms": seconds * 1000 + 250, "zero": 0,
                                "none": None}[unit]
    offline_at = rows.extended_row(row, NOW).row[rows.PLAY_COLUMNS.index("offline_at")]
    if unit in ("zero", "none"):
        assert offline_at is None
    else:
        assert offline_at.replace(microsecond=0) == moment


@PROFILE
@given(payloads(ACCOUNT_KEYS))
def test_an_account_row_is_a_play_a_reason_or_a_problem(payload):
    result = _outcome(rows.account_row, payload)
    if isinstance(result, rows.AccountPlay):
        assert result.artist_name and result.track_name
        assert type(result.ms_played) is int and 0 <= result.ms_played <= 2**31 - 1
        assert result.ended_at.tzinfo is not None and result.ended_at.second == 0
    elif isinstance(result, str):
        assert result == rows.SKIP_UNMATCHED
    else:
        assert isinstance(result, rows.RowProblem)


@PROFILE
@given(st.datetimes(min_value=dt.datetime(2006, 1, 1), max_value=dt.datetime(2024, 5, 31)),
       st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
       st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
       st.integers(0, 2**31 - 1))
def test_an_account_row_reads_back_as_it_was_written(end, artist, track, ms):
    end = end.replace(tzinfo=UTC)
    result = rows.account_row(export.account_row(end, artist, track, ms), NOW)
    assert result == rows.AccountPlay(end.replace(second=0, microsecond=0), artist, track, ms)


def _check_play(play: rows.Play) -> None:
    row = dict(zip(rows.PLAY_COLUMNS, play.row, strict=False))
    assert len(play.row) == len(rows.PLAY_COLUMNS)
    assert row["played_at"].tzinfo is not None and row["played_at"].utcoffset() == dt.timedelta(0)
    assert rows.EARLIEST <= row["played_at"] <= NOW + dt.timedelta(days=1)
    assert rows.TRACK_URI.fullmatch("spotify:track:" + row["track_id"])
    assert type(row["ms_played"]) is int and 0 <= row["ms_played"] <= 2**31 - 1
    for flag in ("shuffle", "skipped", "offline", "incognito"):
        assert row[flag] in (None, True, False) and type(row[flag]) in (bool, type(None))
    for text in ("reason_start", "reason_end", "platform", "country"):
        assert row[text] is None or (isinstance(row[text], str) and "\x00" not in row[text])
    assert row["offline_at"] is None or row["offline_at"].tzinfo is not None
    assert row["exact_time"] is True


@pytest.mark.parametrize("value, problem", [
    (True, "ms_played"), (30_000.0, "ms_played"), ("30000", "ms_played"), (-1, "ms_played"),
    (2**31, "ms_played"), (math.nan, "ms_played"), (None, "ms_played")])
def test_milliseconds_must_be_a_whole_number(value, problem):
    row = _generated_row(1, "ms_played", value, True)
    with pytest.raises(rows.RowProblem, match=problem):
        rows.extended_row(row, NOW)


@pytest.mark.parametrize("ts", ["2023-04-01T18:22:05", "yesterday", "", 1680373325,
                                "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                "2005-12-31T23:59:59Z", "2024-06-03T00:00:00Z", None])
def test_the_end_time_must_be_a_utc_time_in_range(ts):
    row = _generated_row(2, "ts", ts, True)
    with pytest.raises(rows.RowProblem, match="ts"):
        rows.extended_row(row, NOW)


def test_a_time_with_an_offset_is_read_as_utc():
    row = _generated_row(3, "ts", "2023-04-02T04:22:05+10:00", True)
    assert rows.extended_row(row, NOW).key[0] == dt.datetime(2023, 4, 1, 18, 22, 5, tzinfo=UTC)


@pytest.mark.parametrize("changes, reason", [
    ({"spotify_track_uri": None, "spotify_episode_uri": "spotify:episode:" + "a" * 22},
     rows.SKIP_PODCAST),
    ({"spotify_track_uri": None, "episode_name": "An episode"}, rows.SKIP_PODCAST),
    ({"spotify_track_uri": None, "audiobook_uri": "spotify:audiobook:" + "a" * 22},
     rows.SKIP_AUDIOBOOK),
    ({"spotify_track_uri": None, "audiobook_title": "A book"}, rows.SKIP_AUDIOBOOK),
    ({"spotify_track_uri": None}, rows.SKIP_NO_URI),
])
def test_rows_that_are_not_music_say_why(changes, reason):
    row = {**_generated_row(4, "ts", None, False), **changes}
    assert rows.extended_row(row, NOW) == reason


@pytest.mark.parametrize("incognito", [True, False, None])
def test_incognito_is_kept_as_the_row_says(incognito):
    row = {**_generated_row(5, "ts", None, False), "incognito_mode": incognito}
    assert rows.extended_row(row, NOW).row[rows.PLAY_COLUMNS.index("incognito")] is incognito


@pytest.mark.parametrize("name, kind", [
    ("Streaming_History_Audio_2019-2020_0.json", rows.EXTENDED),
    ("Spotify Extended Streaming History/Streaming_History_Audio_2023_7.json", rows.EXTENDED),
    ("MyData/endsong_0.json", rows.EXTENDED),
    ("endsong.json", rows.EXTENDED),
    ("ENDSONG_12.JSON", rows.EXTENDED),
    ("MyData\\endsong_3.json", rows.EXTENDED),
    ("Streaming_History_Video_2019-2023.json", rows.VIDEO),
    ("StreamingHistory_music_0.json", rows.ACCOUNT),
    ("MyData/StreamingHistory0.json", rows.ACCOUNT),
    ("StreamingHistory12.json", rows.ACCOUNT),
    ("StreamingHistory_podcast_0.json", None),
    ("ReadMeFirst_ExtendedStreamingHistory.pdf", None),
    ("Userdata.json", None),
    ("endsong_0.json.bak", None),
    ("endsong_x.json", None),
    ("Streaming_History_Audio_2019.txt", None),
    ("Streaming_History_Audio_2019.json/", None),
    ("StreamingHistory.json", None),
    ("", None),
])
def test_file_kind_goes_by_the_name_not_the_folder(name, kind):
    assert rows.file_kind(name) == kind


@PROFILE
@given(st.text(max_size=80))
def test_file_kind_of_any_name_is_a_kind_or_none(name):
    assert rows.file_kind(name) in (rows.EXTENDED, rows.ACCOUNT, rows.VIDEO, None)
