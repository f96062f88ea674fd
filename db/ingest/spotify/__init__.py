"""Spotify's services: ``api`` is the HTTP client (PKCE tokens, /v1/me, /v1/me/top/tracks,
bounded retries, no token in any log) and ``sync`` the connected account and its daily sync
into dated ranks, written the way ``db.ingest.json_files`` writes a saved top-tracks page.
"""
