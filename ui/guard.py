"""Keep a page standing when one of its queries fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import streamlit as st

from db.errors import DatabaseError, DatabaseUnavailable, first_line
from ui.text import plain

log = logging.getLogger(__name__)


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Draw the block; if a database call in it fails, draw an error box saying what could not
    be loaded instead, and go on with the rest of the page. Nothing failed is cached, so the
    next interaction asks again."""
    try:
        yield
    except DatabaseUnavailable as exc:
        log.warning("could not load %s: %s", what, exc)
        st.error(f"Could not load {what}: {plain(exc.public)}", icon="⚠️")
    except (DatabaseError, psycopg.Error) as exc:
        log.warning("could not load %s: %s", what, first_line(exc))
        st.error(f"Could not load {what}: {plain(first_line(exc))}", icon="⚠️")
