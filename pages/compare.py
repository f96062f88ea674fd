"""Compare two dates (their top lists) or two periods: what entered, what dropped, the biggest
movers, and the release-decade and explicit mix of each side."""

from functools import partial

import streamlit as st

from db.model.snapshots import TIME_RANGES
from queries import compare, core, shared
from ui import charts, entry, page_state, tables
from ui.guard import guarded
from ui.state.compare import STATE

entry.within_the_app()
chosen = page_state.current(STATE)

st.title("Compare")
if chosen.a is None or chosen.b is None:  # the sidebar could not choose (database trouble)
    st.stop()


def side_tracks(side):
    return compare.side_tracks(side.start, side.end, side.period, chosen.time_range)


core.together(*(partial(side_tracks, side) for side in (chosen.a, chosen.b)))
sides = None
with guarded("the two lists"):
    (a, about_a), (b, about_b) = (side_tracks(side) for side in (chosen.a, chosen.b))
    sides = a, b
if sides is None:
    st.stop()


def described(side, about) -> str:
    if side.period:
        return f"{side.start} to {side.end}"
    if about["list_date"] is None:
        return f"{side.start} (no list yet)"
    if about["list_date"] != side.start:
        return f"{side.start} (the list of {about['list_date']})"
    return str(side.start)


label_a = f"A: {described(chosen.a, about_a)}"
label_b = f"B: {described(chosen.b, about_b)}"
what = "best rank in each period" if chosen.a.period else "rank on each date's list"
st.caption(f"{TIME_RANGES[chosen.time_range]}. {label_a} against {label_b}; positions are the "
           f"{what}.")


def source_of(name: str, side, about) -> str:
    """What a side's lists are: Spotify's own, derived from the streaming history, or (a period)
    how many of them are derived."""
    lists, derived = about["lists"], about["derived_lists"]
    if side.period and lists:
        what = f"{derived:,} of its {lists:,} lists derived from your streaming history"
    else:
        what = ("no list" if not lists else "derived from your streaming history" if derived
                else "Spotify's own list")
    return f"{name}: {what}"


if about_a["derived_lists"] or about_b["derived_lists"]:
    st.caption("; ".join(source_of(name, side, about) for name, side, about in
                         (("A", chosen.a, about_a), ("B", chosen.b, about_b)))
               + ". " + shared.derived_note(chosen.time_range))

if a.empty and b.empty:
    st.info("Neither side has any lists in this time range. Pick other dates, or import your "
            "history on the Data page.")
    st.stop()

result = compare.compare(a, b)
cards = st.columns(4)
cards[0].metric("Tracks in A", f"{len(a):,}")
cards[1].metric("Tracks in B", f"{len(b):,}")
cards[2].metric("Entered", f"{len(result['entered']):,}", help="In B, not in A.")
cards[3].metric("Dropped", f"{len(result['dropped']):,}", help="In A, not in B.")

decades, explicit = compare.mix(a, b, (label_a, label_b))
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.side_by_side_figure(decades, "decade", "Release decades"),
                    width="stretch")
with right:
    st.plotly_chart(charts.side_by_side_figure(explicit, "content", "Explicit vs clean"),
                    width="stretch")

POSITION = st.column_config.NumberColumn("Position", format="#%d")
movers_tab, entered_tab, dropped_tab = st.tabs(
    [f"Biggest movers ({len(result['movers']):,})", f"Entered ({len(result['entered']):,})",
     f"Dropped ({len(result['dropped']):,})"])
with movers_tab:
    if result["movers"].empty:
        st.caption("No track in both changed its position.")
    else:
        movers = tables.readable(result["movers"])
        movers["move"] = [("▲ " if c > 0 else "▼ ") + str(abs(int(c))) for c in movers["change"]]
        tables.show(movers, "compare_movers", {
            "move": st.column_config.TextColumn("Move", help="From A to B."),
            "position_a": st.column_config.NumberColumn("In A", format="#%d"),
            "position_b": st.column_config.NumberColumn("In B", format="#%d"),
            "track": "Track", **tables.ARTIST_COLUMN, "album": "Album",
            "source_a": st.column_config.TextColumn("Source in A"),
            "source_b": st.column_config.TextColumn("Source in B")}, all_rows=False)
for tab, key, nothing in ((entered_tab, "entered", "Nothing in B that was not in A."),
                          (dropped_tab, "dropped", "Nothing in A that is not in B.")):
    with tab:
        if result[key].empty:
            st.caption(nothing)
        else:
            tables.show(tables.readable(result[key]), f"compare_{key}",
                        {"position": POSITION, **tables.TRACK_COLUMNS,
                         "source": tables.SOURCE_COLUMN}, all_rows=False)
