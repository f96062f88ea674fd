"""The time machine's state: the top list on a date, and the window of its most consistent
artists.

    /time_machine?date=2026-03-01&time_range=short_term&window=182   (window=all: all time)

Pure values and parsing only (no Streamlit, no SQL); see ui/state/links.py for the hints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from db.model.snapshots import WINDOW_DAYS
from ui.state.links import (
    ALL_TIME,
    DEFAULT_RANGE,
    LAST_DAYS,
    PageState,
    link_date,
    quoted,
    time_range,
)

# The consistent-artist window: days back from the list's date, "All time" last.
WINDOWS = LAST_DAYS | {ALL_TIME: None}
DEFAULT_WINDOW = WINDOW_DAYS["medium_term"]
WHOLE_WINDOW = "all"  # the link's word for a window of all time


@dataclass(frozen=True)
class Moment:
    """The top list on `date` (None: the latest) in `time_range`; the most consistent artist
    over `window` days up to the list (None: all time)."""
    date: dt.date | None = None
    time_range: str = DEFAULT_RANGE
    window: int | None = DEFAULT_WINDOW

    def query_params(self) -> dict[str, str]:
        params = {"time_range": self.time_range,
                  "window": WHOLE_WINDOW if self.window is None else str(self.window)}
        return ({"date": self.date.isoformat()} if self.date else {}) | params


def parse_moment(params: Mapping[str, str]) -> tuple[Moment, list[str]]:
    hints: list[str] = []
    date = link_date(params.get("date"), "", hints)
    chosen_range = time_range(params, hints)
    window: int | None = DEFAULT_WINDOW
    given = params.get("window")
    if given == WHOLE_WINDOW:
        window = None
    elif given:
        if given.isascii() and given.isdigit() and int(given) in WINDOWS.values():
            window = int(given)
        else:
            days = ", ".join(str(d) for d in WINDOWS.values() if d)
            hints.append(f"Unknown window {quoted(given)} in the link (use {days} or {WHOLE_WINDOW}); "
                         f"showing {DEFAULT_WINDOW} days.")
    return Moment(date, chosen_range, window), hints


STATE = PageState("moment", ("date", "time_range", "window"), parse_moment)
