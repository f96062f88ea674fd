"""The time machine: the top list on any date, what moved since the list before, turnover, and
the most consistent artists up to that date."""

import streamlit as st

from db.model.snapshots import TIME_RANGES
from queries import core, shared, time_machine
from ui import entry, page_state, tables
from ui.guard import guarded
from ui.state.rank_history import History
from ui.state.time_machine import STATE
from ui.text import plain

entry.within_the_app()
moment = page_state.current(STATE)

st.title("Time machine")


def the_list() -> None:
    found = time_machine.list_dates(moment.date, moment.time_range)
    if found["list_date"] is not None:
        time_machine.top_list(found["list_date"], found["previous_date"], moment.time_range)


def the_artists() -> None:
    found = time_machine.list_dates(moment.date, moment.time_range)
    if found["list_date"] is not None:
        time_machine.consistent_artists(found["list_date"], moment.time_range, moment.window)


core.together(the_list, the_artists)  # the dates first, then the list and its artists together
dates = None
with guarded("the dates of the lists"):
    dates = time_machine.list_dates(moment.date, moment.time_range)
if dates is None:
    st.stop()

range_name = TIME_RANGES[moment.time_range]
if dates["first_date"] is None:
    st.info(f"No {range_name.lower()} lists yet. Lists are recorded when you sync your top tracks "
            "from Spotify or import your history (both on the Data page), or load demo data with "
            "`python -m db seed-demo`.")
    st.stop()
if dates["list_date"] is None:
    st.info(f"No {range_name.lower()} list on or before {moment.date}: the first one is dated "
            f"{dates['first_date']}. Pick a later date.")
    st.stop()

list_date, previous_date = dates["list_date"], dates["previous_date"]
top = None
with guarded("the top list"):
    top = time_machine.top_list(list_date, previous_date, moment.time_range)
if top is None:
    st.stop()

asked = moment.date
# Movement across sources is still movement, but the caption says when the list before came from
# elsewhere: a derived list ranks 99 tracks by streams, Spotify's its own way.
other_source = previous_date and dates["previous_derived"] != dates["derived"]
st.caption(f"{range_name}: the list of {list_date}"
           + (f", the latest on or before {asked}" if asked and asked != list_date else "")
           + (f"; movement since the list of {previous_date}" if previous_date
              else "; the first list of this time range, so nothing moved yet")
           + (f" (source: {shared.source(dates['previous_derived'])})." if other_source else "."))
if dates["derived"]:
    st.caption(shared.derived_note(moment.time_range, list_date))

consistent = None
with guarded("the most consistent artists"):
    consistent, days = time_machine.consistent_artists(list_date, moment.time_range, moment.window)

share = time_machine.turnover(top)
cards = st.columns(5)
cards[0].metric("Tracks on the list", f"{len(top):,}")
cards[1].metric("Turnover", "—" if share is None else f"{share:.0%}",
                help="The share of this list that was not on the list before it.")
cards[2].metric("New", f"{(top['movement'] == 'new').sum():,}",
                help="Never on a list of this time range before.")
cards[3].metric("Back", f"{(top['movement'] == 'back').sum():,}",
                help="On an earlier list, but not on the one just before.")
since = time_machine.window_start(list_date, moment.window)
over = "up to" if moment.window is None else f"from {since} to"
if consistent is not None and not consistent.empty:
    best = consistent.iloc[0]
    cards[4].metric("Most consistent artist", plain(best["artist"]),
                    help=f"On {best['days']:,} of the {days:,} lists {over} {list_date}.")

tables.top_list(top, f"top_list_{moment.time_range}_{list_date}")
if not top.empty:
    st.page_link("pages/history.py", label="Rank history of this list's top 5", icon="📈",
                 query_params=History(tuple(top["track_id"].head(5)),
                                      moment.time_range).query_params())

if consistent is not None:
    st.subheader("Most consistent artists")
    if consistent.empty:
        st.caption("No artist names on these lists.")
    else:
        st.caption(f"Artists on the most of the {days:,} lists {over} {list_date}, counting "
                   "the lists with at least one of their tracks.")
        tables.artists(consistent)
