import datetime as dt
import os
import sys

import psycopg
import pytest

from db import config, redact
from db import pool as db_pool
from db.errors import ConfigurationError, DatabaseError
from db.ingest import demo

from support.databases import ROOT

URL_A = "postgresql://alice:s3cret@db.example.com:5432/music"
URL_B = "postgresql://bob:hunter2@other.example.com/music"
URL_C = "postgresql://carol@third.example.com/music"


def write_secrets(path, text):
    path.mkdir(parents=True, exist_ok=True)
    (path / "secrets.toml").write_text(text)


def test_a_root_secret_wins_over_the_environment_as_in_the_app(monkeypatch):
    # Streamlit copies root-level secrets into the environment before the app runs, replacing
    # DATABASE_URL there: whatever we read, the app gets the secret.
    monkeypatch.setenv("DATABASE_URL", URL_A)
    secrets = {"DATABASE_URL": URL_B, "connections": {"postgresql": {"url": URL_C}}}
    assert config.configured_url(secrets) == (URL_B, "secrets: DATABASE_URL")


def test_the_environment_wins_over_the_connections_section(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", URL_A)
    secrets = {"connections": {"postgresql": {"url": URL_C}}}
    assert config.configured_url(secrets) == (URL_A, "DATABASE_URL environment variable")


def test_outside_streamlit_root_secrets_reach_the_environment_as_streamlit_puts_them(
        tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "MTM_POOL_MIN", "MTM_POOL_MAX", "PORT_NUMBER"):
        monkeypatch.delenv(name, raising=False)  # restored after the test
    monkeypatch.setenv("MTM_POOL_MAX", "9")
    write_secrets(tmp_path / ".streamlit", f'DATABASE_URL = "{URL_B}"\nMTM_POOL_MAX = "4"\n'
                  'PORT_NUMBER = 6543\nDEBUG = true\n[section]\nMTM_POOL_MIN = "3"\n')
    target = config.resolve()
    assert (target.url, target.source) == (URL_B, "secrets: DATABASE_URL")
    assert config.pool_sizes() == (2, 4)  # the secret replaced 9; a section's keys stay put
    assert os.environ["PORT_NUMBER"] == "6543" and "DEBUG" not in os.environ  # as Streamlit does


def test_root_secret_wins_over_connections_section():
    secrets = {"DATABASE_URL": URL_B, "connections": {"postgresql": {"url": URL_C}}}
    assert config.configured_url(secrets)[0] == URL_B


def test_connections_section_is_used_when_alone():
    assert config.configured_url({"connections": {"postgresql": {"url": URL_C}}})[0] == URL_C


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_database_url_counts_as_unset(monkeypatch, empty):
    monkeypatch.setenv("DATABASE_URL", empty)
    assert config.configured_url({"DATABASE_URL": URL_B})[0] == URL_B
    assert config.configured_url({}) is None


def test_nothing_configured_means_embedded():
    assert config.configured_url({}) is None
    assert config.configured_url({"connections": {"postgresql": {"url": ""}}}) is None


def test_cli_reads_the_secrets_files_streamlit_reads(tmp_path):
    # HOME and the working directory are this test's own (see conftest).
    write_secrets(tmp_path / "home" / ".streamlit", f'DATABASE_URL = "{URL_B}"\n')
    assert config.configured_url()[0] == URL_B
    # The project's .streamlit/secrets.toml overrides the user's.
    write_secrets(tmp_path / ".streamlit", f'[connections.postgresql]\nurl = "{URL_C}"\n')
    assert config.configured_url()[0] == URL_B  # root key still wins over the section
    write_secrets(tmp_path / ".streamlit", f'DATABASE_URL = "{URL_A}"\n')
    assert config.configured_url()[0] == URL_A


def test_malformed_secrets_file_is_one_clear_error(tmp_path):
    write_secrets(tmp_path / ".streamlit", 'DATABASE_URL = "unterminated\n')
    with pytest.raises(ConfigurationError, match="secrets.toml is not valid TOML"):
        config.configured_url()


def test_malformed_url_is_named_without_echoing_it(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "host=x password='s3cret port=")
    with pytest.raises(ConfigurationError) as caught:
        config.configured_url({})
    assert "DATABASE_URL is not a valid PostgreSQL connection string" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (URL_A, "postgresql://alice:***@db.example.com:5432/music"),
        ("postgres://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("postgresql://u@h/db?password=s3cret&sslmode=require",
         "postgresql://u:***@h/db?sslmode=require"),
        ("postgresql://postgres:@/music?host=/tmp/x", "postgresql://postgres@/music?host=/tmp/x"),
        ("host=h user=u password=s3cret dbname=d", "postgresql://u:***@h/d"),
        ("host=h password = 'it\\'s secret' dbname=d", "postgresql://:***@h/d"),
        ("postgresql://app:Summer#24@db.example.com/db", "postgresql://app:***@db.example.com/db"),
        ("postgresql://u:p@h1:5432,h2:5433/d?sslpassword=k3y", "postgresql://u:***@h1:5432,h2:5433/d?sslpassword=***"),
        ("postgresql://u:p@[::1]:5/d", "postgresql://u:***@[::1]:5/d"),
        ("host=h password='not closed", "(a connection string that is not valid)"),
        (URL_C, URL_C),
    ],
)
def test_connection_strings_are_described_with_secrets_masked(url, shown):
    assert redact.describe(url) == shown


def test_resolution_happens_once_per_process(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", URL_A)
    first = config.resolve()
    monkeypatch.setenv("DATABASE_URL", URL_B)
    assert config.resolve() is first
    assert first.display == "postgresql://alice:***@db.example.com:5432/music"
    assert first.source == "DATABASE_URL environment variable" and not first.embedded


def test_data_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MTM_DATA_DIR", str(tmp_path / "mtm"))
    assert config.data_dir() == tmp_path / "mtm"
    monkeypatch.delenv("MTM_DATA_DIR")
    assert config.data_dir() == tmp_path / "home" / ".local" / "share" / "music-time-machine"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(None, None, (2, 10)), ("1", "4", (1, 4)), ("3", "3", (3, 3))],
)
def test_pool_sizes(monkeypatch, low, high, expected):
    for name, value in (("MTM_POOL_MIN", low), ("MTM_POOL_MAX", high)):
        if value is not None:
            monkeypatch.setenv(name, value)
    assert config.pool_sizes() == expected


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [("5", "2", "1 <= MTM_POOL_MIN <= MTM_POOL_MAX"), ("0", "2", "1 <= MTM_POOL_MIN"),
     ("two", "4", "MTM_POOL_MIN must be a whole number")],
)
def test_bad_pool_sizes_are_one_clear_error(monkeypatch, low, high, message):
    monkeypatch.setenv("MTM_POOL_MIN", low)
    monkeypatch.setenv("MTM_POOL_MAX", high)
    with pytest.raises(ConfigurationError, match=message):
        config.pool_sizes()


@pytest.mark.parametrize(("url", "setting", "expected"), [
    ("postgresql://u:p@db.example.com:5432/d", None, True),
    ("postgresql://u:p@aws-0-eu-west-1.pooler.supabase.com:6543/postgres", None, False),
    ("postgresql://u:p@db.abc.supabase.co:6543/postgres", None, False),
    ("postgresql://u:p@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb", None, False),
    ("postgresql://u:p@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb", "on", True),
    ("postgresql://u:p@db.example.com/d", "off", False),
])
def test_prepared_statements_off_behind_transaction_poolers(monkeypatch, url, setting, expected):
    if setting is not None:
        monkeypatch.setenv("MTM_PREPARED_STATEMENTS", setting)
    assert config.prepared_statements(url) is expected


def test_bad_prepared_statements_setting(monkeypatch):
    monkeypatch.setenv("MTM_PREPARED_STATEMENTS", "maybe")
    with pytest.raises(ConfigurationError, match="MTM_PREPARED_STATEMENTS must be on, off or auto"):
        config.prepared_statements("postgresql://h/d")


SWITCHES = [("MTM_READ_ONLY", False), ("MTM_STRESS_TEST", True)]


@pytest.mark.parametrize("name, default", SWITCHES)
@pytest.mark.parametrize("value, expected", [
    ("on", True), ("TRUE", True), (" yes ", True), ("1", True),
    ("off", False), ("False", False), ("no", False), ("0", False)])
def test_every_switch_reads_the_same_words(monkeypatch, name, default, value, expected):
    monkeypatch.setenv(name, value)
    assert config.switch(name, default) is expected


@pytest.mark.parametrize("name, default", SWITCHES)
def test_an_unset_or_empty_switch_is_its_default(monkeypatch, name, default):
    """MTM_READ_ONLY's default is off: an empty value leaves writes to the passphrase."""
    assert config.switch(name, default) is default
    for empty in ("", " "):
        monkeypatch.setenv(name, empty)
        assert config.switch(name, default) is default


@pytest.mark.parametrize("value", ["ture", "enabled", "2", "of"])
def test_an_unknown_read_only_value_refuses_every_write(monkeypatch, value):
    """Fail closed: anything but a word it knows stops writes (and the app, see below) with one
    line that names the setting and the value, never reads as off."""
    from db.model import access

    monkeypatch.setenv("MTM_READ_ONLY", value)
    for asking in (access.read_only, access.operator, lambda: access.check(access.Grant("open"))):
        with pytest.raises(ConfigurationError) as refused:
            asking()
        line = str(refused.value)
        assert line == (f"MTM_READ_ONLY must be on or off (or true/false, yes/no, 1/0), "
                        f"not {value!r}")


def test_an_unknown_read_only_value_stops_the_app_and_the_cli(use_database, monkeypatch, app):
    from support.cli import one_line_error, run_cli

    monkeypatch.setenv("MTM_READ_ONLY", "ture")
    app.run()
    [box] = app.error  # shown as plain text: Markdown's characters escaped
    assert box.value.replace("\\", "") == ("MTM_READ_ONLY must be on or off (or true/false, "
                                            "yes/no, 1/0), not 'ture'")
    assert not app.sidebar.button and not app.metric, "nothing but the box is drawn"
    line = one_line_error(run_cli("import-json", "nothing.json", database_url=use_database,
                                  MTM_READ_ONLY="ture"))
    assert "MTM_READ_ONLY must be on or off" in line and "'ture'" in line


@pytest.mark.parametrize("value", ["-1", "lots", "3600001"])
def test_bad_read_limits_are_one_clear_error(monkeypatch, value):
    monkeypatch.setenv("MTM_STATEMENT_TIMEOUT_MS", value)
    with pytest.raises(DatabaseError, match="MTM_STATEMENT_TIMEOUT_MS"):
        config.read_limits()


# --- scratch databases (scripts/scratch.py) ---------------------------------------------------

END = dt.date(2026, 6, 30)


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
