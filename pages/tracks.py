"""Tracks: search by track or artist name, one track's page (what its payload holds, its plays,
its rank history, the raw payload), an artist's plays (?artist=NAME, ui/plays.py), and the
explorer (questions about payloads, asked with JSONB operators, the SQL shown)."""

from functools import partial

import pandas as pd
import streamlit as st

from queries import core, history, tracks
from queries.shared import SOURCES
from ui import charts, entry, page_state, plays, tables
from ui.guard import guarded
from ui.state.links import ALL
from ui.state.rank_history import History
from ui.state.tracks import MAX_SEARCH, STATE, TrackQuery
from ui.text import plain

entry.within_the_app()
state = st.session_state


current, hints, starting = page_state.take_up(STATE, ("tracks_q", "tracks_explore"),
                                              tracks.QUESTIONS)
if starting:
    state["tracks_q"] = current.q
    state["tracks_explore"] = list(current.explore)


def open_track(track_id: str | None, artist: str | None = None) -> None:
    """Show a track, an artist, or (neither) the search again."""
    state[STATE.key] = TrackQuery(state["tracks_q"], track_id, tuple(state["tracks_explore"]), artist)
    if track_id is None and artist is None:
        # The way back: the browser forgot the search's widgets while the track was shown and
        # would draw them empty; values set here are sent with them.
        state["tracks_q"], state["tracks_explore"] = state["tracks_q"], state["tracks_explore"]


def release(detail: dict) -> str:
    date, precision = detail["release_date"], detail["release_date_precision"]
    if not date:
        return "Unknown"
    return f"{date} (to the {precision})" if precision in ("year", "month", "day") else str(date)


def duration(ms) -> str:
    if ms is None or pd.isna(ms):
        return "—"
    seconds = int(ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def track_view(track_id: str) -> None:
    detail = tracks.track_detail(track_id)
    if detail is None:
        st.warning("No track with this id in the library.", icon="🔎")
        return
    art, facts = st.columns([1, 3])
    if detail["album_art"] and str(detail["album_art"]).startswith("https://"):
        art.image(detail["album_art"], width=220)
    else:
        art.caption("No album art in the payload.")
    facts.subheader(plain(detail["name"]))
    artists = detail["artists"] if isinstance(detail["artists"], list) else None
    rows = {
        "Artists": ", ".join(str(a) for a in artists) if artists else detail["artist_name"],
        "Album": detail["album_name"],
        "Album type": detail["album_type"],
        "Released": release(detail),
        "Explicit": tables.explicit_label(detail["explicit"]),
        "Duration": duration(detail["duration_ms"]),
        "ISRC": detail["isrc"],
        "Track id": detail["track_id"],
    }
    # A dataframe shows every value as text, whatever it holds.
    facts.dataframe(pd.DataFrame({"": list(rows), "value": [v if v else "—" for v in rows.values()]}),
                    hide_index=True, width="stretch", column_config={"": "", "value": ""})
    url = detail["spotify_url"]
    if isinstance(url, str) and url.startswith("https://open.spotify.com/"):
        facts.link_button("Open in Spotify", url, icon="🎧")
    artist_url = tables.artist_url(detail["artist_name"])
    if artist_url:  # the name as plain text inside a link we build (quoted, relative)
        facts.markdown(f"All plays by [{plain(detail['artist_name'])}]({artist_url})")

    plays.track_plays(track_id)

    st.subheader("On the lists")
    summary = tracks.chart_summary(track_id)
    if summary.empty:
        st.caption("Never on a list.")
    else:
        tables.show(summary, f"charts_{track_id}", {
            "time_range": "Time range",
            "best_rank": st.column_config.NumberColumn("Best rank", format="#%d"),
            "days": st.column_config.NumberColumn("Days on lists"),
            "derived_days": st.column_config.NumberColumn(
                f"Days from {SOURCES[True].lower()}",
                help="Days on lists derived from your streaming history, not Spotify's own."),
            "first_on_list": st.column_config.DateColumn("First", format="YYYY-MM-DD"),
            "last_on_list": st.column_config.DateColumn("Last", format="YYYY-MM-DD")})
        ranks = history.rank_history((track_id,), None)
        st.plotly_chart(charts.rank_history_figure(ranks, {track_id: detail["name"]}, True),
                        width="stretch")
        st.page_link("pages/history.py", label="Compare with other tracks in Rank history",
                     icon="📈", query_params=History((track_id,), ALL).query_params())
    with st.expander("The payload (raw_json)"):
        st.json(detail["raw_json"], expanded=2)


st.title("Tracks")
page_state.show_hints(hints)
track_id = current.track
if track_id:
    core.together(*(partial(question, track_id) for question in (
        tracks.track_detail, tracks.chart_summary, tracks.track_plays)),
        partial(history.rank_history, (track_id,), None), tracks.any_plays)
    # The search's widgets are not drawn here: keep their values for the way back.
    state["tracks_q"], state["tracks_explore"] = state["tracks_q"], state["tracks_explore"]
    st.button("← Back to the search", on_click=open_track, args=(None,))
    with guarded("the track"):
        track_view(track_id)
    page_state.give_back(STATE, TrackQuery(state["tracks_q"], track_id,
                                           tuple(state["tracks_explore"])))
    st.stop()
if current.artist:
    core.together(*(partial(question, current.artist) for question in (
        tracks.artist_tracks, tracks.artist_plays)), tracks.any_plays)
    state["tracks_q"], state["tracks_explore"] = state["tracks_q"], state["tracks_explore"]
    st.button("← Back to the search", on_click=open_track, args=(None,))
    with guarded("the artist's plays"):
        plays.artist_view(current.artist)
    page_state.give_back(STATE, TrackQuery(state["tracks_q"], None,
                                           tuple(state["tracks_explore"]), current.artist))
    st.stop()

searched = " ".join(state["tracks_q"].split())
core.together(*([partial(tracks.search, searched)] if searched else []),
              partial(tracks.explore, tuple(state["tracks_explore"])))
# A link with explorer questions and no search opens on the explorer.
opening = "Explorer" if current.explore and not current.q else "Search"
search_tab, explorer_tab = st.tabs(["Search", "Explorer"], default=opening)
with search_tab:
    st.text_input("Track or artist name", key="tracks_q", max_chars=MAX_SEARCH,
                  on_change=page_state.forget_hints, args=(STATE,),
                  placeholder="e.g. midnight, or an artist's name")
    q = " ".join(state["tracks_q"].split())
    if q:
        with guarded("the search"):
            found = tracks.search(q)
            if found.empty:
                st.caption("No track or artist name matches.")
            else:
                st.caption(f"{len(found)}{'+' if len(found) >= tracks.SEARCH_LIMIT else ''} "
                           "matches: tracks that were on a list first (best rank first), then "
                           "the rest of the library. Select a row to open the track.")
                event = tables.show(tables.readable(found), "search", {
                    "best_rank": st.column_config.NumberColumn("Best rank", format="#%d"),
                    "track": "Track", **tables.ARTIST_COLUMN, "album": "Album"},
                    all_rows=False,
                    on_select="rerun", selection_mode="single-row",
                    key=f"search_table_{state.get('search_picks', 0)}")
                rows = event.selection.rows if event else []
                if rows:
                    # The browser keeps a table's selected row and sends it again when the table
                    # is drawn again: the way back would open this track once more. A table
                    # under a new key comes back with nothing selected.
                    state["search_picks"] = state.get("search_picks", 0) + 1
                    open_track(found.iloc[rows[0]]["track_id"])
                    st.rerun()
    else:
        st.caption("Search words at the start of track and artist names; among tracks that "
                   "were on a list, any part of a name.")

with explorer_tab:
    st.caption("Ask questions of the Spotify payloads stored in `raw_json` with PostgreSQL's "
               "JSONB operators: `@>` (contains) and `?` (has the key). Every question you "
               "choose must hold.")
    st.multiselect("Questions", list(tracks.QUESTIONS), key="tracks_explore",
                   format_func=lambda k: tracks.QUESTIONS[k][0],
                   on_change=page_state.forget_hints, args=(STATE,),
                   placeholder="Choose questions, e.g. Explicit")
    keys = tuple(state["tracks_explore"])
    st.code(tracks.explore_sql_text(keys), language="sql")
    with guarded("the explorer's answer"):
        found, more = tracks.explore(keys)
        total = len(found)
        if more:
            st.caption(f"More than {total:,} tracks match; the first {total:,} found, by name.")
        elif total:
            st.caption("1 track matches." if total == 1 else f"{total:,} tracks match, by name.")
        else:
            st.caption("No track matches all of these.")
        if total:
            tables.show(tables.readable(found), "explorer", tables.TRACK_COLUMNS, all_rows=False)

page_state.give_back(STATE, TrackQuery(" ".join(state["tracks_q"].split()), None,
                                       tuple(state["tracks_explore"])))
