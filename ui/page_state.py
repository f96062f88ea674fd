"""Each page's state lives in its URL; this is how a page takes it up and gives it back.

A page's widgets decide while the visitor stays on the page. When the page is entered (the
session's first run, a link, a reload, the navigation menu) or its widgets' state was dropped
(Streamlit forgets the state of widgets a run did not draw, for instance on another page or in a
run the database ended early), the page starts again: from its URL when the URL names any of the
page's own parameters, else from what the page last showed in this session, else from its
defaults. Afterwards the URL follows the state, so every view can be bookmarked and shared.
Each page declares its state once (ui/state/: its session key, URL parameters and parse).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from ui.state.links import PageState
from ui.text import plain

ENTERED_KEY = "entered_page"  # set by streamlit_app.py on every run: a page was just entered
_PAGE_KEY = "current_page"


def note_page(url_path: str) -> None:
    """Called by the entry script on every run, before the page's state is read."""
    state = st.session_state
    state[ENTERED_KEY] = state.get(_PAGE_KEY) != url_path
    state[_PAGE_KEY] = url_path


def take_up(page: PageState, widget_keys: Iterable[str], *known: Any
            ) -> tuple[Any, list[str], bool]:
    """The page's state, its link hints, and whether the page starts again (then the caller sets
    its widgets from the state before drawing them). `known`: what the page's parse needs besides
    the link."""
    state = st.session_state
    remembered = state.get(page.key)
    starting = (state.get(ENTERED_KEY, True) or remembered is None
                or any(key not in state for key in widget_keys))
    if not starting:
        return remembered, state.get(page.hints_key, []), False
    params = {k: v for k, v in st.query_params.to_dict().items() if k in page.params}
    if params or remembered is None:
        remembered, hints = page.parse(params, *known)
    else:
        hints = []
    state[page.key] = remembered
    state[page.hints_key] = hints
    return remembered, hints, True


def current(page: PageState) -> Any:
    """The state the page's sidebar left (or its fallback, streamlit_app.py)."""
    return st.session_state[page.key]


def give_back(page: PageState, value: Any) -> None:
    """Remember the page's state and mirror it in the URL."""
    st.session_state[page.key] = value
    wanted = value.query_params()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def forget_hints(page: PageState) -> None:
    """A widget changed: the link's hints no longer describe what is shown."""
    st.session_state[page.hints_key] = []


def show_hints(hints: Iterable[str]) -> None:
    for hint in hints:
        st.warning(plain(hint), icon="🔗")  # it quotes the link: the visitor's text
