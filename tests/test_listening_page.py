"""The Listening page (issue #19): its questions checked against the independent oracle
(tests/support/listening_oracle.py) on generated exports imported as a user would, for several
periods and time zones; its state parsed from the URL as a pure value; the page in AppTest from a
link, with bad values and on an empty database."""

from __future__ import annotations

import datetime as dt
import random
from urllib.parse import quote

import pandas as pd
import pytest

from queries import listening
from ui import charts, sidebar
from ui.state.listening import Listening, parse_listening

from support import history_export as export
from support import listening_oracle as oracle
from support.apptest import app_test, chart, metrics, open_page
from support.browser import plotly_values

ZONES = ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"]  # +14 h, and behind UTC with DST
EVERYTHING = 10_000  # a limit no top list reaches: compare whole lists


def periods(rows, tz) -> list[tuple]:
    """All time; whole months with partial ones at both ends; one month's days; a single day
    (the turn of a UTC day the generator pins plays on); a period in the silence between
    listening periods (nothing); a year holding the silence and the last period."""
    days = sorted({s.day for s in oracle.streams(rows, tz)})
    first, last = days[0], days[-1]
    midnight = next(s.day for s in oracle.streams(rows, tz)
                    if s.ended_at.hour == 0 and s.ended_at.minute == 0)
    gap = max(zip(days, days[1:], strict=False), key=lambda pair: pair[1] - pair[0])
    return [(None, None), (first + dt.timedelta(days=9), first + dt.timedelta(days=75)),
            (first.replace(day=12), first.replace(day=28)), (midnight, midnight),
            (gap[0] + dt.timedelta(days=3), gap[1] - dt.timedelta(days=3)),
            (last - dt.timedelta(days=364), last)]


def near(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None
                                          and a == pytest.approx(b, abs=1e-6))


def shown_cards(start, end) -> dict:
    """The query's cards in the oracle's terms."""
    found = listening.cards(start, end)
    return {"minutes": found["minutes"], "streams": found["streams"], "tracks": found["tracks"],
            "artists": found["artists"], "discovered": found["discovered"],
            "skip_share": found["share_skipped"], "longest_streak": found["streak"],
            "sessions": found["sessions"],
            "longest_session_minutes": found["longest_session_minutes"],
            "longest_session_streams": found["longest_session_streams"]}


def assert_period(rows, tz, start, end) -> None:
    expected, found = oracle.cards(rows, tz, start, end), shown_cards(start, end)
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert near(found[key], value), (tz, start, end, key, found[key], value)
    for granularity in ("day", "week", "month"):
        series = listening.series(start, end, granularity)
        with_streams = series[series["streams"] > 0]
        assert {p: (pytest.approx(m), s) for p, s, m in with_streams.itertuples(index=False)} \
            == oracle.series(rows, tz, start, end, granularity), (tz, start, end, granularity)
        # Every period in between is there, zero or not: the chart shows silences as silences.
        keys = series["period"].tolist()
        assert keys == sorted(set(keys))
        if granularity == "day" and start is not None:
            assert keys == [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    grid = listening.heatmap(start, end)
    assert len(grid) == 168
    assert {(w, h): s for w, h, s in grid[["weekday", "hour", "streams"]].itertuples(index=False)
            if s} == oracle.heatmap(rows, tz, start, end)
    for kind, key in (("tracks", ["track_id"]), ("artists", ["artist"]),
                      ("albums", ["album", "artist"])):
        for by in ("streams", "minutes"):
            top = listening.top(start, end, kind, by, EVERYTHING)
            got = [(row[0] if len(key) == 1 else tuple(row[:2]), s, pytest.approx(m))
                   for *row, s, m in top[[*key, "streams", "minutes"]].itertuples(index=False)]
            assert got == oracle.top(rows, tz, start, end, kind[:-1], by, None), (
                tz, start, end, kind, by)
            assert top["rank"].tolist() == list(range(1, len(top) + 1))
            if kind != "tracks":
                keys = top[key[0]] if len(key) == 1 else zip(top["album"], top["artist"],
                                                               strict=True)
                assert dict(zip(keys, top["tracks"], strict=True)) == oracle.tracks_streamed(
                    rows, tz, start, end, kind[:-1]), (tz, start, end, kind, by)


@pytest.mark.parametrize("tz", ZONES)
def test_every_figure_matches_the_oracle(use_database, monkeypatch, tmp_path, fresh_cache, tz):
    monkeypatch.setenv("MTM_TIMEZONE", tz)
    rows = export.generate(19, plays=900, start=export.START).rows
    export.load(rows, tmp_path)
    assert listening.stream_bounds()["zone"] == tz
    for start, end in periods(rows, tz):
        assert_period(rows, tz, start, end)
    # The default top list is the first TOP of the whole one.
    assert len(listening.top(None, None)) == listening.TOP


@pytest.mark.parametrize("periods", [charts.MOST_BARS, charts.MOST_BARS + 1])
def test_a_long_series_is_drawn_as_one_stepped_area_with_the_same_values(periods):
    first = dt.date(2020, 1, 1)
    series = pd.DataFrame({"period": [first + dt.timedelta(days=n) for n in range(periods)],
                                     "streams": range(periods),
                                     "minutes": [n * 1.5 for n in range(periods)]})
    minutes, streams = charts.listening_series_figure(series, "day").data
    if periods <= charts.MOST_BARS:
        assert minutes.type == "bar"
    else:  # a step centred on each day (as a bar is), filled down to zero
        assert (minutes.type, minutes.fill, minutes.line.shape) == ("scatter", "tozeroy", "hvh")
    assert list(minutes.y) == [n * 1.5 for n in range(periods)]
    assert list(streams.y) == list(range(periods))
    assert list(minutes.x) == [str(p) for p in series["period"]]


def play(track: export.Track, end: dt.datetime, ms: int, skipped=False, incognito=False) -> dict:
    row = export._music_row(random.Random(1), track, end, ms, incognito)
    row["skipped"] = skipped
    return row


@pytest.mark.parametrize(("tz", "before", "after"), [
    # (zone, local (day, hour) of the play ending 23:59:59Z, of the one ending 00:00:00Z)
    ("Europe/Berlin", ((2024, 1, 2), 0), ((2024, 1, 2), 1)),
    ("America/New_York", ((2024, 1, 1), 18), ((2024, 1, 1), 19)),
    ("UTC", ((2024, 1, 1), 23), ((2024, 1, 2), 0)),
])
def test_a_play_near_midnight_utc_counts_on_its_local_day_and_hour(
        use_database, monkeypatch, tmp_path, fresh_cache, tz, before, after):
    monkeypatch.setenv("MTM_TIMEZONE", tz)
    song = export.Track("A" * 22, "Late", "Owl", "Night")
    midnight = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    rows = [play(song, midnight - dt.timedelta(seconds=1), 200_000, skipped=True),
            play(song, midnight, 200_000)]
    export.load(rows, tmp_path)
    for (day, hour) in (before, after):
        day = dt.date(*day)
        expected = oracle.cards(rows, tz, day, day)
        assert shown_cards(day, day) == pytest.approx(expected)
        grid = listening.heatmap(day, day)
        assert grid.loc[grid["streams"] > 0, ["weekday", "hour"]].values.tolist() == \
            [[w, h] for (w, h) in oracle.heatmap(rows, tz, day, day)]
        assert [day.isoweekday(), hour] in grid.loc[grid["streams"] > 0,
                                                    ["weekday", "hour"]].values.tolist()


def test_sessions_and_streaks_at_their_edges(use_database, monkeypatch, tmp_path, fresh_cache):
    """A stream starting 19:59 after the one before ended joins its session, 20:00 opens one; of
    two equally long sessions the one with more streams is the longest, however late; a streak
    counts within the period only."""
    tz = "Europe/Berlin"
    monkeypatch.setenv("MTM_TIMEZONE", tz)
    a, b = export.Track("B" * 22, "One", "X", "P"), export.Track("C" * 22, "Two", "Y", "Q")
    t0 = dt.datetime(2024, 3, 4, 9, tzinfo=dt.UTC)
    ms = 180_000
    gap_ok = dt.timedelta(minutes=19, seconds=59) + dt.timedelta(milliseconds=ms)
    gap_new = dt.timedelta(minutes=20) + dt.timedelta(milliseconds=ms)
    as_long = 2 * ms + 1_199_000  # one stream as long as the two-stream session
    rows = [play(b, t0 - dt.timedelta(days=3), as_long),
            play(a, t0, ms), play(b, t0 + gap_ok, ms), play(a, t0 + gap_ok + gap_new, ms),
            *(play(b, t0 + dt.timedelta(days=n), 600_000) for n in (1, 2, 3, 5)),
            play(a, t0 + dt.timedelta(days=2, minutes=3), 30_000, incognito=True)]
    export.load(rows, tmp_path)
    for start, end in ((None, None), (dt.date(2024, 3, 5), dt.date(2024, 3, 6)),
                       (dt.date(2024, 3, 4), dt.date(2024, 3, 4)),
                       (dt.date(2024, 3, 6), dt.date(2024, 3, 30))):
        assert shown_cards(start, end) == pytest.approx(oracle.cards(rows, tz, start, end)), (
            start, end)
    everything = listening.cards(None, None)
    assert (everything["sessions"], everything["streak"]) == (7, 4)
    assert everything["longest_session_streams"] == 2
    assert everything["longest_session_day"] == dt.date(2024, 3, 4)
    assert everything["longest_session_minutes"] == pytest.approx(as_long / 60_000)
    assert listening.cards(dt.date(2024, 3, 6), dt.date(2024, 3, 30))["streak"] == 2


# --- the page's state, as pure values -------------------------------------------------------

@pytest.mark.parametrize(("params", "expected", "hint"), [
    ({}, Listening(), None),
    ({"start": "2025-01-01", "end": "2025-03-31", "granularity": "day", "by": "minutes"},
     Listening(dt.date(2025, 1, 1), dt.date(2025, 3, 31), "day", "minutes"), None),
    ({"granularity": "hourly"}, Listening(), "Unknown granularity 'hourly'"),
    ({"by": "plays", "granularity": "month"}, Listening(granularity="month"),
     "Unknown by 'plays'"),
    ({"start": "2025-99-01", "end": "2025-03-31"}, Listening(), "'2025-99-01' is not a date"),
    ({"start": "2025-03-01"}, Listening(), "only a start date"),
    ({"start": "2025-03-01", "end": "2025-01-01", "by": "minutes"}, Listening(by="minutes"),
     "is after its end date"),
    ({"by": "x" * 500}, Listening(), "(500 characters long)"),
    ({"view": "albums", "by": "minutes"}, Listening(by="minutes", view="albums"), None),
    ({"view": "genres"}, Listening(), "Unknown view 'genres'"),
    # a link from before the tabs, when the top list shown was named as top=
    ({"top": "artists"}, Listening(view="artists"), None),
    ({"top": "time"}, Listening(), "Unknown top 'time'"),
])
def test_the_state_from_a_link(params, expected, hint):
    state, hints = parse_listening(params)
    assert state == expected
    assert (hints == []) if hint is None else any(hint in h for h in hints), hints
    if hint is None:  # the URL the page writes reads back as the same state
        assert parse_listening(state.query_params()) == (state, [])
        assert "top" not in state.query_params()


def test_the_url_names_the_switches_and_a_period_only_when_there_is_one():
    assert Listening().query_params() == {"granularity": "week", "by": "streams", "view": "time"}
    assert Listening(dt.date(2025, 1, 1), dt.date(2025, 1, 31), "month").query_params() == {
        "start": "2025-01-01", "end": "2025-01-31", "granularity": "month", "by": "streams",
        "view": "time"}


# --- the page in AppTest ----------------------------------------------------------------------

TZ = "Asia/Tokyo"


@pytest.fixture
def played(use_database, monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", TZ)
    rows = export.generate(21, plays=500, start=export.START).rows
    export.load(rows, tmp_path)
    return rows


def text(elements) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "").replace("\u2060", "")


def test_the_page_from_a_link_shows_its_state(app, played):
    start, end = dt.date(2019, 11, 10), dt.date(2019, 12, 20)
    at = open_page(app, "listening", start=start.isoformat(), end=end.isoformat(),
                   granularity="day", by="minutes")
    assert at.selectbox(key="lp_preset").value == "Custom range"
    assert at.date_input(key="lp_dates").value == (start, end)
    assert at.radio(key="lp_granularity").value == "day"
    assert at.radio(key="lp_by").value == "minutes"
    assert dict(at.query_params) == {"start": start.isoformat(), "end": end.isoformat(),
                                     "granularity": "day", "by": "minutes", "view": "time"}
    expected = oracle.cards(played, TZ, start, end)
    shown = metrics(at)
    assert shown["Streams"] == f"{expected['streams']:,}"
    assert shown["Minutes"] == f"{expected['minutes']:,.0f}"
    assert shown["Tracks"] == f"{expected['tracks']:,}"
    assert shown["Discovered"] == f"{expected['discovered']:,}"
    assert shown["Share skipped"] == f"{expected['skip_share']:.0%}"
    assert shown["Sessions"] == f"{expected['sessions']:,}"
    caption = text(at.caption)
    assert f"{start} to {end}, counted in {TZ}" in caption
    assert "a stream is a play of at least 30 s not in incognito mode" in caption
    per_day = chart(at, "Minutes and streams per day")
    trace = per_day["data"][1]  # the streams line
    found = {dt.date.fromisoformat(x): s for x, s in zip(trace["x"], plotly_values(trace["y"]),
                                                          strict=True) if s}
    assert found == {k: s for k, (_, s) in oracle.series(played, TZ, start, end, "day").items()}
    assert chart(at, "When you listen: minutes")
    assert not at.dataframe  # the top lists' tabs are drawn when opened
    at = open_page(app_test(), "listening", start=start.isoformat(), end=end.isoformat(),
                   by="minutes", view="tracks")  # the same link with that tab: a new visitor
    assert not at.get("plotly_chart") and len(at.dataframe) == 1
    tracks = at.dataframe[0].value
    top = oracle.top(played, TZ, start, end, "track", "minutes", listening.TOP)
    assert tracks["track_id"].tolist() == [key for key, _, _ in top]
    assert tracks["artist"].tolist() == [oracle.names(played)[key][1] or "—" for key, _, _ in top]
    # Each track links to its track view, each artist to the artist view (names ride URL-encoded
    # in the link and are drawn back out as plain text).
    first_id = top[0][0]
    name, artist, _ = oracle.names(played)[first_id]
    assert tracks["track_link"].iloc[0] == f"tracks?track={first_id}#{quote(name, safe='')}"
    assert tracks["artist_link"].iloc[0] == f"tracks?artist={quote(artist, safe='')}"


def test_presets_and_switches_drive_the_url(app, played):
    at = open_page(app, "listening")
    assert at.selectbox(key="lp_preset").value == "All time"
    assert dict(at.query_params) == {"granularity": "week", "by": "streams", "view": "time"}
    assert metrics(at)["Streams"] == f"{oracle.cards(played, TZ, None, None)['streams']:,}"
    latest = max(s.day for s in oracle.streams(played, TZ))
    at.selectbox(key="lp_preset").set_value("Last 4 weeks").run()
    start = latest - dt.timedelta(days=27)
    assert at.query_params["start"] == start.isoformat()
    assert at.query_params["end"] == latest.isoformat()
    assert metrics(at)["Streams"] == f"{oracle.cards(played, TZ, start, latest)['streams']:,}"
    at.radio(key="lp_granularity").set_value("month").run()
    assert at.query_params["granularity"] == "month"
    assert chart(at, "Minutes and streams per month")
    at.radio(key="lp_by").set_value("minutes").run()
    assert at.query_params["by"] == "minutes"
    at.session_state[sidebar.LISTENING_TABS] = "Top artists"  # the visitor opens that tab
    at.run()
    assert at.query_params["view"] == "artists"
    assert len(at.dataframe) == 1 and not at.get("plotly_chart")  # only the open tab is drawn
    top = oracle.top(played, TZ, start, latest, "artist", "minutes", listening.TOP)
    assert at.dataframe[0].value["artist"].tolist() == [key for key, _, _ in top]


@pytest.mark.parametrize(("params", "quoted"), [
    ({"granularity": "hourly"}, "'hourly'"),
    ({"by": "<b>plays</b>"}, "'<b>plays</b>'"),
    ({"start": "2019-99-01", "end": "2019-12-01"}, "'2019-99-01'"),
    ({"start": "2019-12-01"}, "only a start date"),
])
def test_a_bad_link_gives_a_hint_and_falls_back(app, played, params, quoted):
    at = open_page(app, "listening", **params)
    assert quoted in text(at.warning)
    assert metrics(at)["Streams"] == f"{oracle.cards(played, TZ, None, None)['streams']:,}"
    assert at.radio(key="lp_granularity").value == "week"
    assert at.radio(key="lp_by").value == "streams"


def test_a_period_without_streams_says_so(app, played):
    at = open_page(app, "listening", start="2005-01-01", end="2005-12-31")
    assert metrics(at)["Streams"] == "0" and metrics(at)["Longest session"] == "—"
    assert "No streams in this period" in text(at.info)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("params", [{}, {"start": "2024-01-01", "end": "2024-01-31",
                                         "granularity": "day"}])
def test_an_empty_database_says_how_to_get_the_export(app, use_database, params):
    at = open_page(app, "listening", **params)
    info = text(at.info)
    assert "Extended streaming history" in info and "Account → Privacy settings" in info
    assert "30 days" in info
    assert [link.proto.page for link in at.get("page_link")
            if "Data page" in link.proto.label] == ["data"]
    assert not at.metric and not at.get("plotly_chart")


def test_a_tab_state_that_names_no_tab_shows_the_first(app, played):
    at = open_page(app, "listening", view="artists")
    at.session_state[sidebar.LISTENING_TABS] = "Top genres"  # from a page of another version
    at.run()
    assert not at.exception and at.query_params["view"] == "time"
    assert chart(at, "Minutes and streams per week") and not at.dataframe


@pytest.mark.parametrize("link", [{"view": "albums"}, {"top": "albums"}])  # now, before the tabs
def test_a_link_names_the_tab_it_shows(app, played, link):
    at = open_page(app, "listening", by="streams", **link)
    assert at.query_params["view"] == "albums" and "top" not in at.query_params
    assert len(at.dataframe) == 1 and not at.get("plotly_chart")
    top = oracle.top(played, TZ, None, None, "album", "streams", listening.TOP)
    assert list(zip(at.dataframe[0].value["album"], at.dataframe[0].value["artist"],
                    strict=True)) == [key for key, _, _ in top]
