"""Where the database is, resolved once per process; pool sizes and other settings.

Resolution order (first match wins):
1. ``DATABASE_URL`` at the root of the Streamlit secrets;
2. the ``DATABASE_URL`` environment variable (an empty value counts as unset);
3. ``url`` under ``[connections.postgresql]`` in the secrets;
4. an embedded PostgreSQL whose data lives in ``MTM_DATA_DIR`` or a per-user data directory.

Root-level secrets come first because that is what the app gets: Streamlit copies them into
the environment when its server starts, replacing variables of the same name, before any of our
code runs. The CLI reads the same secrets.toml files and does the same (export_root_secrets), so
that ``python -m db`` and ``streamlit run`` in one directory always use the same database and
settings (``MTM_POOL_MAX = "4"`` in secrets works for both).

This module never imports streamlit: the app hands its ``st.secrets`` in.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg.conninfo

from db import redact
from db.errors import ConfigurationError

APP_NAME = "music-time-machine"


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database. ``url`` may hold a password: show ``display``, never ``url``."""

    url: str
    source: str
    data_dir: Path | None = None  # set for the embedded server

    @property
    def embedded(self) -> bool:
        return self.data_dir is not None

    @property
    def display(self) -> str:
        """The connection string with its secrets masked: for operators (CLI, server log)."""
        return redact.describe(self.url)

    @property
    def description(self) -> str:
        """What to tell an operator: where the data lives, secrets masked."""
        if self.data_dir is not None:
            return f"embedded PostgreSQL in {self.data_dir}"
        return self.display

    @property
    def public_label(self) -> str:
        """What a visitor may know: the kind of database and its host, nothing more."""
        return redact.public_label(self.url, embedded=self.embedded)


_resolved: DatabaseTarget | None = None
_lock = threading.Lock()


def resolve(secrets: Mapping | None = None) -> DatabaseTarget:
    """The database this process uses, resolved on first call and remembered.

    ``secrets`` is Streamlit's secrets as a mapping; when None, the secrets.toml files Streamlit
    would read are read here. Starts the embedded server when nothing else is configured.
    """
    global _resolved
    with _lock:
        if _resolved is None:
            _resolved = _resolve(secrets)
        return _resolved


def reset() -> None:
    """Forget the resolved database (tests; the pool must be closed first)."""
    global _resolved
    with _lock:
        _resolved = None


@contextmanager
def overridden(url: str, source: str) -> Iterator[DatabaseTarget]:
    """Use ``url`` in this process for the duration, whatever secrets or the environment say
    (scripts and tests on a scratch database): a root DATABASE_URL in secrets beats the
    environment, so redirecting through DATABASE_URL alone could write into the user's
    database. Close the pool before and after (db.pool.close_pool)."""
    global _resolved
    with _lock:
        previous, _resolved = _resolved, DatabaseTarget(url=_checked(url, source), source=source)
    try:
        yield _resolved
    finally:
        with _lock:
            _resolved = previous


def configured_url(secrets: Mapping | None = None) -> tuple[str, str] | None:
    """(url, source) from secrets or the environment, or None when neither names a database."""
    if secrets is None:
        secrets = read_secrets_files()
    redact.remember_secrets(secrets)
    root_url = secrets.get("DATABASE_URL")
    if isinstance(root_url, str) and root_url.strip():
        return _checked(root_url.strip(), "secrets DATABASE_URL"), "secrets: DATABASE_URL"
    env_url = os.environ.get("DATABASE_URL", "").strip()
    if env_url:
        return _checked(env_url, "DATABASE_URL"), "DATABASE_URL environment variable"
    section = secrets.get("connections", {}).get("postgresql", {})
    if isinstance(section, Mapping):
        url = section.get("url")
        if isinstance(url, str) and url.strip():
            return (
                _checked(url.strip(), "secrets [connections.postgresql] url"),
                "secrets: [connections.postgresql] url",
            )
    return None


def _resolve(secrets: Mapping | None) -> DatabaseTarget:
    if secrets is None:  # the CLI: read the files Streamlit reads and do with them what it does
        secrets = read_secrets_files()
        export_root_secrets(secrets)
    found = configured_url(secrets)
    expected = os.environ.get(EXPECT_DATABASE, "").strip()
    if found is not None:
        url, source = found
        _check_expected(expected, url, source)
        return DatabaseTarget(url=url, source=source)
    if expected:
        _check_expected(expected, "", "nothing (the embedded server)")
    from db import embedded  # imported lazily: starting it is the slow path

    directory = data_dir()
    return DatabaseTarget(url=embedded.start(directory), source="embedded", data_dir=directory)


# A process started on a scratch database (benchmark scripts, tests) carries the database's
# name here: if its configuration resolves to any other database, wherever that was configured,
# it refuses to start instead of writing there.
EXPECT_DATABASE = "MTM_EXPECT_DATABASE"


def _check_expected(expected: str, url: str, source: str) -> None:
    if not expected:
        return
    named = (redact.parse(url) or {}).get("dbname", "") if url else ""
    if named != expected:
        raise ConfigurationError(
            f"this process was started for the scratch database {expected!r} "
            f"({EXPECT_DATABASE}), but {source} names another database: refusing to use it")


def _checked(url: str, where: str) -> str:
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # The message could echo the string, password and all: name the setting instead.
        raise ConfigurationError(f"{where} is not a valid PostgreSQL connection string") from None
    # A raw @ or / in a URL's password makes libpq read the rest of it as the host, port or
    # database, which would then be shown in messages: refuse it, and say what to do.
    garbled = any("@" in str(params.get(k, "")) for k in ("host", "port", "dbname", "user"))
    if garbled or not all(p.isdigit() for p in str(params.get("port", "0")).split(",") if p):
        raise ConfigurationError(
            f"{where} is not a valid PostgreSQL URL: percent-encode special characters in its "
            "user name and password (@ as %40, / as %2F, % as %25, space as %20)")
    return url


def secrets_file_paths() -> list[Path]:
    """The files Streamlit reads secrets from by default; a later one overrides an earlier."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def read_secrets_files() -> dict:
    merged: dict = {}
    for path in secrets_file_paths():
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
        try:
            merged.update(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path} is not valid TOML: {exc}") from None
    return merged


def export_root_secrets(secrets: Mapping) -> None:
    """Copy root-level string and number secrets into the environment, replacing what is there,
    as Streamlit does when its server starts: settings such as MTM_PREPARED_STATEMENTS may live
    in secrets, and the CLI then sees what the app sees."""
    for key, value in secrets.items():
        if type(value) in (str, int, float):
            os.environ[key] = str(value)


def data_dir() -> Path:
    """Where the embedded server keeps its data: MTM_DATA_DIR, else the per-user data directory."""
    configured = os.environ.get("MTM_DATA_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def pool_sizes() -> tuple[int, int]:
    """(min, max) connections for the shared pool, from MTM_POOL_MIN / MTM_POOL_MAX."""
    low = _int_setting("MTM_POOL_MIN", 2)
    high = _int_setting("MTM_POOL_MAX", 10)
    if not 1 <= low <= high <= 100:
        raise ConfigurationError(
            f"pool size must satisfy 1 <= MTM_POOL_MIN <= MTM_POOL_MAX <= 100 (got {low} and {high})"
        )
    return low, high


ON_WORDS = ("on", "true", "yes", "1")
OFF_WORDS = ("off", "false", "no", "0")


def switch(name: str, default: bool | str, *, also: tuple[str, ...] = ()) -> bool | str:
    """An on/off setting: on, true, yes or 1; off, false, no or 0 (any case); unset or empty
    means ``default``; ``also`` names further words it takes, returned as they are ("auto").
    Any other value is refused with one line naming the setting and the value: a typo must
    never leave a switch as if unset (MTM_READ_ONLY = "ture" would open writes)."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if not value:
        return default
    if value in ON_WORDS or value in OFF_WORDS:
        return value in ON_WORDS
    if value in also:
        return value
    *most, last = ("on", "off", *also)
    words = f"{', '.join(most)} or {last}"
    raise ConfigurationError(f"{name} must be {words} (or true/false, yes/no, 1/0), not {raw!r}")


def prepared_statements(url: str) -> bool:
    """Whether server-side prepared statements may be used on this database.

    Transaction poolers (Supabase's on port 6543, Neon's "-pooler" hosts, PgBouncer in
    transaction mode) hand each transaction to any server connection, where a statement
    prepared on another does not exist. MTM_PREPARED_STATEMENTS = on | off | auto (default:
    off for hosts that look like such a pooler, on otherwise).
    """
    choice = switch("MTM_PREPARED_STATEMENTS", "auto", also=("auto",))
    if choice != "auto":
        return choice
    params = psycopg.conninfo.conninfo_to_dict(url)
    hosts = str(params.get("host", "")).lower()
    ports = str(params.get("port", ""))
    return not ("pooler" in hosts or "6543" in ports.split(","))


def read_limits() -> dict[str, int]:
    """Milliseconds a dashboard read may run (MTM_STATEMENT_TIMEOUT_MS, default 5000) and wait
    for a lock (MTM_LOCK_TIMEOUT_MS, default 2000); 0 means no limit. At a million tracks every
    dashboard query answers in well under 100 ms, so these only stop reads gone wrong."""
    limits = {"statement_timeout": _int_setting("MTM_STATEMENT_TIMEOUT_MS", 5000),
              "lock_timeout": _int_setting("MTM_LOCK_TIMEOUT_MS", 2000)}
    for name, value in limits.items():
        if not 0 <= value <= 3_600_000:
            raise ConfigurationError(f"MTM_{name.upper()}_MS must be between 0 and 3600000 "
                                     f"milliseconds, not {value}")
    return limits


def stress_test_enabled() -> bool:
    """Whether the app offers the stress test (MTM_STRESS_TEST = on | off, default on)."""
    return switch("MTM_STRESS_TEST", True)


def stress_test_cooldown() -> int:
    """Seconds between the end of one stress test and the start of the next that the app
    allows, across every process sharing the database (MTM_STRESS_TEST_COOLDOWN_S, default 30)."""
    seconds = _int_setting("MTM_STRESS_TEST_COOLDOWN_S", 30)
    if not 0 <= seconds <= 86_400:
        raise ConfigurationError(
            f"MTM_STRESS_TEST_COOLDOWN_S must be between 0 and 86400, not {seconds}")
    return seconds


def migration_lock_wait() -> int:
    """Seconds a migration waits for the migration lock and for table locks
    (MTM_MIGRATION_LOCK_WAIT_S, default 60)."""
    wait = _int_setting("MTM_MIGRATION_LOCK_WAIT_S", 60)
    if not 1 <= wait <= 3600:
        raise ConfigurationError(f"MTM_MIGRATION_LOCK_WAIT_S must be between 1 and 3600, not {wait}")
    return wait


def number(setting: str, value: float | None, default: float, kind: type, valid, expected: str,
           *, argument: str) -> float:
    """A numeric setting: ``value`` when a caller passes one (named ``argument`` in the error),
    else the environment variable ``setting``, else ``default``. A value of another ``kind``
    (int or float; never a bool) or not ``valid(value)`` is refused with one line:
    "<where> must be <expected>; not '<value>'"."""
    where, given = argument, value
    if value is None:
        given = os.environ.get(setting, "").strip()
        if not given:
            return default
        where = setting
        try:
            value = kind(given)
        except ValueError:
            value = None
    kinds = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not valid(value):
        raise ConfigurationError(f"{where} must be {expected}; not {str(given)[:40]!r}")
    return kind(value)


def _int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
