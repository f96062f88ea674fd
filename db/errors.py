"""Errors the app and the CLI turn into one clear line for the user."""

from db import redact


class DatabaseError(Exception):
    """An expected failure: its message is one line, fit to show a user (known secrets are
    scrubbed from it, whoever built it)."""

    def __str__(self) -> str:
        return redact.scrub(super().__str__())


class DatabaseUnavailable(DatabaseError):
    """The database could not be reached (or started, for the embedded one).

    ``public`` is what a visitor of the app may read: no user, port, database name, path or
    server message (the message itself is for operators: the CLI and the server log)."""

    def __init__(self, message: str, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public or "The database is not available."


class DatabaseBusy(DatabaseUnavailable):
    """Every connection of the pool stayed in use for the whole wait."""


class QueryTimeout(DatabaseError):
    """A read ran into the statement timeout or the lock timeout."""


class ConfigurationError(DatabaseError):
    """A setting is malformed: a bad URL, a bad pool size, an unreadable secrets file."""


class InvalidData(DatabaseError, ValueError):
    """Input that cannot be stored as it is; nothing was written."""


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (psycopg's run over several), with
    known secrets scrubbed."""
    for line in str(exc).splitlines():
        if line.strip():
            return redact.scrub(line.strip())
    return type(exc).__name__
