"""What the tests share (no test module imports another): ``databases`` (test databases and
their URLs), ``apptest`` (AppTest of the entry script), ``cli`` (``python -m db`` as a process),
``browser`` (``streamlit run`` and Chromium), ``sessions`` (many viewers over the websocket),
``fake_spotify`` (Spotify's services on 127.0.0.1), ``own_server`` (a PostgreSQL a test may
stop), ``semantics`` and ``rollups`` (independent readings to check answers against),
``writes_seen`` (every write a table receives, in commit order), ``old_app`` (the earlier app's
SQLite file), ``hostile_text``, ``time_machine_data``, and ``apps/`` (small Streamlit apps the
browser tests and benchmarks compare against).
"""
