"""Rank history: where the tracks you pick stood on every list, rank 1 at the top, with gaps
where a track was not on the list."""

import streamlit as st

from db.model.snapshots import TIME_RANGES
from queries import core, history, shared
from ui import charts, entry, page_state, tables
from ui.guard import guarded
from ui.state.links import ALL, ALL_TIME_RANGES, DEFAULT_RANGE
from ui.state.rank_history import MAX_TRACKS, STATE, History

entry.within_the_app()
st.title("Rank history")

state = st.session_state
current, hints, starting = page_state.take_up(STATE, ("hist_tracks", "hist_range"))
page_state.show_hints(hints)


def names_of(charted, named) -> dict[str, str]:
    """track id -> "track — artist", of the charted tracks and those the link named."""
    found = {}
    for frame in (charted, named if named is not None else charted.iloc[:0]):
        found |= {row.track_id: f"{row.track} — {row.artist or '—'}" for row in frame.itertuples()}
    return found


def first_tracks(names: dict[str, str]) -> list[str]:
    """What a page opened from a link shows: the link's tracks that are in the library, else the
    top of the latest short-term list."""
    return [t for t in current.tracks if t in names] or history.latest_top(DEFAULT_RANGE)


def the_first_history() -> None:
    named = history.track_names(current.tracks) if current.tracks else None
    picked = first_tracks(names_of(history.charted_tracks(), named))
    if picked:
        history.rank_history(tuple(picked), None if current.time_range == ALL
                             else current.time_range)


if starting:  # the ranks of the tracks that the names and the latest list (asked first) pick
    core.together(the_first_history)
charted = named = None
with guarded("the tracks to choose from"):
    charted = history.charted_tracks()
    named = history.track_names(current.tracks) if current.tracks else None
if charted is None:
    st.stop()
if charted.empty:
    st.info("No track has been on a list yet. Import your history on the Data page, or load demo "
            "data with `python -m db seed-demo`.")
    st.stop()

names = names_of(charted, named)
if named is not None:
    unknown = [t for t in current.tracks if t not in names]
    if unknown:
        page_state.show_hints([f"{len(unknown)} track(s) in the link are not in the library; "
                               "left out."])
if starting:
    picked = []
    with guarded("the latest list"):
        picked = first_tracks(names)
    state["hist_tracks"] = picked
    state["hist_range"] = current.time_range

left, right = st.columns([3, 1])
left.multiselect("Tracks", list(names), key="hist_tracks", format_func=names.get,
                 max_selections=MAX_TRACKS, on_change=page_state.forget_hints, args=(STATE,),
                 help="Tracks that were on a list, best first; type to search.",
                 placeholder="Choose tracks")
right.selectbox("Time range", [*TIME_RANGES, ALL], key="hist_range",
                format_func=lambda v: TIME_RANGES.get(v, ALL_TIME_RANGES),
                on_change=page_state.forget_hints, args=(STATE,))
chosen = History(tuple(state["hist_tracks"]), state["hist_range"])
page_state.give_back(STATE, chosen)

if not chosen.tracks:
    st.caption("Choose one or more tracks to see their rank over time.")
    st.stop()

with guarded("the rank history"):
    by_range = chosen.time_range == ALL
    ranks = history.rank_history(chosen.tracks, None if by_range else chosen.time_range)
    if ranks["rank"].notna().sum() == 0:
        st.info("These tracks were never on a list of this time range. Try all time ranges.")
        st.stop()
    short = {t: names[t].split(" — ")[0] for t in chosen.tracks}
    st.plotly_chart(charts.rank_history_figure(ranks, short, by_range), width="stretch")
    st.caption("Rank 1 is at the top; a gap is a list the track was not on. One line per track"
               + (" and time range." if by_range else "."))
    shown = ranks.dropna(subset=["rank"]).assign(track=lambda f: f["track_id"].map(short))
    derived = int(shown["derived"].sum())
    if derived:
        st.caption(f"{derived:,} of the {len(shown):,} ranks shown are from lists "
                   f"{shared.DERIVED.lower()} (the Source column below; hover a point to see "
                   "its own). " + shared.derived_note(None if by_range else chosen.time_range))
    tables.show(tables.readable(shown), "rank_history", {
        "snapshot_date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
        "time_range": "Time range", "track": "Track",
        "rank": st.column_config.NumberColumn("Rank", format="#%d"),
        "source": tables.SOURCE_COLUMN}, all_rows=False)
