"""The listener's time zone and calendar: the day a sync records and the day a play counts for,
the UTC bounds of a span of local days, and month steps."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import zoneinfo
from pathlib import Path

import psycopg

from db.errors import ConfigurationError
from db.model.meta import get_meta, set_meta

DAY = dt.timedelta(days=1)


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


def local_day(c: psycopg.Connection, moment: dt.datetime, tz: str) -> dt.date:
    """The date `moment` falls on in `tz`, as the queries that group by local day count it."""
    return c.execute("SELECT (%s::timestamptz AT TIME ZONE %s)::date", (moment, tz)).fetchone()[0]


def utc_window(first: dt.date, last: dt.date) -> dict[str, dt.datetime]:
    """UTC bounds holding every moment of the local days [first, last] in any zone (a local day
    lies within a day of the UTC day of the same date), so an index on the UTC time finds them:
    query parameters from_utc (inclusive) and to_utc (exclusive)."""
    return {"from_utc": dt.datetime.combine(first - 2 * DAY, dt.time(), dt.UTC),
            "to_utc": dt.datetime.combine(last + 2 * DAY, dt.time(), dt.UTC)}


def zone_changed(c: psycopg.Connection, meta_key: str, tz: str) -> bool:
    """Whether what is kept under `meta_key` was made in another zone than `tz` (or never made):
    then all of it is made again, since every local day may have moved."""
    return (get_meta(meta_key, c) or {}).get("timezone") != tz


def made_in(c: psycopg.Connection, meta_key: str, tz: str) -> None:
    """Record the zone what is kept under `meta_key` was made in."""
    set_meta(meta_key, {"timezone": tz}, c)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + 4 * DAY).replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return next_month(day) - DAY


def whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """[first, stop): the first days of the calendar months lying wholly inside [start, end]
    (first == stop when there are none)."""
    first = start if start.day == 1 else next_month(start)
    stop = (end + DAY).replace(day=1)
    return (first, stop) if first < stop else (end + DAY,) * 2
