"""Comparison of two dates (their top lists) or two periods (the tracks on the lists between
each period's dates, by their best rank there): what entered, what dropped, who moved most, and
the release-decade and explicit mix of each side.

Both sides come from questions other pages ask already (the time machine's list, the dashboard's
charted tracks), so they share those pages' cached answers; what is new here is pandas work on
two frames of at most a few thousand rows, and for a period how many of its lists are derived
from the streaming history (the rollups behind its best ranks do not know a rank's source).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from queries import dashboard, time_machine
from queries.core import cached, frame
from queries.shared import MIXED_SOURCES, SOURCES

EXPLICIT_ORDER = {"Explicit": -2, "Clean": -1}
LAST = {label: n for n, label in enumerate(dashboard.UNSURE, 1)}  # Unknown, then No details yet
TRACK_COLUMNS = ["track_id", "track", "artist", "album", "year", "explicit", "awaiting"]

# A period's lists and how many are derived. A list is all Spotify's or all derived, so a derived
# list is a list date with no row in snapshots (which holds Spotify's lists only, migration 0013):
# one probe of its date index per date, never a read of the period's ranks.
PERIOD_LISTS_SQL = """
SELECT count(*) AS lists,
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM snapshots s
           WHERE s.snapshot_date = d.snapshot_date
             AND s.time_range = d.time_range)) AS derived_lists
FROM snapshot_dates d
WHERE d.time_range = %(time_range)s AND d.snapshot_date BETWEEN %(start)s AND %(end)s
"""


@cached
def period_lists(start, end, time_range: str) -> dict:
    """lists: the lists of the time range dated in [start, end]; derived_lists: how many of them
    are derived from the streaming history."""
    row = frame(PERIOD_LISTS_SQL, {"start": start, "end": end, "time_range": time_range}).iloc[0]
    return {"lists": int(row["lists"]), "derived_lists": int(row["derived_lists"])}


def side_source(about: dict) -> str | None:
    """The source label of a side's lists: Spotify, Streaming history, both (a period), or None
    when it has no list."""
    if not about["lists"]:
        return None
    if about["derived_lists"] in (0, about["lists"]):
        return SOURCES[about["derived_lists"] > 0]
    return MIXED_SOURCES


def side_tracks(start: dt.date, end: dt.date, period: bool, time_range: str
                ) -> tuple[pd.DataFrame, dict]:
    """The tracks of one side, the list on `start` (as the time machine shows it) or (`period`)
    the lists dated in [start, end], with their `position` (rank on the date's list, or best rank
    in the period) and the `source` of the side's lists, best first; and what the side stands
    for: the list's date for a date (None before the first list; None for a period), its lists
    and how many of them are derived."""
    if not period:
        dates = time_machine.list_dates(start, time_range)
        # The time machine's very question (same arguments): one cached answer for both pages.
        top = time_machine.top_list(dates["list_date"], dates["previous_date"], time_range)
        tracks = top.rename(columns={"rank": "position"})
        about = {"list_date": dates["list_date"], "lists": int(dates["list_date"] is not None),
                 "derived_lists": int(bool(dates["derived"]))}
    else:
        charted = dashboard.charted_tracks(start, end, time_range)
        tracks = charted.rename(columns={"best_rank": "position"})
        about = {"list_date": None} | period_lists(start, end, time_range)
    tracks = tracks[[*TRACK_COLUMNS, "position"]].reset_index(drop=True)
    return tracks.assign(source=side_source(about)), about


def compare(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """entered: in b only (by b's position); dropped: in a only (by a's position); movers: in
    both with another position (change = a's position - b's, so up is positive; the largest
    moves first, then by b's position), with each side's source; both: every track in both."""
    both = a.merge(b[["track_id", "position", "source"]], on="track_id", suffixes=("_a", "_b"))
    both["change"] = both["position_a"] - both["position_b"]
    movers = both[both["change"] != 0]
    movers = movers.assign(size=movers["change"].abs()).sort_values(
        ["size", "position_b", "track_id"], ascending=[False, True, True]).drop(columns="size")
    return {
        "entered": b[~b["track_id"].isin(a["track_id"])].reset_index(drop=True),
        "dropped": a[~a["track_id"].isin(b["track_id"])].reset_index(drop=True),
        "movers": movers.reset_index(drop=True),
        "both": both,
    }


def mix(a: pd.DataFrame, b: pd.DataFrame, labels: tuple[str, str]
        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Release decades and explicit/clean/unknown of each side, side by side: a column of
    track counts per side (a category one side lacks counts 0), categories in order."""
    decades = _side_by_side(dashboard.decades_of, "decade", a, b, labels)
    explicit = _side_by_side(dashboard.explicit_of, "content", a, b, labels)
    return decades, explicit


def _side_by_side(of, key: str, a: pd.DataFrame, b: pd.DataFrame, labels: tuple[str, str]
                  ) -> pd.DataFrame:
    counts = {label: of(dashboard.facet_counts(side)).set_index(key)["tracks"]
              for label, side in zip(labels, (a, b), strict=True)}
    joined = pd.DataFrame(counts).fillna(0).astype(int)
    order = sorted(joined.index, key=lambda k: (LAST.get(k, 0), EXPLICIT_ORDER.get(k, 0), k))
    return joined.loc[order].rename_axis(key).reset_index()
