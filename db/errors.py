"""Errors the app and the CLI turn into one clear line for the user."""


class DatabaseError(Exception):
    """An expected failure: its message is one line, fit to show a user."""


class DatabaseUnavailable(DatabaseError):
    """The database could not be reached (or started, for the embedded one)."""


class ConfigurationError(DatabaseError):
    """A setting is malformed: a bad URL, a bad pool size, an unreadable secrets file."""


class InvalidData(DatabaseError, ValueError):
    """Input that cannot be stored as it is; nothing was written."""


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (psycopg's run over several)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
