"""Links a stranger can craft: every part of one that is not understood gives a hint drawn as
plain text, and the page still answers for the rest; no visitor ever sees a traceback."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from ui.state.dashboard import parse_query_params
from ui.text import WJ, plain

from support import semantics
from support.databases import ROOT

END = dt.date(2026, 6, 30)


@pytest.fixture
def demo_spec():
    """demo_data (tests/conftest.py) for the hostile links: smaller, as they are many."""
    return {"tracks": 200, "days": 20, "seed": 4, "end": END}


HOSTILE_LINKS = [
    {"time_range": "[Session expired – sign in](https://example.com)"},
    {"time_range": "<script>alert(1)</script>"},
    {"time_range": "<img src=x onerror=alert(1)>"},
    {"time_range": "**bold** :red[red] $x^2$ :material/home: :smile:"},
    {"time_range": "x" * 10_000},
    {"time_range": "\u202eevil\u0301 🎧 \u200b\t\n"},
    {"start": "[a](https://e.com)", "end": "<b>x</b>"},
    {"start": "0001-01-01", "end": "2026-06-20"},
    {"start": "2026-01-01", "end": "9999-12-31"},
    {"start": "9999-12-31", "end": "9999-12-31"},
    {"start": "2026-06-20", "end": "2026-06-01"},
    {"start": "2026-06-01" * 1000, "end": "2026-06-20"},
    {"start": "+002026-06-01", "end": "2026-06-20"},
]


@pytest.mark.parametrize("params", HOSTILE_LINKS)
def test_a_hostile_link_gives_a_hint_as_plain_text_and_no_traceback(app, demo_data, params):
    app.query_params.update(params)
    at = app.run()
    assert not at.exception
    expected = parse_query_params(params)[1]
    hints = [w.value for w in at.sidebar.warning]
    assert hints and hints == [plain(hint) for hint in expected]  # drawn as plain text
    for hint in hints:
        assert len(hint) < 400  # a 10 kB value is not repeated
    semantics_ok = {m.label: m.value for m in at.metric}
    tracks, snapshots = demo_data
    assert semantics_ok["Tracks"] == f"{len(semantics.selected(tracks, snapshots)):,}"
    assert at.query_params == {}  # the bad parts were left off, and the URL says so


def test_hints_are_drawn_through_plain():
    value = "[sign in](https://e.co)"  # short enough to be quoted in the hint
    _, hints = parse_query_params({"time_range": value})
    shown = plain(hints[0])
    assert "\\[" in shown and "\\]\\(https" in shown and WJ in shown  # no link can form


def test_visitors_never_get_tracebacks():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["showErrorDetails"] == "none"
