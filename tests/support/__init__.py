"""What the tests share (no test module imports another); tests/conftest.py holds the shared
fixtures (databases, the AppTest ``app``, ``demo_data``, ``fake``, ``own_server``, ``fresh_cache``).

- ``databases``: test databases and their URLs; ``own_server``: a PostgreSQL a test may stop;
  ``delay_proxy``: a database at a distance (a delaying TCP proxy that counts round trips);
- ``apptest``: AppTest of the entry script, a page opened from a link, its charts and texts;
- ``browser``: ``streamlit run`` and Chromium, a page settled, its text, its charts;
- ``cli``: ``python -m db`` as a process; ``sessions``: many viewers over the websocket;
- ``waits``: the one polling loop (wait_until);
- ``fake_spotify``: Spotify's services on 127.0.0.1; ``spotify_account``: an account connected
  through it;
- independent readings to check answers against, sharing no code with the app: ``semantics``
  (the dashboard), ``rollups`` (the chart rollups), ``derived_oracle`` (derived top lists),
  ``listening_oracle`` (the Listening and Year in review figures);
- data: ``history_export`` (generated data exports, and load() to import one),
  ``export_zip`` (a small scripted export), ``time_machine_data``, ``old_app`` (the earlier
  app's SQLite file), ``hostile_text``;
- ``writes_seen``: every write a table receives, in commit order;
- ``apps/``: small Streamlit apps the browser tests and benchmarks compare against.
"""
