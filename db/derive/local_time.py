"""The listener's time zone: the day a sync records and the day a play counts for."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import zoneinfo
from pathlib import Path

from db.errors import ConfigurationError


def zone_name() -> str:
    """MTM_TIMEZONE (an IANA name such as Europe/Berlin) if set, else this machine's zone (UTC
    when the machine does not say)."""
    name = os.environ.get("MTM_TIMEZONE", "").strip()
    if name:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"MTM_TIMEZONE {name!r} is not a time zone name such as "
                                     "Europe/Berlin") from None
        return name
    return _machine_zone()


def _machine_zone() -> str:
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                zoneinfo.ZoneInfo(name)
                return name
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(zone_name())).date()
