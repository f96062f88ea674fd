"""Facts every page uses: the span of the snapshots, whether the data is the demo's, and how a
list derived from the streaming history is told from Spotify's own."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from db.derive.streams import STREAM_RULE
from db.model import meta
from db.model.snapshots import WINDOW_DAYS
from db.model.tracks import AWAITING
from queries.core import cached, every_run, frame

UNKNOWN = "Unknown"  # Spotify's object lacks the field
NO_DETAILS = "No details yet"  # a track known from plays whose object is not fetched yet
# Whether a row of tracks still awaits its Spotify object (db.model.tracks.AWAITING), as a column.
AWAITING_SQL = f"({AWAITING})"

BOUNDS_SQL = "SELECT min(snapshot_date), max(snapshot_date) FROM snapshot_dates"

# Where a list came from, as every table, CSV download and hover label says it (snapshots.derived).
SOURCES = {False: "Spotify", True: "Streaming history"}
MIXED_SOURCES = f"{SOURCES[False]} and {SOURCES[True].lower()}"  # a period holding both
DERIVED = "Derived from your streaming history"


def source(derived) -> str | None:
    """The source label of a snapshots.derived value (None: no rank, so no source)."""
    return None if derived is None or pd.isna(derived) else SOURCES[bool(derived)]


def derived_note(time_range: str | None = None, day: dt.date | None = None) -> str:
    """What a derived list is, for a caption: for one time range its window (ending on `day`,
    or on each list's day), else the three windows."""
    if time_range:
        days = f"{WINDOW_DAYS[time_range]} days"
    else:
        *most, last = WINDOW_DAYS.values()
        days = f"{', '.join(map(str, most))} or {last} days (by time range)"
    ending = f"ending on {day}" if day else "ending on each list's day"
    return (f"{DERIVED}: not Spotify's own list, but your tracks ranked by streams (a stream is "
            f"{STREAM_RULE}) in the {days} {ending}.")


@every_run
@cached
def snapshot_bounds() -> tuple[dt.date | None, dt.date | None]:
    """The first and last snapshot dates (None, None on an empty database)."""
    first, last = frame(BOUNDS_SQL).iloc[0]
    return (first if pd.notna(first) else None, last if pd.notna(last) else None)


@every_run
@cached
def demo_info() -> dict | None:
    """What demo data the database holds (None: the user's own)."""
    found = frame(meta.GET_SQL, (meta.DEMO_KEY,))
    return None if found.empty else found.iloc[0, 0]
