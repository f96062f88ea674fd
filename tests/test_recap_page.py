"""The year in review's page in AppTest: a year from the link beside the year before, checked
against the oracle; hints for bad links; a link for each year; the empty database's way in."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from support import history_export as export
from support import listening_oracle as oracle
from support.apptest import open_page
from support.browser import plotly_values

TZ = "Asia/Tokyo"
START = dt.datetime(2020, 12, 1, 7, tzinfo=dt.UTC)  # plays in 2020, 2021 and 2022 (local)


@pytest.fixture
def played(use_database, monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_TIMEZONE", TZ)
    rows = export.generate(20, plays=600, start=START).rows
    export.load(rows, tmp_path)
    return rows


def text(elements) -> str:
    """The elements' text as shown (without plain()'s escapes and word joiners)."""
    return " ".join(str(e.value) for e in elements).replace("\\", "").replace("\u2060", "")


def sides(at) -> list[dict[str, tuple]]:
    """The two sides' cards, {label: (value, delta)}: the year shown, then the year before."""
    cards = [(m.label, m.value, m.proto.delta or None) for m in at.metric]
    half = len(cards) // 2
    return [{label: (value, delta) for label, value, delta in part}
            for part in (cards[:half], cards[half:])]


def year_links(at) -> list[str]:
    return [link.proto.query_string for link in at.get("page_link")
            if link.proto.page.endswith("recap")]


def test_a_year_from_the_link_beside_the_year_before(app, played):
    years = oracle.years(played, TZ)
    year = years[-1]
    at = open_page(app, "recap", year=str(year))
    now, before = (oracle.recap(played, TZ, y) for y in (year, year - 1))
    shown_now, shown_before = sides(at)
    assert shown_now["Minutes"] == (f"{now['minutes']:,.0f}",
                                    f"{now['minutes'] - before['minutes']:+,.0f}")
    assert shown_now["Streams"] == (f"{now['streams']:,}",
                                    f"{now['streams'] - before['streams']:+,}")
    assert shown_now["Discovered"] == (
        f"{now['discovered']:,}", f"{now['discovered'] - before['discovered']:+,}")
    assert shown_now["Top month"][0] == now["top_month"].strftime("%B")
    assert shown_before["Streams"] == (f"{before['streams']:,}", None)
    assert shown_before["Top month"][0] == before["top_month"].strftime("%B")
    assert shown_now["Returned to most"][0] == f"{now['most_returned_days']} days"
    returned = [link.proto for link in at.get("page_link") if link.proto.page.endswith("tracks")]
    assert [link.query_string for link in returned] == [
        f"track={now['most_returned']}", f"track={before['most_returned']}"]
    names = oracle.names(played)
    assert returned[0].label.replace("\\", "").replace("\u2060", "") == \
        f"{names[now['most_returned']][0]} — {names[now['most_returned']][1]}"
    # The tables: top tracks of each year, then top artists of each year.
    tracks_now, tracks_before, artists_now, artists_before = (d.value for d in at.dataframe)
    assert list(tracks_now["track_id"]) == [t for t, _, _ in now["top_tracks"]]
    assert list(tracks_before["track_id"]) == [t for t, _, _ in before["top_tracks"]]
    assert list(tracks_now["streams"]) == [n for _, n, _ in now["top_tracks"]]
    assert list(artists_now["artist"]) == [a for a, _, _ in now["top_artists"]]
    assert list(artists_before["artist"]) == [a for a, _, _ in before["top_artists"]]
    assert [b.proto.id.rsplit("download-", 1)[1] for b in at.get("download_button")] == [
        f"top_tracks_{year}", f"top_tracks_{year - 1}", f"top_artists_{year}",
        f"top_artists_{year - 1}"]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    minutes = {t["name"]: sum(plotly_values(t["y"])) for t in chart["data"]}
    assert minutes == pytest.approx({str(year - 1): before["minutes"], str(year): now["minutes"]},
                                    abs=0.6)
    assert f"counted in the time zone {TZ}" in text(at.caption)
    assert at.query_params["year"] == str(year)
    # A link for every other year, the latest first; the year shown is the badge between them.
    assert year_links(at) == [f"year={y}" for y in sorted(years, reverse=True) if y != year]
    badges = [m.value for m in at.markdown if "-badge[" in m.value]  # st.badge is Markdown
    assert len(badges) == 1 and badges[0].startswith(":green-badge[") and str(year) in badges[0]


def test_another_years_link_on_the_same_page_shows_that_year(app, played):
    years = oracle.years(played, TZ)
    at = open_page(app, "recap", year=str(years[-1]))
    at.query_params["year"] = str(years[-2])  # what following a year's link does
    at.run()
    assert not at.exception
    assert [s.value for s in at.subheader][:2] == [str(years[-2]), str(years[-2] - 1)]
    now, before = (oracle.recap(played, TZ, y)["streams"] for y in (years[-2], years[-2] - 1))
    assert now != before  # so that the delta's sign is tested
    assert sides(at)[0]["Streams"] == (f"{now:,}", f"{now - before:+,}")


def test_the_first_year_has_no_year_before(app, played):
    first = oracle.years(played, TZ)[0]
    at = open_page(app, "recap", year=str(first))
    shown_now, shown_before = sides(at)
    assert all(delta is None for _, delta in shown_now.values())
    assert {value for value, _ in shown_before.values()} == {"—"}
    assert f"No streams in {first - 1}." in text(at.caption)
    assert len(at.dataframe) == 2  # this year's tracks and artists; the year before has none


def test_no_year_is_the_latest(app, played):
    at = open_page(app, "recap")
    latest = oracle.years(played, TZ)[-1]
    assert [s.value for s in at.subheader][:2] == [str(latest), str(latest - 1)]
    assert "year" not in at.query_params
    assert not at.warning


@pytest.mark.parametrize("value", ["abc", "1999", "20x1", "<b>2021</b>", "x" * 200])
def test_a_bad_year_is_a_hint_then_the_latest_year(app, played, value):
    at = open_page(app, "recap", year=value)
    hints = text(at.warning)
    assert "year" in hints and "showing the latest year" in hints
    assert (repr(value) in hints) if len(value) <= 32 else ("200 characters long" in hints)
    latest = oracle.years(played, TZ)[-1]
    assert at.subheader[0].value == str(latest)
    assert "year" not in at.query_params  # the URL now says what is shown


def test_a_year_without_plays_says_so_and_lists_the_years(app, played):
    at = open_page(app, "recap", year="2012")
    years = oracle.years(played, TZ)
    info = text(at.info)
    assert "No streams in 2012" in info
    assert ", ".join(str(y) for y in sorted(years, reverse=True)) in info
    assert not at.metric and not at.dataframe
    assert year_links(at) == [f"year={y}" for y in sorted(years, reverse=True)]


@pytest.mark.parametrize("params", [{}, {"year": "2024"}])
def test_an_empty_database_says_how_to_get_the_export(app, use_database, params):
    at = open_page(app, "recap", **params)
    info = text(at.info)
    assert "Extended streaming history" in info and "Account → Privacy settings" in info
    assert "30 days" in info
    assert [link.proto.page for link in at.get("page_link")
            if "Data page" in link.proto.label] == ["data"]
    assert not at.metric
