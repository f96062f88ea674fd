"""Year in review: a year's minutes, streams, top tracks and artists, top month, discoveries and
the track returned to most, beside the same figures for the year before; a link to every year
with streams. All from the listening rollups (queries/recap.py)."""

import streamlit as st

from db.derive.streams import STREAM_RULE
from queries import core, recap
from ui import charts, entry, page_state, tables
from ui.guard import guarded
from ui.history_import import HOW_TO_EXPORT
from ui.state.recap import STATE, Recap
from ui.state.tracks import TrackQuery
from ui.text import plain

MISSING = "—"
entry.within_the_app()
st.title("Year in review")
state = st.session_state

# The page's one value lives in its URL and it draws no widget, so the URL is read on every run:
# a link to another year is this same page (page_state.take_up reads links only on entering a
# page). Without a year in the URL it shows what it showed last in this session.
given = {key: value for key, value in st.query_params.to_dict().items() if key in STATE.params}
shown_last = state.get(STATE.key)
if given or shown_last is None:
    asked, hints = STATE.parse(given)
else:
    asked, hints = shown_last, []
page_state.show_hints(hints)


def asked_ahead(part, earlier: bool):
    """One figure of the year shown (or of the year before), once the years are known."""
    def question() -> None:
        known = recap.years()
        shown = asked.year or (known[0] if known else None)
        if shown is not None and shown - earlier in known:
            part(shown - earlier)
    return question


# The years come with the data version (streamlit_app.py); then every figure of both years at once.
core.together(*(asked_ahead(part, earlier) for part in recap.PARTS for earlier in (False, True)))
years = zone = None
with guarded("the years with plays"):
    years = recap.years()
    zone = recap.rollup_zone()
if years is None:
    st.stop()
page_state.give_back(STATE, asked)
if given and shown_last not in (None, asked):
    # Streamlit (1.67) runs a link to this same page with the link's query string but leaves the
    # browser's address as it was: say the year again so that the address follows.
    st.query_params.from_dict(asked.query_params())

if not years:
    st.info("No plays yet: your year in review is made from Spotify's data export of your "
            "streaming history. " + HOW_TO_EXPORT + " Then import the zip on the Data page.",
            icon="🎧")
    st.page_link("pages/data.py", label="Import your streaming history on the Data page",
                 icon="📥")
    st.stop()

year = asked.year or years[0]


def year_links() -> None:
    """Every year with streams, the latest first; the one shown is a badge, not a link."""
    with st.container(horizontal=True, gap="small"):
        for each in years:
            if each == year:
                st.badge(str(each), color="green", icon=":material/check:")
            else:
                st.page_link("pages/recap.py", label=str(each),
                             query_params=Recap(each).query_params())


year_links()
if year not in years:
    listed = ", ".join(str(y) for y in years)
    st.info(f"No streams in {year}. The years with streams: {listed}. Pick one above.")
    st.stop()

before = year - 1
st.caption(
    f"{year}, beside {before}, counted in the time zone {plain(zone)}: a stream is {STREAM_RULE}, "
    "on the local day it ended; minutes "
    "are the streams' playing time; a track is discovered in the year of its first stream ever; "
    "returned to most: the track streamed on the most different days. Top lists rank by streams "
    "(then minutes).")

reviews: dict[int, recap.Review] = {}
with guarded(f"the figures of {year}"):
    reviews[year] = recap.review(year)
if before in years:
    with guarded(f"the figures of {before}"):
        reviews[before] = recap.review(before)
if year not in reviews:
    st.stop()


def change(now, then, places: int = 0) -> str | None:
    """A metric's delta against the year before (None: no year before to compare with)."""
    return None if then is None else f"{now - then:+,.{places}f}"


def cards(shown: int, other: recap.Review | None) -> None:
    this = reviews.get(shown)
    st.subheader(str(shown))
    if this is None:
        st.caption(f"No streams in {shown}." if shown not in years
                   else f"The figures of {shown} could not be loaded.")
    top, middle = st.columns(3), st.columns(2)
    top[0].metric("Minutes", MISSING if this is None else f"{this.minutes:,.0f}",
                  delta=None if this is None or other is None
                  else change(this.minutes, other.minutes))
    top[1].metric("Streams", MISSING if this is None else f"{this.streams:,}",
                  delta=None if this is None or other is None
                  else change(this.streams, other.streams))
    top[2].metric("Discovered", MISSING if this is None else f"{this.discovered:,}",
                  delta=None if this is None or other is None
                  else change(this.discovered, other.discovered),
                  help="Tracks whose first stream ever was in this year.")
    month = this.top_month if this else None
    month_minutes = (this.months.set_index("month").loc[month, "minutes"] if month else None)
    middle[0].metric("Top month", month.strftime("%B") if month else MISSING,
                     help=f"{month_minutes:,.0f} minutes." if month else None)
    returned = this.most_returned if this else None
    if returned is not None and len(returned):
        first = returned.iloc[0]
        days = int(first["days"])
        middle[1].metric("Returned to most", f"{days:,} day{'' if days == 1 else 's'}",
                         help=f"The track streamed on the most different days of {shown}.")
        # Its name in full (a metric would cut it short), as a link to the track's page.
        st.page_link("pages/tracks.py", icon=":material/replay:", width="stretch",
                            label=plain(f"{first['track'] or MISSING} — "
                                        f"{first['artist'] or MISSING}"),
                            query_params=TrackQuery(track=first["track_id"]).query_params())
    else:
        middle[1].metric("Returned to most", MISSING)


def track_table(shown: int) -> None:
    this = reviews.get(shown)
    if this is None:
        st.caption(MISSING)
        return
    tables.show(tables.readable(this.top_tracks[
        ["rank", "track", "artist", "streams", "minutes", "days", "track_id"]]),
        f"top_tracks_{shown}", {
            "rank": st.column_config.NumberColumn("#", format="%d"),
            **tables.TRACK_COLUMN, **tables.ARTIST_COLUMN,
            "streams": st.column_config.NumberColumn("Streams", format="%d"),
            "minutes": st.column_config.NumberColumn("Minutes", format="%.0f")})


def artist_table(shown: int) -> None:
    this = reviews.get(shown)
    if this is None:
        st.caption(MISSING)
        return
    tables.show(this.top_artists[["rank", "artist", "streams", "minutes", "tracks"]],
                f"top_artists_{shown}", {
                    "rank": st.column_config.NumberColumn("#", format="%d"),
                    **tables.ARTIST_COLUMN,
                    "streams": st.column_config.NumberColumn("Streams", format="%d"),
                    "minutes": st.column_config.NumberColumn("Minutes", format="%.0f"),
                    "tracks": st.column_config.NumberColumn("Tracks", format="%d")})


now_side, before_side = st.columns(2, gap="large")
with now_side, st.container(border=True):
    cards(year, reviews.get(before))
with before_side, st.container(border=True):
    cards(before, None)

st.plotly_chart(charts.minutes_per_month_figure(
    {y: r.months for y, r in reviews.items()}), width="stretch")

for heading, table in (("Top tracks", track_table), ("Top artists", artist_table)):
    st.subheader(heading)
    for side, shown in zip(st.columns(2, gap="large"), (year, before), strict=True):
        with side:
            st.caption(str(shown))
            table(shown)
