"""The sidebar's controls for the pages that have them, each mirrored in its page's URL
(ui/page_state.py; each state and its URL parameters are declared in ui/state/): the
dashboard's filter, the time machine's date, the comparison's two dates or periods, and the
Listening page's period and switches. Drawn by streamlit_app.py before the page runs; the page
reads the state they leave with page_state.current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from db.model.snapshots import EARLIEST_DATE, LATEST_DATE, TIME_RANGES
from queries import shared
from queries.listening import stream_bounds
from ui import page_state
from ui.state.compare import STATE as COMPARE
from ui.state.compare import Comparison, Side
from ui.state.dashboard import STATE as DASHBOARD
from ui.state.dashboard import Filters
from ui.state.links import (
    ALL,
    ALL_TIME,
    ALL_TIME_RANGES,
    CUSTOM,
    PRESETS,
    PageState,
    preset_for,
    preset_window,
)
from ui.state.listening import DEFAULT_VIEW, GRANULARITIES, MEASURES, VIEWS, Listening
from ui.state.listening import STATE as LISTENING
from ui.state.time_machine import STATE as TIME_MACHINE
from ui.state.time_machine import WINDOWS, Moment

LISTENING_TABS = "lp_view"  # the Listening page's tabs: the label of the open one


def _full_window() -> tuple[dt.date, dt.date] | None:
    first, latest = shared.snapshot_bounds()
    return (first, latest) if first else None


def _snapshot_span() -> tuple[dt.date | None, tuple[dt.date, dt.date] | None]:
    """The dashboard's presets count back from the latest snapshot; all time is every snapshot."""
    return shared.snapshot_bounds()[1], _full_window()


def _stream_span() -> tuple[dt.date | None, tuple[dt.date, dt.date] | None]:
    """The Listening page's presets count back from the latest stream; all time is every one."""
    return stream_bounds()["last"], _stream_window()


def _on_preset(page: PageState, preset_key: str, dates_key: str, span: Callable) -> None:
    """A preset picked: the date picker shows its days (`span`: the latest day and all time)."""
    state = st.session_state
    page_state.forget_hints(page)
    latest, whole = span()
    window = preset_window(PRESETS.get(state[preset_key]), latest) or whole
    if window:
        state[dates_key] = window


def _on_dates(page: PageState, preset_key: str, dates_key: str, span: Callable) -> None:
    """Days picked: the preset they make, or Custom range."""
    state = st.session_state
    page_state.forget_hints(page)
    if len(state[dates_key]) == 2:
        state[preset_key] = preset_for(Filters(*state[dates_key]), span()[0])


def _picked_period(preset_key: str, dates_key: str, previous: Filters | Listening
                   ) -> tuple[dt.date | None, dt.date | None]:
    """The period a preset and its date picker stand for (None, None: all time); while only the
    start date is picked, the period shown before."""
    state = st.session_state
    picked = state[dates_key]
    if state[preset_key] == ALL_TIME:
        return None, None
    if len(picked) == 2:
        return picked
    # st.date_input gives a 1-tuple while only the start date is picked
    st.info("Pick an end date to apply the range.", icon="📅")
    return previous.start, previous.end


def _set_filter_widgets(parsed: Filters) -> None:
    state = st.session_state
    _, latest = shared.snapshot_bounds()
    state["preset"] = preset_for(parsed, latest)
    window = (parsed.start, parsed.end) if parsed.start else _full_window()
    state["dates"] = window or (dt.date.today(),) * 2
    state["time_range"] = parsed.time_range or ALL


def filters() -> Filters:
    """Draw the filter widgets; return the filter in force and mirror it in the URL."""
    state = st.session_state
    previous, hints, starting = page_state.take_up(DASHBOARD, ("preset", "dates", "time_range"))
    if starting:
        _set_filter_widgets(previous)
    first, latest = shared.snapshot_bounds()
    st.header("Filter")
    page_state.show_hints(hints)

    st.selectbox("Period", [*PRESETS, CUSTOM], key="preset", on_change=_on_preset,
                 args=(DASHBOARD, "preset", "dates", _snapshot_span))
    chosen = state["dates"]
    lowest = min([d for d in (first, *chosen) if d], default=None)
    highest = max([d for d in (latest, *chosen) if d], default=None)
    st.date_input("Snapshot dates", key="dates", min_value=lowest, max_value=highest,
                  on_change=_on_dates, args=(DASHBOARD, "preset", "dates", _snapshot_span),
                  disabled=first is None, format="YYYY-MM-DD",
                  help="Tracks with at least one snapshot dated in this range count.")
    if first is None:
        st.caption("No snapshots yet: the date filter starts working once there are some.")
    # A real option rather than None: a selectbox shows None as "Choose an option".
    st.selectbox("Time range", [ALL, *TIME_RANGES], key="time_range",
                 format_func=lambda value: TIME_RANGES.get(value, ALL_TIME_RANGES),
                 on_change=lambda: page_state.forget_hints(DASHBOARD))

    start, end = _picked_period("preset", "dates", previous)
    current = Filters(start, end, None if state["time_range"] == ALL else state["time_range"])
    page_state.give_back(DASHBOARD, current)
    return current


def _range_select(key: str, page: PageState) -> None:
    st.selectbox("Time range", list(TIME_RANGES), key=key, format_func=TIME_RANGES.get,
                 on_change=page_state.forget_hints, args=(page,))


def moment() -> Moment:
    """The time machine's controls: the date of the list, the time range, and the window the
    most consistent artist is counted over."""
    state = st.session_state
    current, hints, starting = page_state.take_up(TIME_MACHINE, ("tm_date", "tm_range", "tm_window"))
    first, latest = shared.snapshot_bounds()
    if starting:
        state["tm_date"] = current.date or latest or dt.date.today()
        state["tm_range"] = current.time_range
        state["tm_window"] = next(k for k, v in WINDOWS.items() if v == current.window)
    st.header("Time machine")
    page_state.show_hints(hints)
    st.date_input("The top list on", key="tm_date", min_value=EARLIEST_DATE, max_value=LATEST_DATE,
                  format="YYYY-MM-DD", disabled=first is None,
                  on_change=page_state.forget_hints, args=(TIME_MACHINE,),
                  help="The latest snapshot dated on or before this day.")
    if first is None:
        st.caption("No snapshots yet: import your history on the Data page.")
    _range_select("tm_range", TIME_MACHINE)
    st.selectbox("Most consistent artist over", list(WINDOWS), key="tm_window",
                 on_change=page_state.forget_hints, args=(TIME_MACHINE,))
    picked = state["tm_date"]
    # "The latest" stays the latest (a bookmark follows new snapshots) until a date is picked.
    date = None if current.date is None and picked == (latest or dt.date.today()) else picked
    chosen = Moment(date, state["tm_range"], WINDOWS[state["tm_window"]])
    page_state.give_back(TIME_MACHINE, chosen)
    return chosen


TWO_DATES, TWO_PERIODS = "Two dates", "Two periods"


def _default_sides(latest: dt.date, periods: bool) -> tuple[Side, Side]:
    if periods:  # the last four weeks against the four before them
        return (Side(latest - dt.timedelta(days=55), latest - dt.timedelta(days=28), period=True),
                Side(latest - dt.timedelta(days=27), latest, period=True))
    return Side.on(latest - dt.timedelta(days=28)), Side.on(latest)


# Streamlit forgets the values of widgets a run does not draw: each mode's are kept aside, so that
# switching back shows what the visitor had chosen there.
_MODE_KEYS = {TWO_DATES: ("cmp_a", "cmp_b"), TWO_PERIODS: ("cmp_pa", "cmp_pb")}
_KEPT, _KEPT_PERIODS = "cmp_kept_dates", "cmp_kept_periods"


def _mode_changed() -> None:
    state = st.session_state
    page_state.forget_hints(COMPARE)
    kept = state.get(_KEPT if state["cmp_mode"] == TWO_DATES else _KEPT_PERIODS, {})
    state.update(kept)


def comparison() -> Comparison:
    """The comparison's controls: two dates (their top lists) or two periods, and the time
    range."""
    state = st.session_state
    drawn = _MODE_KEYS.get(state.get("cmp_mode"), ())
    current, hints, starting = page_state.take_up(COMPARE, ("cmp_mode", "cmp_range", *drawn))
    first, latest = shared.snapshot_bounds()
    today = latest or dt.date.today()
    if starting:
        periods = bool(current.a and not current.a.single)
        state["cmp_mode"] = TWO_PERIODS if periods else TWO_DATES
        default_dates = _default_sides(today, periods=False)
        default_periods = _default_sides(today, periods=True)
        a, b = current.a, current.b
        dates = (a or default_dates[0], b or default_dates[1]) if not periods else default_dates
        spans = (a or default_periods[0], b or default_periods[1]) if periods else default_periods
        state["cmp_a"], state["cmp_b"] = dates[0].start, dates[1].start
        state["cmp_pa"] = (spans[0].start, spans[0].end)
        state["cmp_pb"] = (spans[1].start, spans[1].end)
        state["cmp_range"] = current.time_range
        state[_KEPT] = {k: state[k] for k in _MODE_KEYS[TWO_DATES]}
        state[_KEPT_PERIODS] = {k: state[k] for k in _MODE_KEYS[TWO_PERIODS]}
    st.header("Compare")
    page_state.show_hints(hints)
    forget = {"on_change": page_state.forget_hints, "args": (COMPARE,)}
    st.radio("Compare", [TWO_DATES, TWO_PERIODS], key="cmp_mode", horizontal=True,
             on_change=_mode_changed)
    common = {"min_value": EARLIEST_DATE, "max_value": LATEST_DATE, "format": "YYYY-MM-DD",
              "disabled": first is None} | forget
    if state["cmp_mode"] == TWO_DATES:
        st.date_input("A: the top list on", key="cmp_a", **common)
        st.date_input("B: the top list on", key="cmp_b", **common)
        a, b = Side.on(state["cmp_a"]), Side.on(state["cmp_b"])
        state[_KEPT] = {k: state[k] for k in _MODE_KEYS[TWO_DATES]}
    else:
        st.date_input("A: lists between", key="cmp_pa", **common)
        st.date_input("B: lists between", key="cmp_pb", **common)
        a, b = (_period(state["cmp_pa"], current.a), _period(state["cmp_pb"], current.b))
        state[_KEPT_PERIODS] = {k: state[k] for k in _MODE_KEYS[TWO_PERIODS]}
    if first is None:
        st.caption("No snapshots yet: import your history on the Data page.")
    _range_select("cmp_range", COMPARE)
    chosen = Comparison(a, b, state["cmp_range"])
    page_state.give_back(COMPARE, chosen)
    return chosen


def _period(picked: tuple, previous: Side | None) -> Side:
    """A period from a range picker; while only its start is picked, the period before."""
    if len(picked) == 2:
        return Side(*picked, period=True)
    st.info("Pick an end date to apply the period.", icon="📅")
    return previous if previous and previous.period else Side(picked[0], picked[0], period=True)


def _stream_window() -> tuple[dt.date, dt.date] | None:
    bounds = stream_bounds()
    return (bounds["first"], bounds["last"]) if bounds["first"] else None


def listening() -> Listening:
    """The Listening page's controls: the period (presets count back from the latest day with
    a stream), the chart's granularity and what the top lists rank by; the page's tab
    (LISTENING_TABS, drawn by the page) is part of its state."""
    state = st.session_state
    previous, hints, starting = page_state.take_up(
        LISTENING, ("lp_preset", "lp_dates", "lp_granularity", "lp_by", LISTENING_TABS))
    bounds = stream_bounds()
    if starting:
        state["lp_preset"] = preset_for(previous, bounds["last"])
        window = (previous.start, previous.end) if previous.start else _stream_window()
        state["lp_dates"] = window or (dt.date.today(),) * 2
        state["lp_granularity"] = previous.granularity
        state["lp_by"] = previous.by
        state[LISTENING_TABS] = VIEWS[previous.view]
    st.header("Listening")
    page_state.show_hints(hints)
    forget = {"on_change": page_state.forget_hints, "args": (LISTENING,)}
    st.selectbox("Period", [*PRESETS, CUSTOM], key="lp_preset", on_change=_on_preset,
                 args=(LISTENING, "lp_preset", "lp_dates", _stream_span))
    chosen = state["lp_dates"]
    lowest = min([d for d in (bounds["first"], *chosen) if d], default=None)
    highest = max([d for d in (bounds["last"], *chosen) if d], default=None)
    st.date_input("Days", key="lp_dates", min_value=lowest, max_value=highest,
                  on_change=_on_dates, args=(LISTENING, "lp_preset", "lp_dates", _stream_span),
                  disabled=bounds["first"] is None,
                  format="YYYY-MM-DD", help="Streams whose local day is in this range count.")
    st.radio("Chart per", list(GRANULARITIES), key="lp_granularity", horizontal=True,
             format_func=GRANULARITIES.get, **forget)
    st.radio("Top lists by", list(MEASURES), key="lp_by", horizontal=True,
             format_func=MEASURES.get, **forget)
    start, end = _picked_period("lp_preset", "lp_dates", previous)
    view = next((v for v, label in VIEWS.items() if label == state.get(LISTENING_TABS)),
                DEFAULT_VIEW)
    current = Listening(start, end, state["lp_granularity"], state["lp_by"], view)
    page_state.give_back(LISTENING, current)
    return current
