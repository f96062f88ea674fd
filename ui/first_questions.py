"""The first questions of the pages whose sidebar picks their state, read from the page's link, to
ask with the data version (streamlit_app.py: WITH_THE_VERSION): one round trip fewer for a page
opened from a link. Wrong only when the sidebar changes the state in this run, and then merely
unused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from queries import time_machine as questions
from ui.state.compare import parse_comparison
from ui.state.time_machine import parse_moment


def time_machine(link: Mapping[str, str]) -> tuple[Callable[[], object], ...]:
    """The dates of the list the link's date shows."""
    moment = parse_moment(link)[0]
    return (partial(questions.list_dates.uncached, moment.date, moment.time_range),)


def compare(link: Mapping[str, str]) -> tuple[Callable[[], object], ...]:
    """The dates of the lists the link's two dates show (a period's questions need none)."""
    chosen = parse_comparison(link)[0]
    return tuple(partial(questions.list_dates.uncached, side.start, chosen.time_range)
                 for side in (chosen.a, chosen.b) if side is not None and side.single)
