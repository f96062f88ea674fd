"""The dashboard's filter: a date window over snapshot dates and a Spotify time range.

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
import re
from collections.abc import Mapping
from dataclasses import dataclass

from db.model.snapshots import EARLIEST_DATE, LATEST_DATE, TIME_RANGES

ALL_TIME_RANGES = "All time ranges"

# Presets count back from the latest snapshot, so that an old export still shows its last month.
PRESETS = {"All time": None, "Last 4 weeks": 28, "Last 6 months": 182, "Last 12 months": 365}
CUSTOM = "Custom range"

# A link value longer than this is not one we wrote: say so without repeating it.
MAX_VALUE_LENGTH = 32
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    each value that could not be used (that part of the filter is then left off).

    Hints quote short bad values with repr(): they are the visitor's text, to be shown as plain
    text (ui.text.plain), never as Markdown."""
    hints = []
    start = link_date(params.get("start"), "start", hints)
    end = link_date(params.get("end"), "end", hints)
    if (start is None) != (end is None):
        if params.get("start") and params.get("end"):
            pass  # the other one was invalid and already has a hint
        else:
            given = "a start" if start else "an end"
            hints.append(f"The link gives only {given} date; showing all time. "
                         "Give both start and end.")
        start = end = None
    if start is not None and end is not None and start > end:
        hints.append(f"The link's start date {start} is after its end date {end}; "
                     "showing all time.")
        start = end = None
    time_range = params.get("time_range") or None
    if time_range is not None and time_range not in TIME_RANGES:
        hints.append(f"Unknown time_range {quoted(time_range)} in the link (use short_term, "
                     "medium_term or long_term); showing all time ranges.")
        time_range = None
    return Filters(start, end, time_range), hints


def quoted(value: str) -> str:
    if len(value) > MAX_VALUE_LENGTH:
        return f"({len(value):,} characters long)"
    return repr(value)


def link_date(value: str | None, name: str, hints: list[str]) -> dt.date | None:
    if not value:
        return None
    label = f"{name} " if name else ""
    try:
        if not _ISO_DATE.fullmatch(value):  # fromisoformat also takes 20260131, 2026-W05-6
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        hints.append(f"The link's {label}date {quoted(value)} is not a date like 2026-01-31.")
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        hints.append(f"The link's {label}date {day} is outside {EARLIEST_DATE} to {LATEST_DATE}.")
        return None
    return day


def preset_window(days: int | None, latest: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The window a preset stands for, ending at the latest snapshot (None: all time)."""
    if days is None or latest is None:
        return None
    return latest - dt.timedelta(days=days - 1), latest


def preset_for(filters: Filters, latest: dt.date | None) -> str:
    """The preset that matches the filter's window, or CUSTOM."""
    window = (filters.start, filters.end) if filters.start else None
    for name, days in PRESETS.items():
        if preset_window(days, latest) == window:
            return name
    return CUSTOM
