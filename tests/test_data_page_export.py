"""The Data page's streaming-history section (issue #18) in AppTest, against a real database:
what it says on an empty database, the report of a dry run and of an import as plain text, a
refused import as its one line, the plays in the imports so far, and when fetching the tracks'
details is offered. Uploading and pressing the buttons is done in Chromium
(tests/test_browser_export_import.py): AppTest has no file upload, and loses a click on a page it
switched to."""

from __future__ import annotations

import json
from types import SimpleNamespace

import psycopg
import pytest

from db.ingest import json_files, streaming_history
from db.ingest.demo import generate_tracks
from db.ingest.spotify import sync
from db.model import access

from support.export_zip import export_rows, export_zip, unique_plays
from support.fake_spotify import track
from support.spotify_account import connect as connect_account

OPEN = access.Grant("open")
FETCH = "Fetch details"
ZIP_NAME = "my_spotify_data.zip"


def data_page(app):
    app.run()
    app.switch_page("pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def shown(elements) -> str:
    """The elements' text as a reader sees it (without plain()'s escapes and word joiners)."""
    return "\n".join(str(e.value) for e in elements).replace("\\", "").replace("\u2060", "")


def page_text(at) -> str:
    return shown([e for kind in ("subheader", "markdown", "caption", "text", "error", "success",
                                 "info", "warning") for e in getattr(at, kind)])


def buttons(at) -> dict[str, bool]:
    """Label -> disabled, for every button on the page."""
    return {b.label: b.disabled for b in at.button}


def import_export(**options) -> streaming_history.HistoryReport:
    return streaming_history.import_history_upload(export_zip(export_rows()), ZIP_NAME, OPEN,
                                                   **options)


@pytest.fixture
def spotify_set_up(use_database, monkeypatch, fake):
    """The app set up for Spotify (the local fake), no account connected yet."""
    for name, value in fake.env("http://127.0.0.1:8501/data").items():
        monkeypatch.setenv(name, value)
    return fake


@pytest.fixture
def spotify_account(spotify_set_up):
    """A Spotify account connected through the local fake (as a listener would on the page)."""
    connect_account()
    return spotify_set_up


def test_an_empty_database_says_what_the_export_is_and_how_to_get_it(app, use_database):
    at = data_page(app)
    text = page_text(at)
    assert "Streaming history (Spotify's export)" in text
    assert "Every play of your listening life, from Spotify's data export" in text
    assert "Account → Privacy settings" in text and "Extended streaming history" in text
    assert "up to 30 days" in text and "No plays imported yet." in text
    [uploader] = at.get("file_uploader")  # one for every kind of file, the export's zip too
    assert uploader.proto.label.startswith("Spotify's data export (zip)")
    assert ".zip" in uploader.proto.type
    # Nothing to check or import until a zip is there; nothing to fetch without an account.
    assert not {"Dry run", "Import", FETCH} & set(buttons(at))


def run_section_piece(upload, dry_run: bool):
    """The section's import and report, on an upload-like object, as the page runs them."""
    from db.model import access
    from ui import history_import

    history_import._show(history_import._run([upload], access.Grant("open"), dry_run=dry_run))


def section_app(upload, dry_run=True):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_function(run_section_piece, args=(upload, dry_run),
                                 default_timeout=60).run()


def an_upload(data: bytes, name: str = ZIP_NAME):
    """What st.file_uploader hands the page: a name and the bytes."""
    return SimpleNamespace(name=name, getvalue=lambda: data)


def stored(conn) -> tuple:
    return conn.execute("SELECT (SELECT count(*) FROM plays), (SELECT count(*) FROM tracks), "
                        "(SELECT count(*) FROM list_ranks), (SELECT count(*) FROM imports)"
                        ).fetchone()


def test_a_dry_run_reports_what_would_change_as_text_and_writes_nothing(use_database, conn):
    hostile = "**bold** <img src=x onerror=alert(1)> :red[x] [a](http://e.x) $x$.zip"
    rows = export_rows()
    at = section_app(an_upload(export_zip(rows), hostile))
    assert not at.exception and not at.error
    assert stored(conn) == (0, 0, 0, 0)
    [line] = [e.value for e in at.text]
    assert line.startswith(f"{hostile}: read {len(rows)} rows in 3 files from 2021-")
    assert f"would add {unique_plays(rows)} new plays (0 already stored, 3 repeated) and 6 new " \
           "tracks; skipped 2 podcast episodes" in line
    table = dict(at.dataframe[0].value.values.tolist())
    assert table["Plays that would be added"] == str(unique_plays(rows))
    assert table["Plays already stored"] == "0" and table["Plays repeated in this export"] == "3"
    assert table["Tracks that would be new"] == "6"
    assert table["Skipped: podcast episodes"] == "2"
    assert table["Plays from"].endswith(" to 2023-11-10")
    assert table["Derived top lists"] == "derived when imported"
    assert "Dry run: nothing was written" in shown(at.info)
    # The file's name is in the plain-text line only, never in a Markdown element.
    markdown = shown([*at.markdown, *at.info, *at.caption, *at.success])
    assert "onerror" not in markdown and "bold" not in markdown


def test_an_import_reports_plays_tracks_and_derived_lists(use_database, conn):
    rows = export_rows()
    at = section_app(an_upload(export_zip(rows)), dry_run=False)
    assert not at.exception and not at.error
    plays, tracks, ranks, imports = stored(conn)
    assert (plays, tracks, imports) == (unique_plays(rows), 6, 1) and ranks > 0
    table = dict(at.dataframe[0].value.values.tolist())
    assert table["Plays added"] == str(unique_plays(rows)) and table["Tracks new"] == "6"
    assert table["Derived top lists"].endswith(" (a day and time range each), 2021-01-02 to 2023-11-10")
    assert table["Ranks on them"] == f"{ranks:,} new, 0 updated, 0 unchanged"
    assert table["Ranks taken off them"] == "0"
    assert "Imported." in shown(at.success)
    assert "; derived lists: " in at.text[0].value


@pytest.mark.parametrize("data, setting, expected", [
    (b"PK not really", None, f"{ZIP_NAME}: not a zip file"),  # ImportRejected
    (None, ("MTM_IMPORT_MAX_MB", "lots"),
     "MTM_IMPORT_MAX_MB must be a whole number, not 'lots'"),  # InvalidData
    (None, ("MTM_ADMIN_PASSWORD", "sesame"),
     "changing the data needs the admin passphrase (MTM_ADMIN_PASSWORD)"),  # WriteRefused
])
def test_a_refused_import_shows_its_one_line_and_nothing_else(use_database, conn, monkeypatch,
                                                              data, setting, expected):
    if setting:
        monkeypatch.setenv(*setting)
    at = section_app(an_upload(data or export_zip(export_rows())), dry_run=False)
    assert not at.exception
    assert [shown([e]) for e in at.error] == [expected]
    assert not at.text and not at.dataframe and not at.success and not at.info
    assert stored(conn) == (0, 0, 0, 0)


def test_the_imports_so_far_show_plays_added_stored_and_skipped(app, use_database, tmp_path):
    rows = export_rows()
    import_export()
    (tmp_path / "top.json").write_text(json.dumps({"items": generate_tracks(3, seed=5)}))
    json_files.import_json(tmp_path / "top.json", OPEN)
    import_export()  # the same export again: nothing new
    at = data_page(app)
    assert f"Stored so far: {unique_plays(rows)} plays of 6 tracks, from 2021-" in page_text(at)
    assert "to 2023-11-10." in page_text(at)
    past = at.dataframe[-1].value
    assert past[["kind", "plays_inserted", "plays_unchanged", "rows_skipped"]].astype(object) \
        .where(past.notna(), None).values.tolist() == [
        ["streaming_history", 0, unique_plays(rows), 2],
        ["json", None, None, None],  # not applicable: an empty cell, not a 0
        ["streaming_history", unique_plays(rows), 0, 2]]


def test_fetching_details_needs_spotify_set_up(app, use_database):
    import_export()
    at = data_page(app)
    assert FETCH not in buttons(at)
    # What waits is said all the same, and what would fetch it.
    assert "Tracks with details: 0 of 6 (0%), 0% of your streams." in page_text(at)
    assert "Waiting for details: 6." in page_text(at)
    assert "Set up Spotify (above) and connect your account to fetch them." in page_text(at)


def test_fetching_details_needs_a_connected_account(app, spotify_set_up):
    import_export()
    at = data_page(app)
    assert "Connect Spotify" in [e.proto.label for e in at.get("link_button")]
    assert FETCH not in buttons(at)
    assert "Waiting for details: 6." in page_text(at)
    assert "Connect your Spotify account above to fetch them." in page_text(at)


def test_fetching_details_is_offered_for_the_tracks_still_without_them(app, spotify_account,
                                                                         database_url):
    import_export()
    at = data_page(app)
    assert buttons(at).get(FETCH) is False
    assert "Waiting for details: 6." in page_text(at)
    # Connecting asked /v1/me once: that request counts too.
    assert ("Spotify requests left for details: 993 of 994 in the last 24 hours (6 more are "
            "kept for the daily sync).\nNext run: now; about 1 day left at 1,000 requests a day "
            "(MTM_ENRICH_DAILY_REQUESTS).") in page_text(at)
    with psycopg.connect(database_url, autocommit=True) as conn:
        # One fetched, one Spotify no longer has: neither is asked for again.
        [first, second] = [r[0] for r in conn.execute(
            "SELECT track_id FROM tracks ORDER BY track_id LIMIT 2")]
        conn.execute("UPDATE tracks SET raw_json = '{}' WHERE track_id = %s", (first,))
        conn.execute("UPDATE tracks SET not_on_spotify = true WHERE track_id = %s", (second,))
        at = data_page(app)
        assert "Tracks with details: 1 of 6 (17%)" in page_text(at)
        assert "No longer on Spotify (Unknown on the charts): 1.\nWaiting for details: 4." \
            in page_text(at)
        conn.execute("UPDATE tracks SET not_on_spotify = true WHERE raw_json IS NULL")
    assert FETCH not in buttons(data_page(app))



def run_enrichment():
    """The section's offer to fetch the tracks' details, as the page runs it."""
    from db.model import access
    from queries.core import sync_version
    from ui import details

    sync_version()  # as the app's entry script does on every run
    details.section(access.Grant("open"), lambda: None)


def test_fetching_details_says_how_it_went_as_text(spotify_account, conn):
    from streamlit.testing.v1 import AppTest

    import_export()
    ids = [row[0] for row in conn.execute("SELECT track_id FROM tracks ORDER BY track_id")]
    spotify_account.register(*(track(n, id=tid) for n, tid in enumerate(ids[:5], start=1)))
    at = AppTest.from_function(run_enrichment, default_timeout=60).run()
    at.button(key="history_enrich").click().run()
    assert not at.exception and not at.error
    assert [e.value for e in at.text][-1] == (
        "Spotify track details: fetched for 5 tracks (0 from saved and recently played, 5 one "
        "by one), 1 no longer on Spotify, 8 requests; 0 left (every track has its details)")
    assert not at.button  # nothing is left to fetch
    assert conn.execute("SELECT count(*) FROM tracks WHERE raw_json IS NULL").fetchone()[0] == 1


def test_an_account_connected_before_the_library_scopes_is_asked_to_connect_again(
        app, spotify_set_up):
    spotify_set_up.grant_only = "user-top-read"  # what Connect asked for before issue #24
    connect_account()
    import_export()
    at = data_page(app)
    assert [shown([w]) for w in at.warning if "Connect Spotify again" in shown([w])] == [
        sync.RECONNECT_FOR_DETAILS]
    assert buttons(at).get(FETCH) is False  # one track a request meanwhile
    assert "Sync now" in buttons(at)
