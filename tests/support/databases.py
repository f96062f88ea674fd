"""Test databases on the test server: connection strings for them, created and dropped by name."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import psycopg.conninfo
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def url_for(server_url: str, dbname: str, password: str | None = None) -> str:
    """The server's connection string pointed at another database (optionally with a password,
    which a trust-auth server ignores: good for checking that it is never shown)."""
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    params["dbname"] = dbname
    if password is not None:
        params["password"] = password
    return psycopg.conninfo.make_conninfo(**params)


def as_url(conninfo: str) -> str:
    """A key/value conninfo as a postgresql:// URL (what users paste)."""
    p = psycopg.conninfo.conninfo_to_dict(conninfo)
    auth = quote(p.get("user", "postgres"))
    if p.get("password"):
        auth += ":" + quote(p["password"])
    host = p.get("host", "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{p['dbname']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{p.get('port', 5432)}/{p['dbname']}"


def _admin(server_url: str) -> psycopg.Connection:
    return psycopg.connect(server_url, autocommit=True)


def create_database(server_url: str, template: str = "template0") -> str:
    name = f"mtm_test_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))
    return name


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
