"""The default page: for the chosen period, how much, from which eras, how explicit."""

from functools import partial

import streamlit as st

from queries import core, dashboard
from ui import charts, details, entry, page_state, tables
from ui.guard import guarded
from ui.state.dashboard import STATE

entry.within_the_app()
filters = page_state.current(STATE)
args = (filters.start, filters.end, filters.time_range)
core.together(*(partial(question, *args) for question in (
    dashboard.summary, dashboard.snapshot_days, dashboard.details_waiting, dashboard.release_decades,
    dashboard.explicit_breakdown, dashboard.release_years, dashboard.top_tracks)))

st.title("Dashboard")
numbers = None
with guarded("the summary numbers"):
    numbers = dashboard.summary(*args)
    share = numbers["share_explicit"]
    latest = numbers["latest_snapshot"]
    cards = st.columns(5)
    cards[0].metric("Tracks", f"{numbers['tracks']:,}")
    cards[1].metric("Snapshot days", f"{numbers['snapshot_days']:,}")
    cards[2].metric("Artists", f"{numbers['artists']:,}")
    cards[3].metric("Share explicit", "—" if share is None else f"{share:.0%}",
                    help="Of the tracks whose explicit flag is known.")
    cards[4].metric("Latest snapshot", latest.isoformat() if latest else "—")

if numbers is not None and not numbers["tracks"]:
    # A link with a period can land on an empty database: widening it would not help.
    if filters.active and dashboard.summary(None, None, None)["tracks"]:
        st.info("No tracks charted in this period and time range. Try a wider date range, "
                "“All time”, or all time ranges.")
    else:
        st.info("No tracks yet. Load demo data with `python -m db seed-demo`, or import your "
                "history on the Data page.")
    st.stop()


with guarded("what the charts do not know yet"):
    waiting = dashboard.details_waiting(*args)
    if waiting["period"]:
        details.dashboard_notice(waiting)


def chart_with_download(figure, data, name):
    st.plotly_chart(figure, width="stretch")
    st.download_button(f"Download {name.replace('_', ' ')} (CSV)", tables.as_csv(data),
                       file_name=f"{name}.csv", mime="text/csv", key=f"download-{name}")


left, right = st.columns([3, 2])
with left, guarded("the release decades"):
    decades = dashboard.release_decades(*args)
    chart_with_download(charts.release_decades_figure(decades), decades, "release_decades")
with right, guarded("the explicit/clean breakdown"):
    explicit = dashboard.explicit_breakdown(*args)
    chart_with_download(charts.explicit_figure(explicit), explicit, "explicit_vs_clean")

with guarded("the release years"):
    years = dashboard.release_years(*args)
    chart_with_download(charts.release_years_figure(years), years, "release_years")

st.subheader("Top tracks in this period")
with guarded("the top tracks"):
    top = dashboard.top_tracks(*args)
    if top.empty:
        st.caption("No snapshots in this period, so no chart positions to show.")
    else:
        tables.show(tables.readable(top), "top_tracks", {
            "track": "Track", **tables.ARTIST_COLUMN, "album": "Album",
            "best_rank": st.column_config.NumberColumn("Best rank", format="#%d"),
            "days_charted": st.column_config.NumberColumn("Days charted"),
        })
