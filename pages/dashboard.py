"""The default page: how much, and from which eras."""

import streamlit as st

import charts
from queries import dashboard

st.title("Dashboard")

numbers = dashboard.summary()
latest = numbers["latest_snapshot"]
cards = st.columns(4)
cards[0].metric("Tracks", f"{numbers['tracks']:,}")
cards[1].metric("Snapshot days", f"{numbers['snapshot_days']:,}")
cards[2].metric("Artists", f"{numbers['artists']:,}")
cards[3].metric("Latest snapshot", latest.isoformat() if latest else "—")

if not numbers["tracks"]:
    st.info("No tracks yet. Load some with `python -m db seed-demo`, or import your history.")
else:
    decades = dashboard.release_decades()
    st.plotly_chart(charts.release_decades_figure(decades), width="stretch")
    st.download_button("Download release decades (CSV)", decades.to_csv(index=False),
                       file_name="release_decades.csv", mime="text/csv")
