"""Bringing a listener's history in. Every importer checks a whole source first, refuses it
with one line naming the problem, and writes it in one transaction through ``db.bulk``.

``json_files``: Spotify API payloads saved as JSON (every shape the API answers in);
``legacy_sqlite``: the earlier Flask app's SQLite file; ``streaming_history``: Spotify's data
export (plays, then the lists derived from them; ``history_rows`` reads its rows);
``demo``: generated history from a seed; ``spotify/``: the connected account, its daily sync
of top tracks, and enrichment of tracks known only from plays.
"""
