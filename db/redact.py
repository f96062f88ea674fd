"""Keeping secrets out of everything the app and the CLI show or log.

Three layers, because a password can reach text by more than one road:

- describe(): a connection string as an operator may see it (the CLI, the server log). It is
  rebuilt from what libpq itself parsed (psycopg's conninfo_to_dict), never cut up by hand:
  libpq and Python's urlsplit disagree about where a URL's password ends (a raw ``#``, ``/``
  or ``?`` in it), and key/value strings quote differently again. Secret keywords are ***.
- public_label() and public_reason(): what a visitor may learn — the kind of database and its
  host, and why it cannot be reached in a few words. No user, port, database name, socket path
  or server message, which can name users and databases.
- scrub(): the last line of defence for free text (exception messages, log records): every
  known secret value, raw or percent-encoded, becomes ***. Known secrets are the password of
  every connection string the configuration names, and the value of every setting whose name
  says it is one (PGPASSWORD, *_PASSWORD, *_SECRET, *_TOKEN), in the environment or remembered.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, quote_plus, unquote

import psycopg.conninfo

MASK = "***"
# libpq keywords whose values are secrets.
SECRET_KEYWORDS = frozenset({"password", "sslpassword"})
# Setting names that hold a secret (PGPASSWORD, MTM_ADMIN_PASSWORD, SPOTIFY_CLIENT_SECRET, ...).
SECRET_SETTING = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN", re.IGNORECASE)
# Shorter values are not scrubbed from free text: replacing "pw" everywhere would garble every
# message while hiding nothing a guesser would not find anyway. Structured masking still hides them.
MIN_SCRUBBED_LENGTH = 4

_remembered: set[str] = set()
_lock = threading.Lock()


def parse(conninfo: str) -> dict[str, str] | None:
    """libpq's reading of a URL or key/value string (None when libpq cannot read it)."""
    try:
        return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(conninfo).items()}
    except psycopg.ProgrammingError:
        return None


def describe(conninfo: str) -> str:
    """The connection string as a URL with every secret replaced by ***, for operators."""
    params = parse(conninfo)
    if params is None:
        return "(a connection string that is not valid)"
    params = {k: (MASK if k in SECRET_KEYWORDS and v else v) for k, v in params.items()}
    auth = ""
    if "user" in params:
        auth = quote(params.pop("user"), safe="")
    if "password" in params:
        auth += ":" + params.pop("password")
    hosts = params.pop("host", "").split(",")
    ports = params.pop("port", "").split(",")
    if len(ports) == 1 and len(hosts) > 1:
        ports = ports * len(hosts)
    netloc = []
    for host, port in zip(hosts, ports + [""] * (len(hosts) - len(ports)), strict=False):
        if host.startswith("/"):  # a Unix socket directory goes in the query, as libpq reads it
            params.setdefault("host", host)
            host = ""
        elif ":" in host:  # IPv6
            host = f"[{host}]"
        netloc.append(host + (f":{port}" if port else ""))
    dbname = quote(params.pop("dbname", ""), safe="")
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='/*:')}" for k, v in params.items())
    at = "@" if auth else ""
    return f"postgresql://{auth}{at}{','.join(netloc)}/{dbname}" + (f"?{query}" if query else "")


def public_label(conninfo: str, embedded: bool = False) -> str:
    """What a visitor may know about where the data lives: the kind of database and its host."""
    if embedded:
        return "the embedded PostgreSQL"
    params = parse(conninfo) or {}
    host = (params.get("host") or params.get("hostaddr") or "").split(",")[0]
    if not host or host.startswith("/") or host.startswith("@"):
        return "a PostgreSQL server on this machine"
    return f"PostgreSQL at {host}"


# libpq's and the server's words for why a connection failed, and what a visitor may read of them.
_REASONS = [
    ("refused", "the server refused the connection (is it running?)"),
    ("no such file or directory", "no server is listening there (is it running?)"),
    ("timeout expired", "the connection timed out"),
    ("timed out", "the connection timed out"),
    ("could not translate host name", "the host name could not be resolved"),
    ("name or service not known", "the host name could not be resolved"),
    ("password authentication failed", "the server did not accept the user name or password"),
    ("no password supplied", "the server asked for a password and none was given"),
    ("authentication failed", "the server did not accept the credentials"),
    ("no pg_hba.conf entry", "the server does not accept connections from this address or user"),
    ("does not exist", "the database or user named in the connection string does not exist"),
    ("ssl", "the encrypted (SSL) connection could not be set up"),
    ("too many connections", "the server has no free connection slots"),
    ("remaining connection slots", "the server has no free connection slots"),
    ("starting up", "the server is starting up"),
    ("shutting down", "the server is shutting down"),
    ("terminating connection", "the server closed the connection (a restart?)"),
    ("server closed the connection", "the server closed the connection (a restart?)"),
    ("connection to the server was lost", "the connection to the server was lost"),
]


def public_reason(message: str) -> str:
    """A few words on why a connection failed, safe for a visitor (no names, no paths)."""
    lowered = message.lower()
    for needle, reason in _REASONS:
        if needle in lowered:
            return reason
    return "the connection failed"


def remember(*values: str | None) -> None:
    """Add secret values to what scrub() hides."""
    with _lock:
        _remembered.update(value for value in values if value)


def remember_secrets(secrets: Mapping) -> None:
    """Remember what in Streamlit-style secrets is secret, at any depth: values under a
    secret-like name, and the passwords inside connection strings (``url``, ``DATABASE_URL``)."""
    for key, value in secrets.items():
        if isinstance(value, Mapping):
            remember_secrets(value)
        elif isinstance(value, str):
            if SECRET_SETTING.search(str(key)):
                remember(value)
            elif str(key).lower().endswith("url"):
                _remember_passwords(value)


def _remember_passwords(conninfo: str) -> None:
    """The passwords libpq reads in ``conninfo``, and for a URL also the password its writer
    meant: a raw @ or / in it makes libpq read part of it as the host or port."""
    params = parse(conninfo)
    if params:
        remember(*(params[k] for k in SECRET_KEYWORDS if params.get(k)))
    scheme, sep, rest = conninfo.partition("://")
    if sep and "@" in rest:
        userinfo = rest.rsplit("@", 1)[0]
        remember(userinfo.partition(":")[2], unquote(userinfo.partition(":")[2]))


def forget_all() -> None:
    """Forget remembered secrets (tests)."""
    with _lock:
        _remembered.clear()


def known_secrets() -> set[str]:
    """Every secret value scrub() hides now: remembered ones, the environment's secret
    settings, and the passwords inside connection strings in the environment."""
    found = set(_remembered)
    for name, value in os.environ.items():
        if not value:
            continue
        if SECRET_SETTING.search(name):
            found.add(value)
        elif name.endswith("DATABASE_URL"):
            params = parse(value)
            if params:
                found.update(params[k] for k in SECRET_KEYWORDS if params.get(k))
            scheme, sep, rest = value.partition("://")
            if sep and "@" in rest:
                meant = rest.rsplit("@", 1)[0].partition(":")[2]
                found.update({meant, unquote(meant)})
    return {value for value in found if len(value) >= MIN_SCRUBBED_LENGTH}


def scrub(text: str, secrets: set[str] | None = None) -> str:
    """``text`` with every known secret (or ``secrets``), raw or percent-encoded, as ***."""
    secrets = known_secrets() if secrets is None else secrets
    if not secrets or not text:
        return text
    forms = set()
    for secret in secrets:
        forms.update({secret, quote(secret, safe=""), quote_plus(secret, safe=""),
                      quote(secret, safe="/:@!$&'()*+,;=")})
    # Longest first, so that a secret containing another is replaced whole.
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, MASK)
    return text


_installed = False
_factory_lock = threading.Lock()


def install_log_scrubber() -> None:
    """Scrub every log record this process makes, whichever logger and handler it goes to (the
    record factory runs for all of them): the message with its arguments, the exception's
    traceback text and any stack text. Idempotent."""
    global _installed
    with _factory_lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def scrubbing_factory(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            secrets = known_secrets()
            if not secrets:
                return record
            try:
                record.msg, record.args = scrub(record.getMessage(), secrets), ()
            except Exception:  # a record whose arguments do not fit its message: leave it be
                return record
            if record.exc_info and not record.exc_text:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info),
                                        secrets)
            if record.stack_info:
                record.stack_info = scrub(record.stack_info, secrets)
            return record

        logging.setLogRecordFactory(scrubbing_factory)
        _installed = True
