"""`python -m db` as a user runs it: a real process, real output, real exit codes."""


import pytest

from support.cli import free_port, one_line_error, run_cli
from support.databases import as_url, url_for


def test_migrate_twice_on_an_empty_database(empty_database_url):
    first = run_cli("migrate", database_url=empty_database_url)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_tracks_and_snapshots" in first.stdout
    second = run_cli("migrate", database_url=empty_database_url)
    assert second.returncode == 0
    assert "already up to date" in second.stdout and "applied" not in second.stdout


def test_seed_demo_then_status(empty_database_url):
    seeded = run_cli("seed-demo", "--tracks", "200", "--days", "5", "--seed", "9",
                     database_url=empty_database_url)
    assert seeded.returncode == 0, seeded.stderr
    assert "wrote 200 demo tracks and 750 snapshot rows" in seeded.stdout
    assert "snapshots: 750 / 750" in seeded.stderr  # progress
    status = run_cli("status", database_url=empty_database_url)
    assert status.returncode == 0, status.stderr
    assert "tracks: 200\n" in status.stdout and "snapshots: 750\n" in status.stdout
    assert "(5 days)" in status.stdout and "demo data: yes (seed 9)" in status.stdout
    again = run_cli("seed-demo", database_url=empty_database_url)
    assert "already holds 200 tracks" in one_line_error(again)


def test_status_of_a_database_never_migrated(empty_database_url):
    status = run_cli("status", database_url=empty_database_url)
    assert status.returncode == 0
    assert "schema: none (run `python -m db migrate`)" in status.stdout


def test_status_never_shows_the_password(server_url, empty_database_url):
    dbname = empty_database_url.rsplit("dbname=", 1)[-1].split()[0]
    with_password = as_url(url_for(server_url, dbname, password="hunter2"))
    status = run_cli("status", database_url=with_password)
    assert status.returncode == 0, status.stderr
    assert "hunter2" not in status.stdout + status.stderr
    assert ":***@" in status.stdout


def test_status_with_the_database_down_is_one_line(tmp_path):
    down = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/music"
    result = run_cli("status", database_url=down)
    line = one_line_error(result)
    assert line.startswith("python -m db: error: cannot connect to the database at "
                           "postgresql://postgres:***@127.0.0.1:")
    assert "hunter2" not in result.stdout + result.stderr


def test_malformed_database_url_is_one_line():
    line = one_line_error(run_cli("status", database_url="host=db.example.com password='unterminated"))
    assert "DATABASE_URL is not a valid PostgreSQL connection string" in line
    assert "unterminated" not in line


@pytest.mark.parametrize(("args", "code", "message"), [
    (("seed-demo", "--tracks", "many"), 2, "argument --tracks: expected a whole number"),
    (("seed-demo", "--days", "0"), 1, "--days must be between 1 and 3650"),
    (("frobnicate",), 2, "invalid choice: 'frobnicate'"),
    ((), 2, "the following arguments are required"),
])
def test_bad_arguments_are_one_line(empty_database_url, args, code, message):
    assert message in one_line_error(run_cli(*args, database_url=empty_database_url), code)


def test_bad_pool_setting_is_one_line(empty_database_url):
    result = run_cli("status", database_url=empty_database_url, MTM_POOL_MIN="zero")
    assert "MTM_POOL_MIN must be a whole number" in one_line_error(result)


def test_the_cli_takes_database_and_settings_from_secrets_as_the_app_does(empty_database_url,
                                                                           tmp_path):
    """In a directory with .streamlit/secrets.toml, `python -m db` uses what `streamlit run`
    would: a root-level DATABASE_URL there replaces the environment's, and root-level settings
    count (Streamlit copies them into the environment)."""
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/music"
    secrets = tmp_path / ".streamlit" / "secrets.toml"  # the test's working directory
    secrets.parent.mkdir()
    secrets.write_text(f'DATABASE_URL = "{as_url(empty_database_url)}"\n')
    status = run_cli("status", database_url=down)
    assert status.returncode == 0, status.stderr
    assert "(secrets: DATABASE_URL)" in status.stdout
    secrets.write_text(secrets.read_text() + 'MTM_POOL_MIN = "zero"\n')
    assert "MTM_POOL_MIN must be a whole number" in one_line_error(run_cli("status"))
