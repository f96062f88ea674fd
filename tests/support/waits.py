"""Waiting for a condition, never for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Ask again until ``condition()`` holds; the bound is for a stuck test, not a speed goal."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
