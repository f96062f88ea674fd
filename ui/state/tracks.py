"""The tracks page's state: a search, the track shown, the explorer's questions, and the artist
shown.

    /tracks?q=words&track=ID&explore=explicit,single
    /tracks?artist=NAME                        (an artist's plays: its name, exactly)

Pure values and parsing only (no Streamlit, no SQL); see ui/state/links.py for the hints. The
explorer's questions are queries' (queries/tracks.py: QUESTIONS): the page passes their keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ui.state.links import MAX_VALUE_LENGTH, PageState, quoted, track_ids

MAX_SEARCH = 100  # characters of a search
MAX_ARTIST = 300  # characters of an artist's name in a link (Spotify's longest are ~200)
# Control characters: no artist name holds them, and they would not survive a URL round trip.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class TrackQuery:
    """The search, the track shown, the explorer's questions, and the artist shown (by name,
    exactly as tracks.artist_name holds it). A track shown wins over an artist."""
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


STATE = PageState("track_query", ("q", "track", "explore", "artist"), parse_track_query)
