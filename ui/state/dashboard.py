"""The dashboard's filter: a date window over snapshot dates and a Spotify time range.

    /?start=2026-01-01&end=2026-01-31&time_range=short_term

Pure values and parsing only (no Streamlit, no SQL), so that the URL, the sidebar and the
tests agree on one meaning:

- no start/end: all time; no time range: all three;
- a date window selects the tracks with at least one snapshot dated in [start, end]
  (inclusive) in the chosen time range(s);
- a time range alone selects the tracks with at least one snapshot in that time range;
- no filter at all: every row of tracks, as the earlier app counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from db.model.snapshots import TIME_RANGES
from ui.state.links import PageState, period, quoted, range_words


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None
    time_range: str | None = None

    @property
    def active(self) -> bool:
        return self.start is not None or self.time_range is not None

    def query_params(self) -> dict[str, str]:
        """The URL form: only what is set."""
        params = {}
        if self.start is not None and self.end is not None:
            params["start"] = self.start.isoformat()
            params["end"] = self.end.isoformat()
        if self.time_range:
            params["time_range"] = self.time_range
        return params


def parse_query_params(params: Mapping[str, str]) -> tuple[Filters, list[str]]:
    """Filters from ``?start=YYYY-MM-DD&end=YYYY-MM-DD&time_range=short_term``, and a hint for
    each value that could not be used (that part of the filter is then left off)."""
    hints: list[str] = []
    start, end = period(params, hints)
    time_range = params.get("time_range") or None
    if time_range is not None and time_range not in TIME_RANGES:
        hints.append(f"Unknown time_range {quoted(time_range)} in the link (use "
                     f"{range_words()}); showing all time ranges.")
        time_range = None
    return Filters(start, end, time_range), hints


STATE = PageState("filters", ("start", "end", "time_range"), parse_query_params)
