"""Rank history's state: the tracks charted and the time range (or each range).

    /history?tracks=ID,ID&time_range=short_term                (time_range=all: each range)

Pure values and parsing only (no Streamlit, no SQL); see ui/state/links.py for the hints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ui.state.links import DEFAULT_RANGE, PageState, time_range, track_ids

MAX_TRACKS = 10  # lines in a rank history chart


@dataclass(frozen=True)
class History:
    tracks: tuple[str, ...] = ()  # empty: a default chosen from the data
    time_range: str = DEFAULT_RANGE  # or ALL: one line per track and time range

    def query_params(self) -> dict[str, str]:
        return ({"tracks": ",".join(self.tracks)} if self.tracks else {}) | {
            "time_range": self.time_range}


def parse_history(params: Mapping[str, str]) -> tuple[History, list[str]]:
    hints: list[str] = []
    tracks = track_ids(params.get("tracks"), hints, MAX_TRACKS)
    return History(tracks, time_range(params, hints, allow_all=True)), hints


STATE = PageState("history", ("tracks", "time_range"), parse_history)
