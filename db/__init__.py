"""Everything that talks to PostgreSQL and does not draw; never imports streamlit.

The store is this package's root: ``config`` (where the database is), ``embedded`` (the bundled
server), ``pool`` (the process's one connection pool), ``errors`` (one-line failures),
``redact`` (secrets out of text and logs), ``access`` (who may write, checked by every writer),
``migrations/`` (the schema, in order), ``tracks`` and ``snapshots`` (rows and their checks),
``derived_lists`` (daily top lists derived from plays), ``local_time`` (the listener's time
zone), ``bulk`` (the one write path: a staged merge), ``meta`` (small facts in app_meta),
``startup`` (what runs first) and ``status``. ``__main__`` is the CLI, ``python -m db``.
Sub-packages by concern: ``ingest/`` brings history in (JSON files, the earlier app's SQLite
file, Spotify's data export, demo data, the Spotify sync and enrichment); ``stress/`` is the
concurrent-write benchmark and the single-flight runner the app's button uses.
"""
