"""The plays of a track or an artist, as the Tracks page shows them: first and last stream (local
date and time in MTM_TIMEZONE), streams, minutes and streams per month; for an artist also its
top tracks and how many of its tracks were on lists. Every figure comes from the listening
rollups (queries/tracks.py), never from the plays themselves."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from db.derive import local_time
from db.derive.streams import STREAM_RULE, minutes
from queries import shared, tracks
from ui import charts, tables
from ui.text import plain

TOP_TRACKS = 50
NO_HISTORY = ("No streaming history imported yet: the Data page takes Spotify's export "
              "(Account → Privacy).")


def local_time_text(moment, zone: str) -> str:
    """A UTC moment as its local date and time in `zone` ("—" for none)."""
    if moment is None or pd.isna(moment):
        return tables.MISSING
    return pd.Timestamp(moment).tz_convert(zone).strftime("%Y-%m-%d %H:%M")


def minutes_text(ms: int) -> str:
    return f"{minutes(ms):,.0f}"


def _figures(plays: tracks.Plays, zone: str) -> None:
    # Two rows of two: a date and time is too wide for a quarter of the page.
    for row in ((("Streams", f"{plays.streams:,}"), ("Minutes", minutes_text(plays.ms))),
                (("First stream", local_time_text(plays.first_at, zone)),
                 ("Last stream", local_time_text(plays.last_at, zone)))):
        for card, (label, value) in zip(st.columns(2), row, strict=True):
            card.metric(label, value)
    st.caption(f"A stream is {STREAM_RULE}; "
               f"minutes are the time those streams played. Dates and times in {plain(zone)}.")
    st.plotly_chart(charts.streams_per_month_figure(plays.months), width="stretch")


def _no_streams(what: str) -> None:
    st.caption(f"No streams of {what} in your streaming history." if tracks.any_plays()
               else NO_HISTORY)


def track_plays(track_id: str) -> None:
    """The track view's plays: its figures, or one line that it has none."""
    st.subheader("Plays")
    plays = tracks.track_plays(track_id)
    if plays.streams == 0:
        _no_streams("this track")
    else:
        _figures(plays, local_time.zone_name())


def _local_column(moments: pd.Series, zone: str) -> pd.Series:
    """Local wall-clock times (no zone, as the grid and the CSV show them)."""
    return pd.to_datetime(moments, utc=True).dt.tz_convert(zone).dt.tz_localize(None)


def _top_tracks(found: pd.DataFrame, zone: str) -> None:
    top = found[found["streams"] > 0].head(TOP_TRACKS)
    shown = tables.readable(top[["track_id", "track", "album", "streams"]].assign(
        minutes=minutes(top["ms"]).round(1),
        first_stream=_local_column(top["first_at"], zone),
        last_stream=_local_column(top["last_at"], zone),
        best_rank=top["best_rank"]))
    more = f"the {TOP_TRACKS} most streamed" if len(found[found["streams"] > 0]) > TOP_TRACKS \
        else "most streamed first"
    st.subheader("Top tracks")
    st.caption(f"By streams ({more}); a track opens its page in a new tab.")
    when = {"format": "YYYY-MM-DD HH:mm"}
    tables.show(shown, "artist_top_tracks", {
        **tables.TRACK_COLUMN, "album": "Album",
        "streams": st.column_config.NumberColumn("Streams"),
        "minutes": st.column_config.NumberColumn("Minutes", format="%.1f"),
        "first_stream": st.column_config.DatetimeColumn(f"First stream ({zone})", **when),
        "last_stream": st.column_config.DatetimeColumn(f"Last stream ({zone})", **when),
        "best_rank": st.column_config.NumberColumn("Best rank", format="#%d",
                                                   help="On any top list; empty: never on one.")},
        all_rows=False)


def artist_view(name: str) -> None:
    """The artist view: every track whose artist is exactly `name` (artists are told apart by
    name, as everywhere in the app)."""
    st.subheader(plain(name))
    found = tracks.artist_tracks(name)
    if found.empty:
        st.info(plain(f"No track by an artist named {name!r} in the library, so no plays "
                      "either. Artist names must match exactly."), icon="🔎")
        return
    count = len(found)
    st.caption(f"Artist: {count:,} track{'' if count == 1 else 's'} in the library.")
    on_lists = found["best_rank"].notna()
    if on_lists.any():
        st.caption(f"On your top lists: {on_lists.sum():,} of its {count:,} "
                   f"track{'' if count == 1 else 's'} (best rank #{int(found['best_rank'].min())}).")
    elif shared.snapshot_bounds()[0] is not None:
        st.caption("None of its tracks was on your top lists.")
    plays = tracks.artist_plays(name)
    if plays.streams == 0:
        _no_streams("this artist's tracks")
        return
    zone = local_time.zone_name()
    _figures(plays, zone)
    _top_tracks(found, zone)
