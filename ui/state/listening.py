"""The Listening page's state as it lives in its URL: pure values and parsing (no Streamlit, no
SQL).

    /listening?start=2026-01-01&end=2026-03-31&granularity=week&by=minutes&view=artists

- start/end: the period, both days included (local days in MTM_TIMEZONE); neither: all time.
  Read exactly as the dashboard reads them (ui/state/links.py: period, the same hints, the same
  fallback to all time).
- granularity: the chart's bars, one per day, week (Monday to Sunday) or month.
- by: what the top lists and the heatmap rank and colour by, streams or minutes.
- view: the page's tab: time (the minutes over time and the heatmap) or the top tracks,
  artists or albums (only the open tab is drawn: a top list is a query over the period's
  tracks). Links from before the tabs name a top list as top=tracks|artists|albums.

A value that cannot be used gives a hint (quoting a short value, as plain text to be shown with
ui.text.plain) and that part takes its default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ui.state.links import PageState, period, quoted

GRANULARITIES = {"day": "Day", "week": "Week", "month": "Month"}
MEASURES = {"streams": "Streams", "minutes": "Minutes"}
DEFAULT_GRANULARITY = "week"
DEFAULT_BY = "streams"
VIEWS = {"time": "Over time", "tracks": "Top tracks", "artists": "Top artists",
         "albums": "Top albums"}
DEFAULT_VIEW = "time"


@dataclass(frozen=True)
class Listening:
    start: dt.date | None = None  # None (with end None): all time
    end: dt.date | None = None
    granularity: str = DEFAULT_GRANULARITY
    by: str = DEFAULT_BY
    view: str = DEFAULT_VIEW

    def query_params(self) -> dict[str, str]:
        """The URL form: the period only when there is one; the switches always, so that a
        shared link shows what its sender saw even if the defaults change."""
        days = ({"start": self.start.isoformat(), "end": self.end.isoformat()}
                if self.start is not None and self.end is not None else {})
        return days | {"granularity": self.granularity, "by": self.by, "view": self.view}


def _choice(params: Mapping[str, str], name: str, choices: Mapping[str, str], default: str,
            hints: list[str]) -> str:
    value = params.get(name)
    if not value:
        return default
    if value in choices:
        return value
    hints.append(f"Unknown {name} {quoted(value)} in the link (use {' or '.join(choices)}); "
                 f"showing {default}.")
    return default


def parse_listening(params: Mapping[str, str]) -> tuple[Listening, list[str]]:
    """The page's state from its URL's query parameters, and a hint per unusable value."""
    hints: list[str] = []
    start, end = period(params, hints)
    granularity = _choice(params, "granularity", GRANULARITIES, DEFAULT_GRANULARITY, hints)
    by = _choice(params, "by", MEASURES, DEFAULT_BY, hints)
    if "view" not in params and "top" in params:  # a link from before the tabs
        view = _choice(params, "top", {k: v for k, v in VIEWS.items() if k != DEFAULT_VIEW},
                       DEFAULT_VIEW, hints)
    else:
        view = _choice(params, "view", VIEWS, DEFAULT_VIEW, hints)
    return Listening(start, end, granularity, by, view), hints


def period_text(start: dt.date | None, end: dt.date | None) -> str:
    """How a caption names the period."""
    if start is None or end is None:
        return "all time"
    if start == end:
        return f"{start}"
    return f"{start} to {end}"


# "top": the tab's name in links from before the tabs.
STATE = PageState("listening", ("start", "end", "granularity", "by", "view", "top"),
                  parse_listening)
