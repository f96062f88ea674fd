"""The comparison's state: two dates (their top lists) or two periods, and a time range.

    /compare?a=2026-01-05&b=2026-03-01&time_range=short_term               (two dates)
    /compare?a=2025-01-01..2025-03-31&b=2026-01-01..2026-03-31             (two periods)

Pure values and parsing only (no Streamlit, no SQL); see ui/state/links.py for the hints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ui.state.links import DEFAULT_RANGE, PageState, link_date, time_range


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
    return Comparison(a, b, time_range(params, hints)), hints


STATE = PageState("comparison", ("a", "b", "time_range"), parse_comparison)
