"""The rule of issue #18 read the plain way, from an export's rows (not from the database), to
check the import and db/derive/top_lists.py against. Deliberately shares no code with db/: each day,
each time range, a loop over the streams in its window.

- a play is a row with a track URI, keyed (ts, track id, ms_played): repeats count once;
- a stream is a play of at least 30,000 ms whose incognito_mode is not true;
- its day is the local date of ts (UTC, the end of the play) in the given zone;
- the list of day D for a range of W days ranks the tracks streamed on days D-W+1 .. D by streams,
  then their milliseconds, then the latest stream (all descending), then track id; ranks 1-99;
- a list for every day from the first stream's day to the last one's whose window holds a stream,
  except the (day, range) pairs that have Spotify's own list.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

UTC = dt.UTC
RANGES = {"short_term": 28, "medium_term": 182, "long_term": 365}
LONGEST_LIST = 99
AT_LEAST_MS = 30_000


def utc(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _offline_moment(value) -> dt.datetime | None:
    if not value:
        return None
    # Ten-digit values are seconds (years 2001-2286), thirteen-digit ones milliseconds.
    return dt.datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)


def plays(rows: Iterable[dict]) -> dict[tuple, dict]:
    """{(ts, track id, ms): the play's stored columns} for every music row; the first of repeats."""
    found: dict[tuple, dict] = {}
    for row in rows:
        uri = row.get("spotify_track_uri")
        if not uri:
            continue
        assert uri.startswith("spotify:track:")
        key = (utc(row["ts"]), uri[len("spotify:track:"):], row["ms_played"])
        found.setdefault(key, {
            "reason_start": row.get("reason_start"), "reason_end": row.get("reason_end"),
            "shuffle": row.get("shuffle"), "skipped": row.get("skipped"),
            "offline": row.get("offline"),
            "offline_at": _offline_moment(row.get("offline_timestamp")),
            "incognito": row.get("incognito_mode"), "platform": row.get("platform"),
            "country": row.get("conn_country"), "exact_time": True})
    return found


def account_plays(rows: Iterable[dict], known: dict[tuple[str, str], set[str]]) -> dict[tuple, dict]:
    """Account-data rows matched to the one known track of that exact (name, artist)."""
    found: dict[tuple, dict] = {}
    for row in rows:
        ids = known.get((row.get("trackName"), row.get("artistName")), set())
        if len(ids) == 1:
            end = dt.datetime.strptime(row["endTime"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            found.setdefault((end, next(iter(ids)), row["msPlayed"]),
                             {"incognito": None, "exact_time": False})
    return found


def lists(all_plays: dict[tuple, dict], zone: str,
          spotify_days: set[tuple[dt.date, str]] = frozenset()
          ) -> dict[tuple[dt.date, str], list[str]]:
    """{(day, time range): [track id at rank 1, rank 2, ...]} by the rule."""
    tz = ZoneInfo(zone)
    streams = sorted(
        (ts.astimezone(tz).date(), ts, track, ms)
        for (ts, track, ms), play in all_plays.items()
        if ms >= AT_LEAST_MS and play["incognito"] is not True)
    if not streams:
        return {}
    days = [s[0] for s in streams]
    result = {}
    day = days[0]
    while day <= days[-1]:
        for time_range, width in RANGES.items():
            if (day, time_range) in spotify_days:
                continue
            first = day - dt.timedelta(days=width - 1)
            window = streams[bisect.bisect_left(days, first):bisect.bisect_right(days, day)]
            assert all(first <= s[0] <= day for s in window)
            if not window:
                continue
            tally: dict[str, list] = {}
            for _, ts, track, ms in window:
                count = tally.setdefault(track, [0, 0, ts])
                count[0] += 1
                count[1] += ms
                count[2] = max(count[2], ts)
            ranked = sorted(tally, key=lambda t: (-tally[t][0], -tally[t][1],
                                                  -tally[t][2].timestamp(), t))
            result[(day, time_range)] = ranked[:LONGEST_LIST]
        day += dt.timedelta(days=1)
    return result
