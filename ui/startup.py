"""The app's one-time database start-up, shared by every session of the process."""

from __future__ import annotations

import streamlit as st

from db import startup


def _secrets() -> dict:
    # Streamlit raises on access when no secrets.toml exists; that simply means "none".
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


@st.cache_resource(show_spinner="Starting the database…")
def prepare_database() -> startup.Startup:
    """Resolve the database, open the pool, migrate, seed the embedded demo. Failures are not
    cached: the next rerun tries again."""
    return startup.prepare(_secrets())
