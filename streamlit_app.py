"""Music Time Machine: page config, navigation over pages/, and the shared sidebar."""

import contextlib

import psycopg
import streamlit as st

from db.errors import DatabaseError
from queries import dashboard
from queries.database import prepare_database
from queries.filters import Filters
from ui import sidebar, stress_test
from ui.guard import guarded

st.set_page_config(page_title="Music Time Machine", page_icon="🎧", layout="wide")

try:
    started = prepare_database()
except DatabaseError as exc:
    st.title("Music Time Machine")
    st.error(f"The database is not available: {exc}", icon="🔌")
    st.markdown(
        "Set `DATABASE_URL` (as an environment variable, or in `.streamlit/secrets.toml`) to a "
        "PostgreSQL you can reach, or leave it unset to use the built-in demo database. "
        "Then reload this page."
    )
    st.stop()

# Once per run, before any cached answer: the cache is keyed by the data version. If the
# database fails here, every section below says what it could not load.
with contextlib.suppress(DatabaseError, psycopg.Error):
    dashboard.sync_version()

page = st.navigation([st.Page("pages/dashboard.py", title="Dashboard", icon="📊", default=True)])

with st.sidebar:
    with guarded("the filter's dates"):
        sidebar.filters()
    st.session_state.setdefault("filters", Filters())
    st.divider()
    with guarded("the stress test"):
        stress_test.panel()
    st.caption(f"Database: `{started.target.description}`", help=started.target.source)

demo = None
with guarded("whether this is demo data"):
    demo = dashboard.demo_info()
if demo:
    st.info(
        f"You are looking at **demo data**: {demo['tracks']:,} generated tracks and "
        f"{demo['days']} days of snapshots. Point `DATABASE_URL` at your own database to see yours.",
        icon="🧪",
    )

page.run()
