"""Listening: what the plays tell for the chosen period — how much, when, what — from the
listening rollups (queries/listening.py). The period and the switches come from the sidebar and
the URL (ui/sidebar.py: listening)."""

import streamlit as st

from db.derive import local_time
from db.derive.streams import STREAM_RULE
from db.errors import ConfigurationError
from queries import core, listening
from ui import charts, entry, page_state, sidebar, tables
from ui.guard import guarded
from ui.history_import import HOW_TO_EXPORT
from ui.state.listening import STATE, VIEWS, period_text
from ui.text import plain

entry.within_the_app()
chosen = page_state.current(STATE)
args = (chosen.start, chosen.end)

st.title("Listening")

bounds = None
with guarded("what the streaming history holds"):
    bounds = listening.stream_bounds()
if bounds is None:
    st.stop()
if bounds["first"] is None:
    # Not an error: the page says what it needs and where to bring it in.
    if bounds["days"]:
        st.info("Your streaming history holds plays, but none counts as a stream yet "
                f"({STREAM_RULE}).", icon="🎧")
    else:
        st.info("No streaming history yet. This page counts the plays in Spotify's **Extended "
                "streaming history**, your account's whole listening history. " + HOW_TO_EXPORT
                + " Then upload the zip on the Data page.", icon="🎧")
    st.page_link("pages/data.py", label="Import your streaming history on the Data page",
                 icon="📥")
    st.stop()

zone = bounds["zone"] or "UTC"
st.caption(f"{period_text(*args).capitalize()}, counted in {plain(zone)}; a stream is "
           f"{STREAM_RULE}, on the day and hour it ended; "
           "minutes are the time streams played.")
try:
    wanted = local_time.zone_name()
except ConfigurationError:
    wanted = zone
if wanted != zone:
    st.warning(f"These figures were counted in {plain(zone)}, but MTM_TIMEZONE is now "
               f"{plain(wanted)}. The next "
               "import counts them again, or run `python -m db derive-lists`.", icon="🕒")


def minutes_text(minutes) -> str:
    return "—" if minutes is None else f"{minutes:,.0f}"


core.together(lambda: listening.cards(*args),
              *((lambda: listening.series(*args, chosen.granularity),
                 lambda: listening.heatmap(*args)) if chosen.view == "time"
                else (lambda: listening.top(*args, chosen.view, chosen.by),)))
numbers = None
with guarded("the period's figures"):
    numbers = listening.cards(*args)
    row = st.columns(5)
    row[0].metric("Minutes", minutes_text(numbers["minutes"]))
    row[1].metric("Streams", f"{numbers['streams']:,}")
    row[2].metric("Tracks", f"{numbers['tracks']:,}", help="Distinct tracks streamed.")
    row[3].metric("Artists", f"{numbers['artists']:,}", help="Distinct artists streamed.")
    row[4].metric("Discovered", f"{numbers['discovered']:,}",
                  help="Tracks whose first stream ever was in this period.")
    row = st.columns(5)
    share = numbers["share_skipped"]
    row[0].metric("Share skipped", "—" if share is None else f"{share:.0%}",
                  help="Of the plays (any length, not in incognito mode) that say whether they "
                       "were skipped; Spotify's skip flag is unreliable before 2022.")
    row[1].metric("Longest streak", f"{numbers['streak']:,} day"
                  f"{'' if numbers['streak'] == 1 else 's'}",
                  help="The most consecutive days with a stream, within the period.")
    row[2].metric("Sessions", f"{numbers['sessions']:,}",
                  help="Streams less than 20 minutes apart make one session; a session counts "
                       "on the day it began.")
    longest = numbers["longest_session_minutes"]
    row[3].metric("Longest session", "—" if longest is None else f"{longest:,.0f} min",
                  help="From the start of its first stream to the end of its last.")
    row[4].metric("Longest session on", str(numbers["longest_session_day"] or "—"))
    notes = []
    if numbers["streak"]:
        notes.append(f"Longest streak: {numbers['streak_first']} to {numbers['streak_last']}.")
    if longest is not None:
        notes.append(f"Longest session: {longest:,.0f} minutes on "
                     f"{numbers['longest_session_day']}, {numbers['longest_session_streams']:,} "
                     "streams.")
    if notes:
        st.caption(" ".join(notes))

if numbers is not None and not numbers["streams"]:
    st.info("No streams in this period. Try a wider period or “All time”.", icon="📅")
    st.stop()

# One tab drawn a view (a tab reruns the page when chosen): the charts, or one top list, each a
# query over every track of the period, with a grid whose code a browser loads only when shown.
tabs = dict(zip(VIEWS, st.tabs(list(VIEWS.values()), key=sidebar.LISTENING_TABS,
                               on_change=page_state.forget_hints, args=(STATE,)),
                strict=True))

if tabs["time"].open:
    with tabs["time"], guarded("the minutes and streams over time"):
        series = listening.series(*args, chosen.granularity)
        st.plotly_chart(charts.listening_series_figure(series, chosen.granularity),
                        width="stretch")
        per = {"day": "day", "week": "week (keyed by its Monday)", "month": "month"}
        st.download_button(f"Download minutes and streams per {per[chosen.granularity]} (CSV)",
                           tables.as_csv(series.assign(minutes=series["minutes"].round(2))),
                           file_name=f"listening_per_{chosen.granularity}.csv", mime="text/csv",
                           key="download-listening-series")
    with tabs["time"], guarded("when you listen"):
        grid = listening.heatmap(*args)
        st.plotly_chart(charts.listening_heatmap_figure(grid, chosen.by), width="stretch")

BY = {"streams": "streams", "minutes": "minutes"}[chosen.by]
NUMBERS = {
    "streams": st.column_config.NumberColumn("Streams", format="%d"),
    "minutes": st.column_config.NumberColumn("Minutes", format="%.1f"),
}
RANK = {"rank": st.column_config.NumberColumn("#", format="%d")}
STREAMED = {"tracks": st.column_config.NumberColumn("Tracks", help="Tracks streamed.")}
COLUMNS = {
    "tracks": {**RANK, **tables.TRACK_COLUMN, **tables.ARTIST_COLUMN, "album": "Album", **NUMBERS},
    "artists": {**RANK, **tables.ARTIST_COLUMN, **NUMBERS, **STREAMED},
    "albums": {**RANK, "album": "Album", **tables.ARTIST_COLUMN, **NUMBERS, **STREAMED},
}
for kind in listening.KINDS:
    if not tabs[kind].open:
        continue
    with tabs[kind], guarded(f"the top {kind}"):
        st.caption(f"The top {kind} of the period, by {BY} (the sidebar switches). "
                   "Tracks open their page, artists their plays, in a new tab. Ties go to the "
                   "other measure, then the name.")
        top = listening.top(*args, kind, chosen.by)
        top = top.assign(minutes=top["minutes"].round(2))
        tables.show(tables.readable(top) if kind == "tracks" else top, f"top_{kind}",
                    COLUMNS[kind])
