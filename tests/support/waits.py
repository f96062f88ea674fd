"""Waiting for a condition, never for a guessed time: the one polling loop of the tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str | Callable[[], str], timeout_s: float = 60,
               every_s: float = 0.02) -> T:
    """Ask ``condition()`` again, every ``every_s``, until it returns something true; return that.

    After ``timeout_s`` the test fails with ``what`` (a callable is asked then, so that it can
    say what was last seen). The bound is for a stuck test, not a speed goal. An exception from
    ``condition()`` ends the wait at once (a process that died, a thread that gave up)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(what() if callable(what) else what)
        time.sleep(every_s)
    return value
