"""Every page runs inside the app's entry script (streamlit_app.py), which opens the database,
draws the shared sidebar and lists the pages with st.navigation.

Streamlit still knows the old way of multipage apps: while no script of a fresh server process
has called st.navigation yet, a ``pages/`` folder beside the entry script makes it run the page a
link names *instead of* the entry script. So the first visitor after a (re)start who opens a
link to /data would get the Data page alone. A page run that way switches Streamlit to
st.navigation's mode and asks for the run again, which then goes through the entry script.
tests/test_entry.py fails if a Streamlit upgrade changes what this relies on.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def within_the_app() -> None:
    """Call first in every page file."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what the entry script's st.navigation does
        st.rerun()
