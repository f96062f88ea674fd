"""Everything that talks to PostgreSQL and does not draw. Never imports streamlit.

Modules: config (where the database is), embedded (the bundled server), pool (the shared
connection pool), migrations, tracks and snapshots (writes and reads), demo (demo data),
status, startup (what the app does first), and the CLI in __main__.
"""
