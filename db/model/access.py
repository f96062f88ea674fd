"""Who may change the owner's data: checked here, in db/, by every action that writes to it, so
that calling one directly is refused exactly as through the UI.

- MTM_READ_ONLY = on (environment or secrets): every such action is refused. A value that is
  neither on nor off (config.switch) refuses them too, and stops the app at its start.
- MTM_ADMIN_PASSWORD: when set, an action needs a Grant, which only unlock() hands out for the
  right passphrase (compared in constant time; after each wrong one the next attempt in this
  process waits longer, up to MAX_DELAY_S). The passphrase is never logged, shown or kept
  beyond the comparison. Without one, writes are open (the Data page warns about that on a
  database the user named).
- The command line is the owner's own: operator() grants it, unless the app is read-only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass

from db import config
from db.errors import DatabaseError

MAX_DELAY_S = 30.0


class WriteRefused(DatabaseError):
    """The action would change the owner's data and is not allowed here."""


@dataclass(frozen=True)
class Grant:
    """Proof that writes were allowed when it was made (by unlock() or operator())."""

    by: str


_FAILED = {"count": 0}
_lock = threading.Lock()


def read_only() -> bool:
    """MTM_READ_ONLY; a value it does not know is a ConfigurationError, never "off": every
    writer asks this first, so an unknown value refuses every write."""
    return config.switch("MTM_READ_ONLY", False)


def passphrase_required() -> bool:
    return bool(os.environ.get("MTM_ADMIN_PASSWORD", ""))


def writes_open() -> bool:
    """Anyone who can reach the app may write: not read-only and no passphrase."""
    return not read_only() and not passphrase_required()


def unlock(passphrase: str | None) -> Grant:
    """A Grant for the app's session, or WriteRefused. Wrong passphrases slow down the next try."""
    if read_only():
        raise WriteRefused("this app is read-only (MTM_READ_ONLY): nothing can be changed here")
    expected = os.environ.get("MTM_ADMIN_PASSWORD", "")
    if not expected:
        return Grant("open")
    with _lock:
        delay = min(MAX_DELAY_S, 0.5 * (2 ** _FAILED["count"] - 1))
    time.sleep(delay)
    given = hashlib.sha256((passphrase or "").encode()).digest()
    if hmac.compare_digest(given, hashlib.sha256(expected.encode()).digest()):
        with _lock:
            _FAILED["count"] = 0
        return Grant("passphrase")
    with _lock:
        _FAILED["count"] += 1
    raise WriteRefused("wrong passphrase")


def operator() -> Grant:
    """The command line's grant: the owner at their own machine, unless read-only."""
    if read_only():
        raise WriteRefused("this installation is read-only (MTM_READ_ONLY): nothing can be "
                           "changed")
    return Grant("operator")


def refuse_if_read_only() -> None:
    """For an action whose own proof stands in for a Grant (finishing a Spotify connection that a
    granted session began: db.ingest.spotify.sync.complete_connect), read-only still refuses it."""
    if read_only():
        raise WriteRefused("this app is read-only (MTM_READ_ONLY): nothing can be changed here")


def check(grant: Grant | None) -> None:
    """Raise WriteRefused unless ``grant`` allows writing now."""
    refuse_if_read_only()
    if not isinstance(grant, Grant) or (passphrase_required() and grant.by == "open"):
        raise WriteRefused("changing the data needs the admin passphrase (MTM_ADMIN_PASSWORD)")
