"""The year in review's state: the year shown.

    /recap?year=2024                                           (none: the latest year with plays)

Pure values and parsing only (no Streamlit, no SQL); see ui/state/links.py for the hints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from db.model.snapshots import EARLIEST_DATE, LATEST_DATE
from ui.state.links import PageState, quoted

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


STATE = PageState("recap", ("year",), parse_recap)
