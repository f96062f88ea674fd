"""Comparison of two dates (their top lists) or two periods (the tracks on the lists between
each period's dates, by their best rank there): what entered, what dropped, who moved most, and
the release-decade and explicit mix of each side.

Both sides come from questions other pages ask already (the time machine's list, the dashboard's
charted tracks), so they share those pages' cached answers; what is new here is pandas work on
two frames of at most a few thousand rows.
"""

from __future__ import annotations

import pandas as pd

from queries import dashboard, time_machine
from queries.links import Side
from queries.shared import UNKNOWN

EXPLICIT_ORDER = {"Explicit": -2, "Clean": -1}
TRACK_COLUMNS = ["track_id", "track", "artist", "album", "year", "explicit"]


def side_tracks(side: Side, time_range: str) -> tuple[pd.DataFrame, dict]:
    """The tracks of one side with their `position` (rank on the date's list, or best rank in
    the period), best first; and what the side stands for: the list's date for a date (None
    before the first list), the period otherwise."""
    if side.single:
        dates = time_machine.list_dates(side.start, time_range)
        # The time machine's very question (same arguments): one cached answer for both pages.
        top = time_machine.top_list(dates["list_date"], dates["previous_date"], time_range)
        tracks = top.rename(columns={"rank": "position"})
        about = {"list_date": dates["list_date"]}
    else:
        charted = dashboard.charted_tracks(side.start, side.end, time_range)
        tracks = charted.rename(columns={"best_rank": "position"})
        about = {"list_date": None}
    return tracks[[*TRACK_COLUMNS, "position"]].reset_index(drop=True), about


def compare(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """entered: in b only (by b's position); dropped: in a only (by a's position); movers: in
    both with another position (change = a's position - b's, so up is positive; the largest
    moves first, then by b's position); both: every track in both."""
    both = a.merge(b[["track_id", "position"]], on="track_id", suffixes=("_a", "_b"))
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
    order = sorted(joined.index, key=lambda k: (k == UNKNOWN, EXPLICIT_ORDER.get(k, 0), k))
    return joined.loc[order].rename_axis(key).reset_index()
