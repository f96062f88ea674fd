import datetime as dt
import subprocess
import sys

import pytest

from ui.state.dashboard import Filters, parse_query_params
from ui.state.links import CUSTOM, PRESETS, preset_for, preset_window

from support.databases import ROOT

D = dt.date


def test_full_link():
    filters, hints = parse_query_params(
        {"start": "2026-01-01", "end": "2026-01-31", "time_range": "short_term"})
    assert filters == Filters(D(2026, 1, 1), D(2026, 1, 31), "short_term") and hints == []
    assert filters.query_params() == {"start": "2026-01-01", "end": "2026-01-31",
                                      "time_range": "short_term"}


def test_no_parameters_means_all_time_and_all_ranges():
    filters, hints = parse_query_params({})
    assert filters == Filters() and not filters.active and hints == []
    assert filters.query_params() == {}


@pytest.mark.parametrize(("params", "hint"), [
    ({"start": "2026-13-01", "end": "2026-01-31"}, "start date '2026-13-01' is not a date"),
    ({"start": "yesterday", "end": "2026-01-31"}, "not a date like 2026-01-31"),
    ({"start": "2026-01-01"}, "gives only a start date"),
    ({"end": "2026-01-01"}, "gives only an end date"),
    ({"start": "2026-02-01", "end": "2026-01-01"}, "is after its end date"),
    ({"time_range": "forever"}, "Unknown time_range 'forever'"),
    ({"start": "2026-01-01", "end": "9999-12-31"}, "end date 9999-12-31 is outside 2000-01-01"),
    ({"start": "0001-01-01", "end": "2026-01-31"}, "start date 0001-01-01 is outside"),
    ({"start": "20260101", "end": "2026-01-31"}, "start date '20260101' is not a date"),
    ({"start": "2026-W01-1", "end": "2026-01-31"}, "is not a date like"),
    ({"start": "٢٠٢٦-٠١-٠١", "end": "2026-01-31"}, "is not a date like"),  # Arabic-Indic digits
    ({"start": "2026-01-01", "end": "2026-01-31" + "x" * 10_000}, "(10,010 characters long)"),
    ({"time_range": "[Session expired – sign in](https://example.com)"}, "characters long"),
    ({"time_range": "<b>x</b>"}, "Unknown time_range '<b>x</b>'"),
])
def test_invalid_links_give_a_hint_and_fall_back(params, hint):
    filters, hints = parse_query_params(params)
    assert len(hints) == 1 and hint in hints[0]
    if "time_range" in params:
        assert filters.time_range is None
    else:
        assert filters.start is None and filters.end is None


def test_a_long_value_is_not_repeated_in_its_hint():
    _, hints = parse_query_params({"time_range": "A" * 10_000})
    assert hints and "AAAA" not in hints[0] and len(hints[0]) < 200


def test_a_bad_part_does_not_spoil_the_good_part():
    filters, hints = parse_query_params({"start": "2026-01-01", "end": "2026-01-31",
                                         "time_range": "forever"})
    assert filters == Filters(D(2026, 1, 1), D(2026, 1, 31), None) and len(hints) == 1


def test_presets_count_back_from_the_latest_snapshot():
    latest = D(2026, 6, 30)
    assert preset_window(28, latest) == (D(2026, 6, 3), latest)
    assert preset_window(None, latest) is None
    assert preset_for(Filters(D(2026, 6, 3), latest), latest) == "Last 4 weeks"
    assert preset_for(Filters(), latest) == "All time"
    assert preset_for(Filters(D(2026, 6, 4), latest), latest) == CUSTOM


def test_the_presets_and_windows_are_the_time_ranges_days_in_their_orders():
    from ui.state.time_machine import WINDOWS

    assert list(PRESETS.items()) == [("All time", None), ("Last 4 weeks", 28),
                                     ("Last 6 months", 182), ("Last 12 months", 365)]
    assert list(WINDOWS.items()) == [("Last 4 weeks", 28), ("Last 6 months", 182),
                                     ("Last 12 months", 365), ("All time", None)]


# Each in a fresh interpreter: what a module imports, not what this test process holds.
PURE_STATE = """
import pkgutil, sys, ui.state
for info in pkgutil.iter_modules(ui.state.__path__):
    __import__(f"ui.state.{info.name}")
loaded = [m for m in sys.modules if m.split(".")[0] in ("streamlit", "queries")]
assert not loaded, loaded
"""
QUERIES_WITHOUT_UI = """
import pkgutil, sys, queries
for info in pkgutil.iter_modules(queries.__path__):
    __import__(f"queries.{info.name}")
loaded = [m for m in sys.modules if m.split(".")[0] == "ui"]
assert not loaded, loaded
"""


@pytest.mark.parametrize("code", [PURE_STATE, QUERIES_WITHOUT_UI], ids=["pure", "plain"])
def test_page_state_is_pure_and_queries_take_plain_values(code):
    """ui/state imports neither Streamlit nor queries/; queries/ imports nothing of ui/."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
