"""Track details (each track's Spotify object) where the pages need to say what they know: the
dashboard's notice when tracks in its period await theirs, and the Data page's progress with the
Fetch details button.

Every Markdown string here holds only the app's own words and numbers it computed.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import streamlit as st

from db.errors import ConfigurationError, DatabaseError, DatabaseUnavailable, first_line
from db.ingest.spotify import api, budget
from db.ingest.spotify.enrich import enrich_tracks
from db.model.access import Grant
from queries import data
from ui.guard import guarded
from ui.text import plain

RESULT_KEY = "details_result"  # ("done" or "error", line) of the last run, for the rerun
DAILY_JOB = "`python -m db sync-spotify`"


def _daily() -> int | None:
    try:
        return budget.daily_requests()
    except ConfigurationError:
        return None  # the Data page says what is wrong with the setting


def _days(tracks: int, daily: int | None) -> str:
    if daily is None:
        return ""
    days = budget.days_for(tracks, daily)
    return (f" At {daily:,} requests a day, within Spotify's limit, that takes about {days:,} "
            f"day{'s' if days != 1 else ''}, fewer when your saved tracks bring theirs 50 at a "
            "time.")


def dashboard_notice(waiting: dict) -> None:
    """What the charts do not know yet, and what fills it."""
    period, tracks, everywhere = waiting["period"], waiting["tracks"], waiting["all"]
    which = f"All {tracks:,}" if period == tracks else f"{period:,} of the {tracks:,}"
    more = f"; {everywhere:,} tracks in all are waiting" if everywhere > period else ""
    st.info(f"**{which} tracks here have no details yet.** They came from your streaming "
            "history, which names tracks but not their release date or explicit flag, so the "
            "charts count them as *No details yet*. Spotify fills them in, the most listened "
            "first, when you fetch them on the Data page or when the daily job "
            f"({DAILY_JOB}) runs{more}." + _days(everywhere, _daily()), icon="⏳")
    st.page_link("pages/data.py", label="Fetch details on the Data page", icon="📥")


def progress() -> int:
    """How far details have come, under its heading: tracks and streams covered, the budget, the
    next run; nothing on a database without plays or tracks awaiting details. The tracks waiting.
    """
    so_far = data.details_so_far()
    known, waiting = so_far["with_details"], so_far["waiting"]
    if not (waiting or so_far["plays"]):
        return 0
    st.subheader("Track details")
    share = f" ({known / so_far['tracks']:.0%})" if so_far["tracks"] else ""
    streams = so_far["streams_covered"]
    lines = [f"Tracks with details: {known:,} of {so_far['tracks']:,}{share}"
             + (f", {streams:.0%} of your streams" if streams is not None else "") + "."]
    if so_far["gone"]:
        lines.append(f"No longer on Spotify (Unknown on the charts): {so_far['gone']:,}.")
    if waiting:
        lines.append(f"Waiting for details: {waiting:,}.")
    st.text("\n".join(lines))
    if not waiting:
        return 0
    try:
        standing = data.budget_standing()
    except ConfigurationError as exc:
        st.warning(plain(exc), icon="⚙️")
        return waiting
    days = standing.days_for(waiting)
    st.text(f"Spotify requests left for details: {standing.for_details:,} of "
            f"{standing.daily - budget.SYNC_REQUESTS:,} in the last 24 hours "
            f"({budget.SYNC_REQUESTS} more are kept for the daily sync).\n"
            f"Next run: {_next(standing)}; about {days:,} day{'s' if days != 1 else ''} left at "
            f"{standing.daily:,} requests a day ({budget.SETTING}).")
    return waiting


def _next(standing: budget.Standing) -> str:
    if standing.quiet:
        return (f"after {standing.not_before:%Y-%m-%d %H:%M} UTC "
                f"({standing.reason or budget.LIMITED})")
    if standing.next_at is not None:
        return f"after {standing.next_at:%Y-%m-%d %H:%M} UTC, when the budget frees up"
    return "now"


def section(grant: Grant, after_write: Callable[[], None]) -> None:
    """The Data page's Track details: progress, and the button while tracks wait (with an
    account connected: the requests go out on its behalf)."""
    kind, line = st.session_state.pop(RESULT_KEY, (None, None))
    account = None
    with guarded("the track details so far"):
        waiting = progress()
        if kind == "error":
            st.error(plain(line), icon="🚫")
        elif kind == "done":
            st.text(line)
        if not waiting:
            return
        try:
            api.settings()
        except api.SpotifyNotConfigured:
            st.caption("Set up Spotify (above) and connect your account to fetch them.")
            return
        account = data.spotify_account()
    if account is None:
        st.caption("Connect your Spotify account above to fetch them.")
        return
    st.caption("Spotify sends the album, release date and explicit flag the dashboard charts: "
               "your recently played and saved tracks 50 a request, then one track a request, "
               "the most listened first, within the daily budget. The daily job "
               f"({DAILY_JOB}) goes on where a run stops.")
    if not st.button("Fetch details", key="history_enrich", type="primary"):
        return
    bar = st.progress(0.0, text="Asking Spotify…")

    def step(stage: str, done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0,
                     text=f"{stage.capitalize()} ({done:,} of {total:,})")

    try:
        report = enrich_tracks(grant, progress=step, wait_for_budget=False)
    except DatabaseUnavailable as exc:
        st.session_state[RESULT_KEY] = ("error", exc.public)
    except (DatabaseError, psycopg.Error) as exc:
        st.session_state[RESULT_KEY] = ("error", f"Nothing fetched: {first_line(exc)}")
    else:
        st.session_state[RESULT_KEY] = ("done", report.line())
        after_write()
    st.rerun()  # the counts above, and the charts' data, now include what was fetched
