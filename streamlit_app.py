"""Music Time Machine: page config, navigation over pages/, and the shared sidebar."""

import logging
from functools import partial

import psycopg
import streamlit as st

from db import redact
from db.errors import DatabaseError, DatabaseUnavailable
from queries import core, dashboard, data, history, listening, recap, shared
from ui import first_questions, page_state, sidebar, stress_test
from ui.guard import guarded
from ui.startup import prepare_database
from ui.state import compare as compare_state
from ui.state import dashboard as dashboard_state
from ui.state import listening as listening_state
from ui.state import time_machine as time_machine_state
from ui.state.links import DEFAULT_RANGE
from ui.text import plain

redact.install_log_scrubber()  # idempotent: once per process
log = logging.getLogger("music_time_machine")

st.set_page_config(page_title="Music Time Machine", page_icon="🎧", layout="wide")

WHAT_TO_CHECK = (
    "Check that the PostgreSQL server is running and reachable from where this app runs, and "
    "that `DATABASE_URL` (an environment variable, or in the app's secrets) names it; leave it "
    "unset to use the built-in demo database. The app's log has the details. Reload the page "
    "to try again.")


def database_down(exc: DatabaseError) -> None:
    """One box for the whole page, then stop: the view is over at once."""
    log.warning("page view without a database: %s", exc)
    public = exc.public if isinstance(exc, DatabaseUnavailable) else str(exc)
    st.title("Music Time Machine")
    st.error(plain(public), icon="🔌")
    if isinstance(exc, DatabaseUnavailable):
        st.markdown(WHAT_TO_CHECK)
    st.stop()


try:
    started = prepare_database()
except DatabaseError as exc:
    database_down(exc)

# Each page with the sidebar controls it uses (None: its controls are on the page).
PAGES = [
    (st.Page("pages/dashboard.py", title="Dashboard", icon="📊", default=True),
     ("the filter's dates", sidebar.filters, dashboard_state.STATE, dashboard_state.Filters())),
    (st.Page("pages/time_machine.py", title="Time machine", icon="⏳"),
     ("the time machine's date", sidebar.moment, time_machine_state.STATE,
      time_machine_state.Moment())),
    (st.Page("pages/compare.py", title="Compare", icon="⚖️"),
     ("the dates to compare", sidebar.comparison, compare_state.STATE, compare_state.Comparison())),
    (st.Page("pages/history.py", title="Rank history", icon="📈"), None),
    (st.Page("pages/listening.py", title="Listening", icon="🎶"),
     ("the listening period", sidebar.listening, listening_state.STATE,
      listening_state.Listening())),
    (st.Page("pages/tracks.py", title="Tracks", icon="🔎"), None),
    (st.Page("pages/recap.py", title="Year in review", icon="🎁"), None),
    (st.Page("pages/data.py", title="Data", icon="📥"), None),
]
page = st.navigation([p for p, _ in PAGES])
page_state.note_page(page.url_path)

# Asked with the data version, on every run, from the page's link: what a page shows as it is
# now, from any process (never cached), and a page's first questions, cheap to ask again (cached
# questions' uncached selves: the page's own asking finds their answers).
WITH_THE_VERSION = {
    "": lambda link: (dashboard.awaiting_everywhere.uncached,),
    "time_machine": first_questions.time_machine,
    "compare": first_questions.compare,
    "history": lambda link: (history.charted_tracks.uncached,
                             partial(history.latest_top.uncached, DEFAULT_RANGE)),
    "listening": lambda link: (listening.stream_bounds.uncached,),
    "recap": lambda link: (recap.years.uncached, recap.rollup_zone.uncached),
    "data": lambda link: (data.past_imports, data.spotify_account, data.budget_standing),
}

# Once per run, before any cached answer: the cache is keyed by the data version. A database
# that cannot be reached ends the view here, in one box; any other failure is left to the
# sections below, each of which says what it could not load.
try:
    asked_first = WITH_THE_VERSION.get(page.url_path, lambda link: ())
    core.sync_version(asked_first(st.query_params.to_dict()))
except DatabaseUnavailable as exc:
    database_down(exc)
except (DatabaseError, psycopg.Error):
    pass

with st.sidebar:
    controls = next(c for p, c in PAGES if p.url_path == page.url_path)
    if controls:
        what, draw, state, fallback = controls
        with guarded(what):
            draw()
        st.session_state.setdefault(state.key, fallback)  # what the page reads if drawing failed
        st.divider()
    with guarded("the stress test"):
        stress_test.panel()
    # Visitors learn the kind of database and its host; `python -m db status` tells the rest.
    st.caption(f"Database: {plain(started.target.public_label)}")

demo = None
with guarded("whether this is demo data"):
    demo = shared.demo_info()
if isinstance(demo, dict) and all(isinstance(demo.get(k), int) for k in ("tracks", "days")):
    st.info(
        f"You are looking at **demo data**: {demo['tracks']:,} generated tracks and "
        f"{demo['days']} days of snapshots. Point `DATABASE_URL` at your own database to see yours.",
        icon="🧪",
    )

page.run()
