"""Passwords never reach a page, the CLI's output, a log line or an error message, whatever
characters they hold, however the connection string is written and wherever it is set."""

from __future__ import annotations

import logging
from urllib.parse import quote

import psycopg.conninfo
import pytest
import streamlit as st

from db import config, redact
from db import pool as db_pool
from db.errors import DatabaseError

from support.apptest import app_test
from support.cli import free_port, run_cli

PASSWORDS = ["Summer#24", "a?b@c%d/e:f'g h", "#?@%/:' and spaces ", "p%41ss w:rd'@/x"]


def key_value(conninfo: str, password: str) -> str:
    return psycopg.conninfo.make_conninfo(conninfo, password=password)


def url(conninfo: str, password: str, encode: bool = True) -> str:
    """The database as a postgresql:// URL with ``password``, percent-encoded or raw."""
    p = psycopg.conninfo.conninfo_to_dict(conninfo)
    secret = quote(password, safe="") if encode else password
    host = p.get("host", "")
    where = f"{host}:{p.get('port', 5432)}" if not host.startswith("/") else ""
    query = f"?host={quote(host, safe='')}" if host.startswith("/") else ""
    return f"postgresql://{p.get('user', 'postgres')}:{secret}@{where}/{p['dbname']}{query}"


def forms(conninfo: str, password: str) -> dict[str, str]:
    written = {"url": url(conninfo, password), "key/value": key_value(conninfo, password)}
    if not set(password) & set("@/% "):  # characters libpq reads raw in a URL's password
        written["raw url"] = url(conninfo, password, encode=False)
    return written


def traces(password: str) -> set[str]:
    """The password as it may appear in text: raw and percent-encoded."""
    return {password.strip(), quote(password, safe=""), quote(password)} - {""}


def assert_hidden(password: str, *texts: str) -> None:
    for text in texts:
        for trace in traces(password):
            assert trace not in text, f"{trace!r} shown in {text[:300]!r}"


def page_text(at) -> str:
    """Everything the app sent for the page, as text: every element of the tree, sidebar too."""
    shown = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            shown.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(shown)


@pytest.fixture(autouse=True)
def fresh_app_state():
    st.cache_data.clear()
    st.cache_resource.clear()
    redact.forget_all()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    redact.forget_all()


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    redact.install_log_scrubber()
    return caplog


def place(monkeypatch, tmp_path, where: str, conninfo: str) -> dict:
    """Put the connection string where a user would; returns AppTest secrets to hand in."""
    if where == "environment":
        monkeypatch.setenv("DATABASE_URL", conninfo)
        return {}
    secrets = ({"DATABASE_URL": conninfo} if where == "secrets" else
               {"connections": {"postgresql": {"url": conninfo}}})
    folder = tmp_path / ".streamlit"  # the CLI reads the working directory's secrets.toml
    folder.mkdir(exist_ok=True)
    value = conninfo.replace("\\", "\\\\").replace('"', '\\"')
    (folder / "secrets.toml").write_text(
        f'DATABASE_URL = "{value}"\n' if where == "secrets"
        else f'[connections.postgresql]\nurl = "{value}"\n', encoding="utf-8")
    return secrets


CASES = [(p, f, w) for p in PASSWORDS for f in ("url", "key/value", "raw url")
         for w in ("environment", "secrets", "secrets section")
         if not (f == "raw url" and set(p) & set("@/% "))]


@pytest.mark.parametrize(("password", "form", "where"), CASES)
def test_a_reachable_database_with_any_password(database_url, monkeypatch, tmp_path,
                                                everything_logged, password, form, where):
    conninfo = forms(database_url, password)[form]
    secrets = place(monkeypatch, tmp_path, where, conninfo)
    at = app_test()
    at.secrets.update(secrets)
    at.run()
    assert not at.exception and at.metric, [e.value for e in at.error]
    status = run_cli("status", database_url=conninfo if where == "environment" else None,
                     HOME=str(tmp_path / "home"))
    assert status.returncode == 0, status.stderr
    assert ":***@" in status.stdout
    logging.getLogger("test").warning("connection string in a log line: %s", conninfo)
    assert_hidden(password, page_text(at), status.stdout, status.stderr, everything_logged.text)


@pytest.mark.parametrize(("password", "form", "where"), [
    c for c in CASES if c[2] != "secrets section"])
def test_an_unreachable_database_with_any_password(monkeypatch, tmp_path, everything_logged,
                                                   password, form, where):
    conninfo = forms(f"host=127.0.0.1 port={free_port()} dbname=music user=me", password)[form]
    secrets = place(monkeypatch, tmp_path, where, conninfo)
    at = app_test()
    at.secrets.update(secrets)
    at.run()
    assert not at.exception and len(at.error) == 1
    cli = run_cli("status", database_url=conninfo if where == "environment" else None,
                  HOME=str(tmp_path / "home"))
    assert cli.returncode == 1 and "cannot connect to the database at" in cli.stderr
    config.reset()
    monkeypatch.setenv("DATABASE_URL", conninfo)
    with pytest.raises(DatabaseError) as caught:
        db_pool.get_pool()
    assert_hidden(password, page_text(at), cli.stdout, cli.stderr, str(caught.value),
                  everything_logged.text)


@pytest.mark.parametrize("written", [
    "postgresql://me:a@b@127.0.0.1/music", "postgresql://me:top/secret@127.0.0.1/music",
    "postgresql://me:50%off@127.0.0.1/music", "host=127.0.0.1 password='unterminated"])
def test_a_garbled_connection_string_is_named_not_shown(monkeypatch, written):
    monkeypatch.setenv("DATABASE_URL", written)
    with pytest.raises(DatabaseError) as caught:
        config.resolve()
    message = str(caught.value)
    assert message.startswith("DATABASE_URL is not a valid PostgreSQL")
    for part in ("b@127", "secret", "50%off", "unterminated"):
        assert part not in message
    cli = run_cli("status", database_url=written)
    assert cli.returncode == 1 and "DATABASE_URL is not a valid PostgreSQL" in cli.stderr
    for part in ("b@127", "secret", "50%off", "unterminated"):
        assert part not in cli.stderr + cli.stdout


def test_settings_that_hold_secrets_are_scrubbed_from_free_text(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "pg-pass word")
    monkeypatch.setenv("MTM_ADMIN_PASSWORD", "admin:pass")
    redact.remember_secrets({"spotify": {"client_secret": "sp0tify-secret"}})
    text = "pg-pass word / pg-pass%20word / admin:pass / admin%3Apass / sp0tify-secret"
    assert redact.scrub(text) == "*** / *** / *** / *** / ***"
    assert redact.scrub("short pw stays") == "short pw stays"


def test_visitors_learn_the_kind_of_database_and_its_host_only():
    assert redact.public_label("postgresql://u:p@db.example.com:6543/music") == \
        "PostgreSQL at db.example.com"
    assert redact.public_label("host=/run/postgresql dbname=music user=me") == \
        "a PostgreSQL server on this machine"
    assert redact.public_label("", embedded=True) == "the embedded PostgreSQL"
    assert redact.public_reason(
        'connection to server at "10.0.0.5", port 5432 failed: FATAL:  password '
        'authentication failed for user "alice"') == \
        "the server did not accept the user name or password"
    assert redact.public_reason('FATAL:  database "secret_db" does not exist') == \
        "the database or user named in the connection string does not exist"


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
