"""The embedded PostgreSQL: started on demand, seeded with demo data on its first start only,
reused by later runs, stopped when the process that started it exits."""

import json
import os
import subprocess
import sys

from db import startup

from support.databases import ROOT

STARTUP = """
import json
from db import startup, status
started = startup.prepare()
info = status.database_status()
print(json.dumps({"source": started.target.source, "display": started.target.display,
                  "seeded": started.demo_seeded, "tracks": info["tracks"],
                  "snapshots": info["snapshots"], "demo": info["demo"],
                  "pgdata": str(started.target.data_dir / "pgdata")}))
"""


def start_app_database(data_dir):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(ROOT), MTM_DATA_DIR=str(data_dir))
    result = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True,
                            env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_first_start_seeds_demo_data_and_later_starts_reuse_it(tmp_path):
    first = start_app_database(tmp_path / "mtm")
    assert first["source"] == "embedded"
    assert first["seeded"] == first["demo"]
    assert first["tracks"] == startup.EMBEDDED_DEMO["tracks"]
    assert first["snapshots"] == startup.EMBEDDED_DEMO["days"] * 3 * 50
    pgdata = first["pgdata"]
    # The server stopped with the process that started it.
    assert not os.path.exists(os.path.join(pgdata, "postmaster.pid"))

    second = start_app_database(tmp_path / "mtm")
    assert second["seeded"] is None
    assert (second["tracks"], second["snapshots"], second["demo"]) == (
        first["tracks"], first["snapshots"], first["demo"])
    assert not os.path.exists(os.path.join(pgdata, "postmaster.pid"))


def test_emptied_embedded_database_is_not_seeded_again(tmp_path):
    first = start_app_database(tmp_path / "mtm")
    assert first["seeded"]
    wipe = ("from db import startup\nfrom db.pool import connection\nstartup.prepare()\n"
            "with connection() as c:\n    c.execute('TRUNCATE tracks CASCADE')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MTM_DATA_DIR": str(tmp_path / "mtm")}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", wipe], check=True, env=env, timeout=120)
    again = start_app_database(tmp_path / "mtm")
    assert again["seeded"] is None and again["tracks"] == 0


def test_a_database_the_user_named_is_never_seeded(use_database):
    started = startup.prepare()
    assert not started.target.embedded
    assert started.demo_seeded is None
    import psycopg
    with psycopg.connect(use_database) as conn:
        assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 0
