"""The shared sidebar filter, mirrored in the URL (?start=&end=&time_range=).

Called from streamlit_app.py on every run, before the page, so that its widgets keep their
state across pages. The URL decides the filter when a session starts (a bookmark, a shared
link, a reload); after that the widgets decide and the URL follows them.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from queries import shared
from queries.filters import (
    ALL_TIME_RANGES,
    CUSTOM,
    PRESETS,
    TIME_RANGES,
    Filters,
    parse_query_params,
    preset_for,
    preset_window,
)
from ui.text import plain

ALL = "all"


def _full_window() -> tuple[dt.date, dt.date] | None:
    first, latest = shared.snapshot_bounds()
    return (first, latest) if first else None


def _on_preset() -> None:
    state = st.session_state
    state["url_hints"] = []
    _, latest = shared.snapshot_bounds()
    window = preset_window(PRESETS.get(state["preset"]), latest) or _full_window()
    if window:
        state["dates"] = window


def _on_dates() -> None:
    state = st.session_state
    state["url_hints"] = []
    if len(state["dates"]) == 2:
        start, end = state["dates"]
        _, latest = shared.snapshot_bounds()
        state["preset"] = preset_for(Filters(start, end), latest)


def _start_session() -> None:
    """First run of a session: take the filter from the URL."""
    state = st.session_state
    parsed, hints = parse_query_params(st.query_params.to_dict())
    _, latest = shared.snapshot_bounds()
    state["url_hints"] = hints
    state["preset"] = preset_for(parsed, latest)
    window = (parsed.start, parsed.end) if parsed.start else _full_window()
    state["dates"] = window or (dt.date.today(),) * 2
    state["time_range"] = parsed.time_range or ALL
    state["filters"] = parsed


def filters() -> Filters:
    """Draw the filter widgets; return the filter in force and mirror it in the URL."""
    state = st.session_state
    # A run that stopped before the sidebar (the database was down) lets Streamlit forget the
    # widgets' state: start again from the URL, which still holds the filter in force.
    if "filters" not in state or "dates" not in state:
        _start_session()
    first, latest = shared.snapshot_bounds()
    st.header("Filter")
    for hint in state["url_hints"]:
        st.warning(plain(hint), icon="🔗")  # it quotes the link: the visitor's text

    st.selectbox("Period", [*PRESETS, CUSTOM], key="preset", on_change=_on_preset)
    chosen = state["dates"]
    lowest = min([d for d in (first, *chosen) if d], default=None)
    highest = max([d for d in (latest, *chosen) if d], default=None)
    st.date_input("Snapshot dates", key="dates", min_value=lowest, max_value=highest,
                  on_change=_on_dates, disabled=first is None, format="YYYY-MM-DD",
                  help="Tracks with at least one snapshot dated in this range count.")
    if first is None:
        st.caption("No snapshots yet: the date filter starts working once there are some.")
    # A real option rather than None: a selectbox shows None as "Choose an option".
    st.selectbox("Time range", [ALL, *TIME_RANGES], key="time_range",
                 format_func=lambda value: TIME_RANGES.get(value, ALL_TIME_RANGES),
                 on_change=lambda: state.__setitem__("url_hints", []))

    previous: Filters = state["filters"]
    picked = state["dates"]
    if state["preset"] == "All time":
        start = end = None
    elif len(picked) == 2:
        start, end = picked
    else:  # st.date_input gives a 1-tuple while only the start date is picked
        st.info("Pick an end date to apply the range.", icon="📅")
        start, end = previous.start, previous.end
    current = Filters(start, end, None if state["time_range"] == ALL else state["time_range"])
    state["filters"] = current
    wanted = current.query_params()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    return current
