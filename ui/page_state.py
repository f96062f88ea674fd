"""Each page's state lives in its URL; this is how a page takes it up and gives it back.

A page's widgets decide while the visitor stays on the page. When the page is entered (the
session's first run, a link, a reload, the navigation menu) or its widgets' state was dropped
(Streamlit forgets the state of widgets a run did not draw, for instance on another page or in a
run the database ended early), the page starts again: from its URL when the URL names any of the
page's own parameters, else from what the page last showed in this session, else from its
defaults. Afterwards the URL follows the state, so every view can be bookmarked and shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

from ui.text import plain

ENTERED_KEY = "entered_page"  # set by streamlit_app.py on every run: a page was just entered
_PAGE_KEY = "current_page"


def note_page(url_path: str) -> None:
    """Called by the entry script on every run, before the page's state is read."""
    state = st.session_state
    state[ENTERED_KEY] = state.get(_PAGE_KEY) != url_path
    state[_PAGE_KEY] = url_path


def take_up(name: str, own_params: Iterable[str], parse: Callable[[Mapping[str, str]], tuple],
            widget_keys: Iterable[str]) -> tuple[Any, list[str], bool]:
    """The page's state, its link hints, and whether the page starts again (then the caller sets
    its widgets from the state before drawing them). `name` keys the remembered state."""
    state = st.session_state
    remembered = state.get(name)
    starting = (state.get(ENTERED_KEY, True) or remembered is None
                or any(key not in state for key in widget_keys))
    if not starting:
        return remembered, state.get(f"{name}_hints", []), False
    params = {k: v for k, v in st.query_params.to_dict().items() if k in set(own_params)}
    if params or remembered is None:
        remembered, hints = parse(params)
    else:
        hints = []
    state[name] = remembered
    state[f"{name}_hints"] = hints
    return remembered, hints, True


def give_back(name: str, value: Any) -> None:
    """Remember the page's state and mirror it in the URL."""
    st.session_state[name] = value
    wanted = value.query_params()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def forget_hints(name: str) -> None:
    """A widget changed: the link's hints no longer describe what is shown."""
    st.session_state[f"{name}_hints"] = []


def show_hints(hints: Iterable[str]) -> None:
    for hint in hints:
        st.warning(plain(hint), icon="🔗")  # it quotes the link: the visitor's text
