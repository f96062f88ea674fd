"""What the pages' states share: how a page's state is declared (PageState), how a link's values
are read (dates, track ids, the time range) and quoted in hints, and the periods the pickers offer.

Pure values and parsing only (no Streamlit, no SQL). Each parse takes the URL's query parameters
and returns the state plus a hint for every value it could not use (that part then takes its
default). Hints quote the visitor's text with quoted() (short values only): show them as plain
text (ui.text.plain), never as Markdown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from db.model.snapshots import EARLIEST_DATE, LATEST_DATE, TIME_RANGES, WINDOW_DAYS


@dataclass(frozen=True)
class PageState:
    """A page's state: the session key it is kept under, the URL parameters that are its own,
    and how a link is read (parse(params, *known) -> (state, hints); `known` is what the parse
    needs besides the link, passed by the page)."""
    key: str
    params: tuple[str, ...]
    parse: Callable[..., tuple[Any, list[str]]]

    @property
    def hints_key(self) -> str:
        return f"{self.key}_hints"


DEFAULT_RANGE = "short_term"
ALL = "all"  # every time range: the dashboard's choice, a rank history's line per range
ALL_TIME_RANGES = "All time ranges"

# The periods the pickers offer are the time ranges' windows, counted back from a latest day.
ALL_TIME = "All time"
WINDOW_LABELS = {"short_term": "Last 4 weeks", "medium_term": "Last 6 months",
                 "long_term": "Last 12 months"}
LAST_DAYS = {WINDOW_LABELS[time_range]: days for time_range, days in WINDOW_DAYS.items()}
# The date pickers' presets (dashboard, Listening), "All time" first.
PRESETS = {ALL_TIME: None} | LAST_DAYS
CUSTOM = "Custom range"

# A link value longer than this is not one we wrote: say so without repeating it.
MAX_VALUE_LENGTH = 32
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Track ids as the importers store them: Spotify's are 22 base-62 characters; local files and
# other sources use more, but never spaces or control characters.
_TRACK_ID = re.compile(r"[A-Za-z0-9:_.\-]{1,64}")


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


def period(params: Mapping[str, str], hints: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD, both days included; (None, None): all time, also when
    only one is usable or the start is after the end."""
    start = link_date(params.get("start"), "start", hints)
    end = link_date(params.get("end"), "end", hints)
    if (start is None) != (end is None):
        if params.get("start") and params.get("end"):
            pass  # the other one was invalid and already has a hint
        else:
            given = "a start" if start else "an end"
            hints.append(f"The link gives only {given} date; showing all time. "
                         "Give both start and end.")
        return None, None
    if start is not None and end is not None and start > end:
        hints.append(f"The link's start date {start} is after its end date {end}; "
                     "showing all time.")
        return None, None
    return start, end


def range_words(allow_all: bool = False) -> str:
    """The time_range values a hint tells a link to use: "short_term, medium_term or long_term"."""
    *most, last = [*TIME_RANGES, *([ALL] if allow_all else [])]
    return f"{', '.join(most)} or {last}"


def time_range(params: Mapping[str, str], hints: list[str], allow_all: bool = False) -> str:
    """?time_range=: one of TIME_RANGES (or ALL when allowed); none or another: DEFAULT_RANGE."""
    value = params.get("time_range") or DEFAULT_RANGE
    if value in TIME_RANGES or (allow_all and value == ALL):
        return value
    choices = range_words(allow_all)
    hints.append(f"Unknown time_range {quoted(value)} in the link (use {choices}); "
                 f"showing {DEFAULT_RANGE}.")
    return DEFAULT_RANGE


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


def preset_window(days: int | None, latest: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The window a preset stands for, ending at `latest` (None: all time)."""
    if days is None or latest is None:
        return None
    return latest - dt.timedelta(days=days - 1), latest


def preset_for(shown: Any, latest: dt.date | None) -> str:
    """The preset that matches the period of `shown` (anything with a start and an end: the
    dashboard's Filters, a Listening), or CUSTOM."""
    window = (shown.start, shown.end) if shown.start else None
    for name, days in PRESETS.items():
        if preset_window(days, latest) == window:
            return name
    return CUSTOM
