"""Spotify's services: ``api`` is the HTTP client (PKCE tokens, /v1/me, /v1/me/top/tracks,
bounded retries, no token in any log); ``sync`` the connected account and its daily sync into
dated ranks, written the way ``db.ingest.json_files`` writes a saved top-tracks page;
``enrich`` the details of tracks known only from plays, in bulk from ``library`` (recently played
and saved tracks, 50 a request) then one by one; ``budget`` the daily quota of requests that
every process asking Spotify as this app shares.
"""
