"""Everything that talks to PostgreSQL and does not draw; never imports streamlit.

The root holds the connection and the operations on it:
- ``config``: where the database is, and every setting, parsed once (on/off through switch());
- ``embedded``: the bundled PostgreSQL, when no DATABASE_URL is given;
- ``pool``: the process's one connection pool, and reads in one round trip (read_each);
- ``errors``: the one-line failures every layer shows;
- ``redact``: secrets out of text and logs;
- ``startup``: what runs first (the server, the migrations, the read-only check);
- ``status``: what the database holds, for ``python -m db status``;
- ``__main__``: the CLI, ``python -m db``;
- ``migrations/``: the schema, in order, applied once each.

Sub-packages by concern:
- ``model/``: what is written and its rules: ``tracks``, ``snapshots`` (rows and their checks;
  the time ranges and their windows), ``bulk`` (the staged merge writers use), ``meta`` (small
  facts in app_meta), ``access`` (who may write, checked by every writer);
- ``derive/``: what is made from the plays: ``streams`` (what counts as a stream, in SQL and in
  words), ``local_time`` (the listener's zone, local days and months), ``top_lists`` (daily top
  lists for the days Spotify's own do not cover), ``rollups`` (the listening rollups the
  Listening and Year in review pages read);
- ``ingest/``: bringing history in (its ``__init__`` holds the importers' reports and refusals):
  JSON files, the earlier app's SQLite file, Spotify's data export, demo data, and ``spotify/``
  (the account, the daily sync, enrichment and its quota);
- ``stress/``: the concurrent-write benchmark and the single-flight runner the app's button uses.
"""
