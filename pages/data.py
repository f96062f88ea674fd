"""The Data page: connect Spotify and sync the top tracks; import Spotify's data export (every
play, ui/history_import.py); bring your own history in (Spotify JSON, the earlier app's SQLite
file) with a dry-run preview, a confirmation, progress and a report; and the imports and syncs so
far."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import streamlit as st

from db import ingest
from db.errors import DatabaseError
from db.ingest import json_files, legacy_sqlite
from db.model import access
from db.model.snapshots import EARLIEST_DATE, TIME_RANGES
from queries import core, data
from ui import details, entry, history_import
from ui import spotify as spotify_section
from ui.guard import guarded
from ui.startup import prepare_database
from ui.text import plain

GRANT_KEY = "write_grant"
PREVIEW_KEY = "import_previews"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")

entry.within_the_app()
st.title("Data")
st.caption("Bring your own history: sync your top tracks from Spotify every day, import "
           "Spotify's data export (every play you made), or import "
           "Spotify API responses saved as JSON (top tracks, saved tracks, recently played, track "
           "lists) or the earlier Music Time Machine's SQLite file. Each file is checked first "
           "and imported whole or not at all.")
spotify_section.finish_connecting()
core.together(data.plays_so_far, data.details_so_far)


def past() -> None:
    st.subheader("Imports and syncs so far")
    with guarded("the imports so far"):
        done = data.past_imports()
        if done.empty:
            st.caption("None yet.")
        else:
            st.dataframe(done, hide_index=True, width="stretch", column_config={
                "imported_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                "kind": "Kind", "source": "Source",
                # Empty for imports that are not a streaming-history export.
                "plays_inserted": st.column_config.NumberColumn("Plays new"),
                "plays_unchanged": st.column_config.NumberColumn("Plays already stored"),
                "rows_skipped": st.column_config.NumberColumn(
                    "Rows skipped", help="Podcasts, videos and other rows that are not plays "
                                         "of a track."),
                "tracks_inserted": "Tracks new", "tracks_updated": "Tracks updated",
                "tracks_unchanged": "Tracks unchanged", "snapshots_inserted": "Ranks new",
                "snapshots_updated": "Ranks updated", "snapshots_unchanged": "Ranks unchanged",
                "snapshots_removed": "Ranks removed"})


def details_so_far() -> None:
    with guarded("the track details so far"):
        details.progress()


if access.read_only():
    st.info("This app is read-only (`MTM_READ_ONLY`): its data cannot be changed here.",
            icon="🔒")
    spotify_section.visitor_status()
    details_so_far()
    past()
    st.stop()

if access.passphrase_required() and GRANT_KEY not in st.session_state:
    with st.form("unlock"):
        st.write("Importing changes this app's data: enter the admin passphrase.")
        given = st.text_input("Admin passphrase", type="password")
        if st.form_submit_button("Unlock"):
            try:
                st.session_state[GRANT_KEY] = access.unlock(given)
            except access.WriteRefused as exc:
                st.error(plain(f"{str(exc)[:1].upper()}{str(exc)[1:]}."), icon="🔒")
            else:
                st.rerun()
    spotify_section.visitor_status()
    details_so_far()
    past()
    st.stop()

grant = st.session_state.get(GRANT_KEY) or access.Grant("open")


def forget_previews() -> None:
    """The dry runs of the files below counted against the data a write has just changed."""
    st.session_state.pop(PREVIEW_KEY, None)


if access.writes_open() and not prepare_database().target.embedded:
    st.warning("Anyone who can open this app can import into its database: set "
               "`MTM_ADMIN_PASSWORD` (or `MTM_READ_ONLY`) in the app's secrets before you share "
               "its link.", icon="⚠️")

spotify_section.panel(grant)
history_import.intro(grant, after_write=forget_previews)
details.section(grant, after_write=forget_previews)
st.subheader("Import files")
# One uploader for every kind: the export's zip goes to its own importer (on request), the others
# are checked at once.
uploads = st.file_uploader("Spotify's data export (zip), JSON or SQLite files",
                           accept_multiple_files=True,
                           type=["zip", "json", *[s[1:] for s in SQLITE_SUFFIXES]], key="uploads")
exports = [upload for upload in uploads or () if upload.name.lower().endswith(".zip")]
uploads = [upload for upload in uploads or () if not upload.name.lower().endswith(".zip")]
history_import.zips(exports, grant, after_write=forget_previews)
ranks = st.checkbox("The JSON files are top-tracks responses: record their order as ranks",
                    key="as_ranks")
day = time_range = None
if ranks:
    left, right = st.columns(2)
    day = left.date_input("Snapshot date", value=dt.date.today(), max_value=dt.date.today(),
                          min_value=EARLIEST_DATE, key="rank_day")
    time_range = right.selectbox("Time range", list(TIME_RANGES),
                                 key="rank_range")


def run(upload, dry_run: bool, progress=None) -> ingest.ImportReport:
    """One uploaded file through its importer (a file on disk, as the importers read)."""
    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="mtm-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(upload.getbuffer())
        if suffix in SQLITE_SUFFIXES:
            return legacy_sqlite.import_sqlite(path, grant, dry_run=dry_run, source=upload.name,
                                               progress=progress)
        return json_files.import_json(path, grant, dry_run=dry_run, source=upload.name,
                                   snapshot_date=day, time_range=time_range)


def preview(upload) -> ingest.ImportReport | str:
    """The dry run's report, or the problem that refuses the file; kept for the session."""
    key = (upload.file_id, day, time_range)
    previews = st.session_state.setdefault(PREVIEW_KEY, {})
    if key not in previews:
        try:
            previews[key] = run(upload, dry_run=True)
        except DatabaseError as exc:
            previews[key] = str(exc)
    return previews[key]


if uploads:
    st.subheader("What would change")
    checked = {upload.name: (upload, preview(upload)) for upload in uploads}
    for name, (_, result) in checked.items():
        with st.container(border=True):
            st.markdown(f"**{plain(name)}**")
            if isinstance(result, str):
                st.error(plain(result), icon="🚫")
            else:
                st.text(f"tracks: {result.tracks}\nranks: {result.snapshots}")
    ready = [upload for upload, result in checked.values() if not isinstance(result, str)]
    if len(ready) < len(checked):
        st.warning(f"{len(checked) - len(ready)} of {len(checked)} files cannot be imported: "
                   "nothing of them will be written.", icon="🚫")
    if ready and st.button(f"Import {len(ready)} file{'s' if len(ready) > 1 else ''}",
                           type="primary", key="confirm_import"):
        bar = st.progress(0.0, text="Importing…")
        for number, upload in enumerate(ready):
            def progress(table, done, total, number=number, name=upload.name):
                share = (number + (done / total if total else 1) / 2) / len(ready)
                bar.progress(min(share, 1.0), text=f"{name}: {table} {done:,} / {total:,}")

            bar.progress(number / len(ready), text=f"{upload.name}…")
            try:
                report = run(upload, dry_run=False, progress=progress)
            except DatabaseError as exc:
                st.error(plain(str(exc)), icon="🚫")
            else:
                st.success(plain(report.line()), icon="✅")
        bar.empty()
        core.forget_answers()  # the imports below were asked with the data version, before these
        st.session_state.pop(PREVIEW_KEY, None)
        st.session_state.pop(history_import.RESULT_KEY, None)  # an export's dry run is stale too

past()
