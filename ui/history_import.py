"""The Data page's streaming-history section: Spotify's data export (a zip of JSON files) checked
with a dry run or imported, with progress and a report.

Everything the file brought (its name, the report's line) is shown as plain text (st.text, a
dataframe); Markdown elements only ever hold this module's own words or text made plain.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import psycopg
import streamlit as st

from db.errors import DatabaseError, DatabaseUnavailable, first_line
from db.ingest import streaming_history
from db.model.access import Grant
from queries import data
from ui.guard import guarded
from ui.tables import ROW_PX
from ui.text import plain

RESULT_KEY = "history_result"  # (the zips' file_ids, HistoryReport or the refusal's line)
# Where each of the importer's stages sits on the one bar: reading and parsing take most of the
# time on a big export, storing the rest; a dry run stops after storing (then rolls back).
STAGES = {"reading files": (0.0, 0.5), "storing plays": (0.5, 0.25),
          "deriving top lists": (0.75, 0.25)}


# How to ask Spotify for the export, said the same wherever a page needs it.
HOW_TO_EXPORT = (
    "To get it: on spotify.com, open **Account → Privacy settings**, tick **Extended streaming "
    "history** and request the data. Spotify e-mails a link to a zip when it is ready, which can "
    "take up to 30 days.")


def intro(grant: Grant, after_write: Callable[[], None]) -> None:
    """What the export is and how to get it, and what it has brought so far. The zip itself goes
    in the page's one file uploader (zips()); the details of the tracks it named, ui/details.py."""
    # Not "data export" in the heading: a heading holding "Data" would be a second match for
    # the page's title wherever the page is found by its heading (tests/support/browser.py).
    st.subheader("Streaming history (Spotify's export)")
    st.caption("Every play of your listening life, from Spotify's data export. " + HOW_TO_EXPORT
               + " Drop the zip as it came under Import files below: the "
               "plays of music are stored (podcasts and videos are left out) and a daily top "
               "list is derived from them for every day Spotify's own lists do not cover.")
    with guarded("the plays so far"):
        st.caption(_so_far(data.plays_so_far()))


def zips(uploads: list, grant: Grant, after_write: Callable[[], None]) -> None:
    """The export's zips among the uploads (usually one; several are read as one export): a dry
    run or an import on request, as a decade's export takes a while to read, and the report."""
    if not uploads:
        st.session_state.pop(RESULT_KEY, None)
        return
    st.markdown("**Spotify's data export**")
    st.text(", ".join(upload.name for upload in uploads))
    buttons = st.container(horizontal=True)
    dry_run = buttons.button("Dry run", key="history_dry_run",
                             help="Check the export and count what it would add; nothing is "
                                  "written.")
    write = buttons.button("Import", type="primary", key="history_import")
    files = tuple(upload.file_id for upload in uploads)
    if dry_run or write:
        result = _run(uploads, grant, dry_run=not write)
        st.session_state[RESULT_KEY] = (files, result)
        if write and not isinstance(result, str):
            after_write()
            st.rerun()  # the counts above and the imports below now include this one
    done_with, result = st.session_state.get(RESULT_KEY, (None, None))
    if done_with == files:
        _show(result)


def _so_far(plays: dict) -> str:
    if not plays["plays"]:
        return "No plays imported yet."
    return (f"Stored so far: {plays['plays']:,} plays of {plays['tracks']:,} tracks, from "
            f"{plays['first_play']:%Y-%m-%d} to {plays['last_play']:%Y-%m-%d}.")


def _run(uploads: list, grant: Grant, dry_run: bool) -> streaming_history.HistoryReport | str:
    """The importer on the uploaded zips (held in memory, never written to disk): its report, or
    the line that says why it refused (nothing was written)."""
    bar = st.progress(0.0, text="Checking the export…" if dry_run else "Importing…")

    def progress(stage: str, done: int, total: int) -> None:
        start, width = STAGES.get(stage, (0.0, 1.0))
        share = start + width * (done / total if total else 1.0)
        bar.progress(min(max(share, 0.0), 1.0), text=f"{stage.capitalize()} ({done:,} of "
                                                      f"{total:,})")

    try:
        return streaming_history.import_history(
            [streaming_history.Upload(upload.name, upload.getvalue()) for upload in uploads],
            grant, dry_run=dry_run, progress=progress)
    except DatabaseUnavailable as exc:
        return exc.public  # a visitor learns no host, user or database name
    except (DatabaseError, psycopg.Error) as exc:
        return first_line(exc)
    finally:
        bar.empty()


def _show(result: streaming_history.HistoryReport | str) -> None:
    if isinstance(result, str):
        st.error(plain(result), icon="🚫")
        return
    if result.dry_run:
        st.info("Dry run: nothing was written. Import stores what is counted here.", icon="🔍")
    else:
        st.success("Imported.", icon="✅")
    st.text(result.line())
    table = report_table(result)
    st.dataframe(table, hide_index=True, width="stretch", height=ROW_PX * (len(table) + 1) + 3,
                 column_config={"what": "Report", "value": " "})  # every row, no scrolling


def report_table(report: streaming_history.HistoryReport) -> pd.DataFrame:
    """The report as rows of (what, value), every value as text."""
    would = report.dry_run
    rows = [
        ("Plays that would be added" if would else "Plays added", f"{report.plays_new:,}"),
        ("Plays already stored", f"{report.plays_stored:,}"),
        ("Plays repeated in this export", f"{report.repeated:,}"),
        ("Tracks that would be new" if would else "Tracks new", f"{report.tracks_new:,}"),
        ("Plays from", "—" if report.first_play is None else
         f"{report.first_play:%Y-%m-%d} to {report.last_play:%Y-%m-%d}"),
        ("Files read", f"{report.files:,}"),
        ("Rows read", f"{report.rows_read:,}"),
        *((f"Skipped: {reason}", f"{count:,}") for reason, count in sorted(report.skipped.items())),
    ]
    lists = report.lists
    if would:
        rows.append(("Derived top lists", "derived when imported"))
    elif lists is None or not (lists.days or lists.removed):
        rows.append(("Derived top lists", "unchanged"))
    else:
        rows += [("Derived top lists", f"{lists.days:,} (a day and time range each)"
                  + (f", {lists.first_day} to {lists.last_day}" if lists.first_day else "")),
                 ("Ranks on them", str(lists.counts)),
                 ("Ranks taken off them", f"{lists.removed:,}")]
    return pd.DataFrame(rows, columns=["what", "value"])
