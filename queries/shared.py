"""Facts every page uses: the span of the snapshots, and whether the data is the demo's."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from db import meta
from queries.core import cached, frame

UNKNOWN = "Unknown"

BOUNDS_SQL = "SELECT min(snapshot_date), max(snapshot_date) FROM snapshot_dates"


@cached
def snapshot_bounds() -> tuple[dt.date | None, dt.date | None]:
    """The first and last snapshot dates (None, None on an empty database)."""
    first, last = frame(BOUNDS_SQL).iloc[0]
    return (first if pd.notna(first) else None, last if pd.notna(last) else None)


@cached
def demo_info() -> dict | None:
    """What demo data the database holds (None: the user's own)."""
    return meta.get_meta(meta.DEMO_KEY)
