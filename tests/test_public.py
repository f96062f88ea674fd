"""Safe to leave public: hostile links, a database that goes away, reads that would hang, a
migration stuck behind another, and scripts that must never write into the user's database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import psycopg
import pytest
import streamlit as st

from db import config, migrations, redact
from db import pool as db_pool
from db.errors import DatabaseError, DatabaseUnavailable, QueryTimeout
from db.ingest import demo
from db.ingest.spotify import api as spotify_api
from db.ingest.spotify.api import SpotifyNotConfigured
from db.model import access
from queries import core
from queries.filters import parse_query_params
from ui.text import WJ, plain

from support import semantics
from support.databases import ROOT
from support.waits import wait_until

END = dt.date(2026, 6, 30)


@pytest.fixture
def demo_spec():
    """demo_data (tests/conftest.py) for the hostile links: smaller, as they are many."""
    return {"tracks": 200, "days": 20, "seed": 4, "end": END}


HOSTILE_LINKS = [
    {"time_range": "[Session expired – sign in](https://example.com)"},
    {"time_range": "<script>alert(1)</script>"},
    {"time_range": "<img src=x onerror=alert(1)>"},
    {"time_range": "**bold** :red[red] $x^2$ :material/home: :smile:"},
    {"time_range": "x" * 10_000},
    {"time_range": "\u202eevil\u0301 🎧 \u200b\t\n"},
    {"start": "[a](https://e.com)", "end": "<b>x</b>"},
    {"start": "0001-01-01", "end": "2026-06-20"},
    {"start": "2026-01-01", "end": "9999-12-31"},
    {"start": "9999-12-31", "end": "9999-12-31"},
    {"start": "2026-06-20", "end": "2026-06-01"},
    {"start": "2026-06-01" * 1000, "end": "2026-06-20"},
    {"start": "+002026-06-01", "end": "2026-06-20"},
]


@pytest.mark.parametrize("params", HOSTILE_LINKS)
def test_a_hostile_link_gives_a_hint_as_plain_text_and_no_traceback(app, demo_data, params):
    app.query_params.update(params)
    at = app.run()
    assert not at.exception
    expected = parse_query_params(params)[1]
    hints = [w.value for w in at.sidebar.warning]
    assert hints and hints == [plain(hint) for hint in expected]  # drawn as plain text
    for hint in hints:
        assert len(hint) < 400  # a 10 kB value is not repeated
    semantics_ok = {m.label: m.value for m in at.metric}
    tracks, snapshots = demo_data
    assert semantics_ok["Tracks"] == f"{len(semantics.selected(tracks, snapshots)):,}"
    assert at.query_params == {}  # the bad parts were left off, and the URL says so


def test_hints_are_drawn_through_plain():
    value = "[sign in](https://e.co)"  # short enough to be quoted in the hint
    _, hints = parse_query_params({"time_range": value})
    shown = plain(hints[0])
    assert "\\[" in shown and "\\]\\(https" in shown and WJ in shown  # no link can form


def test_visitors_never_get_tracebacks():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["showErrorDetails"] == "none"


def test_database_stopped_mid_session_one_box_then_back_by_itself(own_server, app):
    at = app.run()
    demo.seed_demo(tracks=120, days=8, seed=2, end=END)
    st.cache_data.clear()
    at.run()
    before = {m.label: m.value for m in at.metric}
    assert before["Tracks"] == "120"

    own_server("stop")
    at.selectbox(key="time_range").set_value("long_term").run()
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]  # one box, not one per section
    assert at.error[0].value.startswith("Cannot reach")
    assert any("server is running" in md.value for md in at.markdown)
    at.run()  # a reload while it is still down
    assert not at.exception and len(at.error) == 1

    own_server("start")
    wait_until(lambda: not at.run().error,
               lambda: f"still down: {[e.value for e in at.error]}", every_s=0.2)
    assert not at.exception and not at.error, [e.value for e in at.error]
    # The filter in force when it went down (the change that found it down never applied).
    assert {m.label: m.value for m in at.metric} == before
    assert at.selectbox(key="time_range").value == "all"


def test_while_down_callers_are_told_at_once_and_one_asks_again(own_server, monkeypatch):
    monkeypatch.setattr(db_pool, "PROBE_EVERY_S", 3600)  # every call below is within one window
    db_pool.get_pool()
    own_server("stop")
    with pytest.raises(DatabaseUnavailable):
        db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
    asked = []
    real_check = db_pool.check_reachable

    def counting(*args, **kwargs):
        asked.append(1)
        return real_check(*args, **kwargs)

    db_pool.check_reachable = counting
    try:
        for _ in range(20):  # within PROBE_EVERY_S of the last question: no new connection
            with pytest.raises(DatabaseUnavailable):
                db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
    finally:
        db_pool.check_reachable = real_check
    assert len(asked) <= 1


def test_a_read_stuck_behind_a_lock_gives_its_connection_back(use_database, monkeypatch):
    monkeypatch.setenv("MTM_LOCK_TIMEOUT_MS", "200")
    monkeypatch.setenv("MTM_POOL_MIN", "1")
    monkeypatch.setenv("MTM_POOL_MAX", "1")  # a connection kept by the failed read: no other
    with psycopg.connect(use_database) as blocker:
        blocker.execute("LOCK TABLE data_version IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(QueryTimeout, match="waited too long for a lock"):
            core.sync_version()
        stats = db_pool.pool_stats()
        assert (stats["pool_size"], stats["pool_available"]) == (1, 1), stats  # back in the pool
        blocker.rollback()
        blocker.execute("UPDATE data_version SET version = version + 41")
        blocker.commit()
        stored = blocker.execute("SELECT version FROM data_version").fetchone()[0]
    assert core.sync_version() == stored  # the pool's one connection answers, and reads it


def test_a_read_that_runs_too_long_is_stopped(use_database, monkeypatch):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", "200")
    with pytest.raises(QueryTimeout, match="statement timeout"):
        core.frame("SELECT pg_sleep(5)")
    assert core.frame("SELECT 1 AS one")["one"].tolist() == [1]


def test_read_limits_never_reach_writers(use_database, monkeypatch):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", "100")
    core.frame("SELECT 1")
    with db_pool.connection() as conn:  # a writer on a connection a read just used
        conn.execute("SELECT pg_sleep(0.3)")
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "0"


@pytest.mark.parametrize("value", ["-1", "lots", "3600001"])
def test_bad_read_limits_are_one_clear_error(monkeypatch, value):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", value)
    with pytest.raises(DatabaseError, match="MTM_STATEMENT_TIMEOUT_MS"):
        config.read_limits()


def test_the_migration_lock_wait_is_bounded_and_names_the_holder(use_database, monkeypatch):
    monkeypatch.setenv("MTM_MIGRATION_LOCK_WAIT_S", "1")
    with psycopg.connect(use_database, application_name="stuck-migrator") as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (migrations._LOCK_KEY,))
        pid = holder.info.backend_pid
        with pytest.raises(DatabaseError) as caught:
            migrations.migrate()
    message = str(caught.value)
    assert "waiting 1 s for the schema-migration lock" in message
    assert f"process {pid} (stuck-migrator" in message and "\n" not in message
    assert migrations.migrate() == []  # released with the holder's transaction


def test_a_scratch_database_is_used_whatever_secrets_say(database_url, server_url, tmp_path,
                                                        monkeypatch):
    """A root DATABASE_URL in secrets beats the environment; scratch databases must still win,
    and the user's database must be left exactly as it was."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import scratch

    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'DATABASE_URL = "{database_url}"\n')
    with psycopg.connect(database_url) as user_db:
        fingerprint = user_db.execute("SELECT count(*) FROM tracks").fetchone()
    monkeypatch.setenv("DATABASE_URL", server_url)
    with scratch.scratch_database() as url:
        scratch_name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        demo.seed_demo(tracks=50, days=3, end=END)
        assert config.resolve().source == "a scratch database"
        with db_pool.connection() as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == scratch_name
    with psycopg.connect(database_url) as user_db:
        assert user_db.execute("SELECT count(*) FROM tracks").fetchone() == fingerprint


def test_a_child_of_a_scratch_run_refuses_any_other_database(database_url, monkeypatch):
    monkeypatch.setenv("MTM_EXPECT_DATABASE", "mtm_bench_0123456789")
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(DatabaseError, match="refusing to use it"):
        config.resolve()


def test_the_stress_test_can_be_hidden_and_then_refuses(app, use_database, monkeypatch):
    from db.stress import runner

    monkeypatch.setenv("MTM_STRESS_TEST", "off")
    at = app.run()
    assert not at.exception and not [b for b in at.button if b.key == "stress_run"]
    with pytest.raises(runner.StressTestBusy, match="turned off"):
        runner.start_in_background(10, 2, False, 0)


def test_log_records_are_scrubbed_whatever_logger_they_take(monkeypatch, caplog):
    import logging

    monkeypatch.setenv("PGPASSWORD", "very secret words")
    redact.install_log_scrubber()
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError("failed with very secret words inside")
    except RuntimeError:
        logging.getLogger("psycopg.pool").exception("pool said: %s", "very%20secret%20words")
    assert "very secret" not in caplog.text and "very%20secret" not in caplog.text
    assert "pool said: ***" in caplog.text


def test_a_session_that_survives_an_outage_keeps_its_filter(own_server, app):
    app.query_params.update({"start": "2026-06-25", "end": "2026-06-30"})
    at = app.run()  # migrates the new server
    demo.seed_demo(tracks=60, days=8, seed=2, end=END)
    st.cache_data.clear()
    at.run()
    assert at.query_params["start"] == "2026-06-25"
    own_server("stop")
    at.run()
    own_server("start")
    wait_until(lambda: not at.run().error,
               lambda: f"still down: {[e.value for e in at.error]}", every_s=0.2)
    assert not at.error and at.date_input(key="dates").value == (dt.date(2026, 6, 25), END)


def test_threads_of_many_sessions_share_one_outage(own_server):
    db_pool.get_pool()
    own_server("stop")
    errors: list[BaseException] = []

    def view() -> None:
        try:
            db_pool.read(lambda conn: conn.execute("SELECT 1").fetchone())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=view) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 10 and all(isinstance(e, DatabaseUnavailable) for e in errors)


def test_the_test_process_starts_without_any_setting():
    """Where every test starts (tests/conftest.py's clean_process); run on its own below with a
    developer's settings in the environment."""
    assert [n for n in os.environ if n == "DATABASE_URL" or n.startswith(("MTM_", "SPOTIFY_"))] \
        == []
    assert access.writes_open()  # not read-only, no passphrase
    with pytest.raises(SpotifyNotConfigured):
        spotify_api.settings()


def test_a_developers_settings_never_reach_a_test(tmp_path):
    developers = {"MTM_READ_ONLY": "on", "MTM_ADMIN_PASSWORD": "theirs",
                  "SPOTIFY_CLIENT_ID": "their-client-id",
                  "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/theirs"}
    probe = f"{Path(__file__).name}::test_the_test_process_starts_without_any_setting"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/{probe}",
         f"--basetemp={tmp_path / 'inner'}"],  # not pytest's shared root: it would chmod it
        cwd=ROOT, env={**os.environ, **developers}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-3000:]
