"""Bringing a listener's history in. Every importer checks a whole source first, refuses it
with one line naming the problem, and writes it in one transaction through ``db.bulk``.

``json_files``: Spotify API payloads saved as JSON (every shape the API answers in);
``legacy_sqlite``: the earlier Flask app's SQLite file; ``demo``: generated history from a seed;
``spotify/``: the connected account and its daily sync of top tracks.
"""
