"""The state of the time machine's pages, as it lives in their URLs: pure values and parsing
(no Streamlit, no SQL), like queries/filters.py for the dashboard.

Each parse_* takes the URL's query parameters and returns the state plus a hint for every value
it could not use (that part then takes its default). Hints quote the visitor's text with
filters.quoted (short values only): show them as plain text.

- Time machine  ?date=2026-03-01&time_range=short_term&window=182
- Compare       ?a=2026-01-05&b=2026-03-01&time_range=short_term   (two dates)
                ?a=2025-01-01..2025-03-31&b=2026-01-01..2026-03-31  (two periods)
- Rank history  ?tracks=ID,ID&time_range=short_term                (time_range=all: each range)
- Tracks        ?q=words&track=ID&explore=explicit,single
                ?artist=NAME                 (an artist's plays: its name, exactly)
- Year in review ?year=2024                                       (none: the latest year)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from db.model.snapshots import EARLIEST_DATE, LATEST_DATE, TIME_RANGES
from queries.filters import MAX_VALUE_LENGTH, link_date, quoted

DEFAULT_RANGE = "short_term"
ALL = "all"
# The consistent-artist window of the time machine: days back from the list's date.
WINDOWS = {"Last 4 weeks": 28, "Last 6 months": 182, "Last 12 months": 365, "All time": None}
DEFAULT_WINDOW = 182
MAX_TRACKS = 10  # lines in a rank history chart
MAX_SEARCH = 100  # characters of a search
# Track ids as the importers store them: Spotify's are 22 base-62 characters; local files and
# other sources use more, but never spaces or control characters.
_TRACK_ID = re.compile(r"[A-Za-z0-9:_.\-]{1,64}")


def _time_range(params: Mapping[str, str], hints: list[str], allow_all: bool = False) -> str:
    value = params.get("time_range") or DEFAULT_RANGE
    if value in TIME_RANGES or (allow_all and value == ALL):
        return value
    choices = "short_term, medium_term, long_term" + (" or all" if allow_all else "")
    hints.append(f"Unknown time_range {quoted(value)} in the link (use {choices}); "
                 f"showing {DEFAULT_RANGE}.")
    return DEFAULT_RANGE


@dataclass(frozen=True)
class Moment:
    """The time machine: the top list on `date` (None: the latest) in `time_range`; the most
    consistent artist over `window` days up to the list (None: all time)."""
    date: dt.date | None = None
    time_range: str = DEFAULT_RANGE
    window: int | None = DEFAULT_WINDOW

    def query_params(self) -> dict[str, str]:
        params = {"time_range": self.time_range,
                  "window": "all" if self.window is None else str(self.window)}
        return ({"date": self.date.isoformat()} if self.date else {}) | params


def parse_moment(params: Mapping[str, str]) -> tuple[Moment, list[str]]:
    hints: list[str] = []
    date = link_date(params.get("date"), "", hints)
    time_range = _time_range(params, hints)
    window: int | None = DEFAULT_WINDOW
    given = params.get("window")
    if given == "all":
        window = None
    elif given:
        if given.isascii() and given.isdigit() and int(given) in WINDOWS.values():
            window = int(given)
        else:
            days = ", ".join(str(d) for d in WINDOWS.values() if d)
            hints.append(f"Unknown window {quoted(given)} in the link (use {days} or all); "
                         f"showing {DEFAULT_WINDOW} days.")
    return Moment(date, time_range, window), hints


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a date (the top list on that date, as the time machine shows
    it) or a period (the tracks on the lists dated from start to end, by their best rank)."""
    start: dt.date
    end: dt.date
    period: bool = False

    @classmethod
    def on(cls, day: dt.date) -> Side:
        return cls(day, day)

    @property
    def single(self) -> bool:
        return not self.period

    def text(self) -> str:
        return f"{self.start}..{self.end}" if self.period else self.start.isoformat()


@dataclass(frozen=True)
class Comparison:
    a: Side | None = None  # None: a default chosen from the data (ui/sidebar.py)
    b: Side | None = None
    time_range: str = DEFAULT_RANGE

    def query_params(self) -> dict[str, str]:
        params = {name: side.text() for name, side in (("a", self.a), ("b", self.b)) if side}
        return params | {"time_range": self.time_range}


def _side(value: str | None, name: str, hints: list[str]) -> Side | None:
    if not value:
        return None
    first, dots, last = value.partition("..")
    start = link_date(first, name, hints)
    end = link_date(last, name, hints) if dots else start
    if start is None or end is None:
        return None
    if start > end:
        hints.append(f"The link's period {name} starts after it ends; choosing one for you.")
        return None
    return Side(start, end, period=bool(dots))


def parse_comparison(params: Mapping[str, str]) -> tuple[Comparison, list[str]]:
    hints: list[str] = []
    a = _side(params.get("a"), "a", hints)
    b = _side(params.get("b"), "b", hints)
    if a and b and a.single != b.single:
        hints.append("The link compares a date with a period; compare two dates or two periods. "
                     "Choosing them for you.")
        a = b = None
    return Comparison(a, b, _time_range(params, hints)), hints


@dataclass(frozen=True)
class History:
    tracks: tuple[str, ...] = ()  # empty: a default chosen from the data
    time_range: str = DEFAULT_RANGE  # or ALL: one line per track and time range

    def query_params(self) -> dict[str, str]:
        return ({"tracks": ",".join(self.tracks)} if self.tracks else {}) | {
            "time_range": self.time_range}


def track_ids(value: str | None, hints: list[str], limit: int) -> tuple[str, ...]:
    """Comma-separated track ids: well-formed ones, each once, at most `limit`."""
    ids: list[str] = []
    for part in (value or "").split(","):
        if not part:
            continue
        if not _TRACK_ID.fullmatch(part):
            hints.append(f"{quoted(part)} in the link is not a track id; left out.")
        elif part not in ids:
            ids.append(part)
    if len(ids) > limit:
        hints.append(f"The link names {len(ids)} tracks; showing the first {limit}.")
    return tuple(ids[:limit])


def parse_history(params: Mapping[str, str]) -> tuple[History, list[str]]:
    hints: list[str] = []
    tracks = track_ids(params.get("tracks"), hints, MAX_TRACKS)
    return History(tracks, _time_range(params, hints, allow_all=True)), hints


MAX_ARTIST = 300  # characters of an artist's name in a link (Spotify's longest are ~200)
# Control characters: no artist name holds them, and they would not survive a URL round trip.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class TrackQuery:
    """The tracks page: a search, the track shown, the explorer's questions, and the artist
    shown (by name, exactly as tracks.artist_name holds it). A track shown wins over an artist."""
    q: str = ""
    track: str | None = None
    explore: tuple[str, ...] = ()
    artist: str | None = None

    def query_params(self) -> dict[str, str]:
        params = {"q": self.q} if self.q else {}
        if self.track:
            params["track"] = self.track
        elif self.artist:
            params["artist"] = self.artist
        if self.explore:
            params["explore"] = ",".join(self.explore)
        return params


def artist_name(value: str | None, hints: list[str]) -> str | None:
    """An artist's name from a link, kept exactly as given (spaces too: names are matched
    exactly); None for none, or with a hint for an overlong one or one with control characters."""
    if not value or not value.strip():
        return None
    if len(value) > MAX_ARTIST:
        hints.append(f"The link's artist name is {len(value):,} characters long (at most "
                     f"{MAX_ARTIST}); showing the search.")
        return None
    if _CONTROL.search(value):
        hints.append(f"The link's artist {quoted(value)} holds control characters, which no "
                     "name has; showing the search.")
        return None
    return value


def parse_track_query(params: Mapping[str, str], questions: Mapping[str, object]
                      ) -> tuple[TrackQuery, list[str]]:
    """`questions`: the explorer's known question keys."""
    hints: list[str] = []
    q = " ".join((params.get("q") or "").split())  # one space between words, none around
    if len(q) > MAX_SEARCH:
        hints.append(f"The link's search is {len(q):,} characters long; using the first "
                     f"{MAX_SEARCH}.")
        q = q[:MAX_SEARCH]
    track = track_ids(params.get("track"), hints, 1)
    explore = []
    given = params.get("explore") or ""
    if len(given) > MAX_VALUE_LENGTH * 8:
        hints.append("The link's explorer questions are too long; left out.")
        given = ""
    for key in given.split(","):
        if key in questions:
            explore.append(key)
        elif key:
            hints.append(f"Unknown explorer question {quoted(key)} in the link; left out.")
    artist = artist_name(params.get("artist"), hints)
    if track and artist:
        hints.append("The link names a track and an artist; showing the track.")
        artist = None
    return TrackQuery(q, track[0] if track else None, tuple(dict.fromkeys(explore)),
                      artist), hints


# --- Year in review  ?year=2024 ------------------------------------------------------------

_YEAR = re.compile(r"[0-9]{4}")  # not \d: it matches other scripts' digits too


@dataclass(frozen=True)
class Recap:
    """The year in review of `year` (None: the latest year with plays, known from the data)."""
    year: int | None = None

    def query_params(self) -> dict[str, str]:
        return {"year": str(self.year)} if self.year is not None else {}


def parse_recap(params: Mapping[str, str]) -> tuple[Recap, list[str]]:
    """A year of the snapshots' span (2000-2099) written as four digits; anything else is a hint
    and the latest year. Whether the year has plays is for the page to say: it needs the data."""
    hints: list[str] = []
    given = params.get("year")
    if not given:
        return Recap(), hints
    if _YEAR.fullmatch(given) and EARLIEST_DATE.year <= int(given) <= LATEST_DATE.year:
        return Recap(int(given)), hints
    hints.append(f"The link's year {quoted(given)} is not a year from {EARLIEST_DATE.year} to "
                 f"{LATEST_DATE.year} like 2024; showing the latest year with plays.")
    return Recap(), hints
