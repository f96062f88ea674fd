"""Tables the pages share: st.dataframe with column_config (links, numbers), every value from
the database shown as grid text (never Markdown), and a CSV download of what is shown.

Links to the Tracks page from any table (for every page):
- ``ARTIST_COLUMN``: put ``**tables.ARTIST_COLUMN`` in a column_config where ``"artist": "Artist"``
  would go; ``show()`` then draws the frame's ``artist`` names as links to the artist's view
  (``tracks?artist=NAME``). ``TRACK_COLUMN`` does the same for ``track`` (with ``track_id``): a
  link to the track's view. The grid shows the name as plain text (LinkColumn's display_text
  takes it back out of the URL, URL-decoded); the CSV download keeps the frame as it is (names,
  no URLs); the grid's own toolbar download holds the URLs. A link opens in a new tab.
- ``with_links(frame)`` adds those link columns to a frame drawn without ``show()``;
  ``artist_url(name)`` and ``track_url(id, name)`` are the URLs themselves.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import streamlit as st

from queries.shared import NO_DETAILS, SOURCES, source

MISSING = "—"
ROW_PX = 35  # st.dataframe's row height

# Links relative to the page they are on: every page's URL is the app's root plus its name, so
# they reach the Tracks page whatever path the app is served under.
ARTIST_LINK = "artist_link"  # grid-only columns that show() makes from artist, track_id/track
TRACK_LINK = "track_link"
_ARTIST_TEXT = r"\?artist=(.+)$"  # the name, back out of the URL
_TRACK_TEXT = r"#(.+)$"  # the name rides in the fragment, which the server never sees
ARTIST_COLUMN = {ARTIST_LINK: st.column_config.LinkColumn(
    "Artist", display_text=_ARTIST_TEXT, alignment="left",
    help="Open the artist's plays (in a new tab).")}
TRACK_COLUMN = {TRACK_LINK: st.column_config.LinkColumn(
    "Track", display_text=_TRACK_TEXT, alignment="left",
    help="Open the track's page (in a new tab).")}


def artist_url(name) -> str | None:
    """The artist view of `name` (exact, as tracks.artist_name holds it); None for no name
    (None, or the dash readable() puts in its place)."""
    if name is None or pd.isna(name) or name in ("", MISSING):
        return None
    return f"tracks?artist={quote(str(name), safe='')}"


def track_url(track_id, name) -> str | None:
    if track_id is None or pd.isna(track_id):
        return None
    shown = MISSING if name is None or pd.isna(name) or name == "" else str(name)
    return f"tracks?track={quote(str(track_id), safe='')}#{quote(shown, safe='')}"


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ARTIST_LINK (from `artist`) and TRACK_LINK (from `track_id` and `track`)
    where it has those columns."""
    out = frame.copy()
    if "artist" in out:
        out[ARTIST_LINK] = out["artist"].map(artist_url)
    if "track_id" in out and "track" in out:
        out[TRACK_LINK] = [track_url(i, n) for i, n in zip(out["track_id"], out["track"],
                                                          strict=True)]
    return out


TRACK_COLUMNS = {
    "track": "Track",
    **ARTIST_COLUMN,
    "album": "Album",
    "year": st.column_config.TextColumn("Year"),
    "explicit": st.column_config.TextColumn("Explicit"),
    "spotify_url": st.column_config.LinkColumn("Spotify", display_text="Open"),
}
SOURCE_COLUMN = st.column_config.TextColumn(
    "Source", help=f"{SOURCES[False]}: Spotify's own list. {SOURCES[True]}: a list derived from "
                   "your streaming history (ranked by streams).")


def movement_label(movement: str | None, change) -> str:
    if movement == "up":
        return f"▲ {int(change)}"
    if movement == "down":
        return f"▼ {-int(change)}"
    return {"same": "=", "new": "new", "back": "back"}.get(movement, MISSING)


def explicit_label(value) -> str:
    return MISSING if value is None or pd.isna(value) else ("yes" if value else "no")


def readable(tracks: pd.DataFrame) -> pd.DataFrame:
    """Missing names as a dash (not the grid's grey None), the explicit flag as yes/no/— (or
    "no details yet" for a track whose Spotify object is still to come, in place of the
    `awaiting` flag), and the `derived` flag as a `source` label in its place."""
    shown = tracks.copy()
    for column in ("track", "artist", "album"):
        if column in shown:
            shown[column] = shown[column].fillna(MISSING)
    awaiting = shown.pop("awaiting").astype(bool) if "awaiting" in shown else None
    if "explicit" in shown:
        shown["explicit"] = shown["explicit"].map(explicit_label)
        if awaiting is not None:
            shown.loc[awaiting, "explicit"] = NO_DETAILS.lower()
    if "derived" in shown:
        shown.insert(shown.columns.get_loc("derived"), "source", shown.pop("derived").map(source))
    return shown


def as_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV, whole numbers written whole. A column of whole numbers with a missing
    value (a year, a rank) is float in pandas and would be written 2021.0 and 19.0; as pandas'
    nullable integers it is written 2021 and an empty cell."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        known = values.dropna()
        if pd.api.types.is_float_dtype(values) and ((known % 1 == 0) & (known.abs() < 2**53)).all():
            out[column] = values.astype("Int64")
    return out.to_csv(index=False)


def show(shown: pd.DataFrame, name: str, column_config: dict, all_rows: bool = True,
         **kwargs):
    """Draw the table and a CSV download of it. all_rows: tall enough to need no scrolling."""
    height = ROW_PX * (len(shown) + 1) + 3 if all_rows and len(shown) <= 100 else "auto"
    grid = shown
    if "year" in shown:  # a dash in the grid (not a grey None); the CSV keeps an empty cell
        grid = shown.assign(year=shown["year"].map(lambda y: MISSING if pd.isna(y) else
                                                   str(int(y))))
    if ARTIST_LINK in column_config or TRACK_LINK in column_config:
        grid = with_links(grid)  # the grid's links; the CSV below keeps the names
    event = st.dataframe(grid, hide_index=True, width="stretch", height=height,
                         column_config=column_config,
                         column_order=[c for c in column_config if c in grid],
                         **kwargs)
    rows = f"{len(shown):,} row{'' if len(shown) == 1 else 's'}"
    st.download_button(f"Download (CSV, {rows})", as_csv(shown),
                       file_name=f"{name}.csv", mime="text/csv", key=f"download-{name}")
    return event


def top_list(top: pd.DataFrame, name: str) -> None:
    shown = readable(top)
    shown["movement"] = [movement_label(m, c) for m, c in zip(top["movement"], top["change"],
                                                                strict=True)]
    show(shown, name, {
        "rank": st.column_config.NumberColumn("Rank", format="#%d"),
        "movement": st.column_config.TextColumn(
            "Move", help="Since the list before: ▲ up, ▼ down, = same place, new, or back "
                         "after a gap."),
        **TRACK_COLUMNS,
        "source": SOURCE_COLUMN,
    })


def artists(consistent: pd.DataFrame) -> None:
    show(readable(consistent), "consistent_artists", {
        **ARTIST_COLUMN,
        "days": st.column_config.NumberColumn("Lists", help="Lists with one of their tracks."),
        "tracks": st.column_config.NumberColumn("Tracks"),
        "best_rank": st.column_config.NumberColumn("Best", format="#%d"),
    })
