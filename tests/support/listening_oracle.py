"""The listening figures of issue #19 read the plain way, from an export's rows (the dicts
tests/support/history_export.py writes), not from the database: every figure of the Listening
page, the year in review and the track and artist views, and the rows of the listening rollups
(migration 0010), to check db/derive/rollups.py and the queries against. Shares no code with db/ or
queries/: lists, loops and zoneinfo.

The rule, the one for every figure:

- a *play* is a row with a track URI (``spotify:track:<id>``), keyed (ts, track id, ms_played):
  an exact repeat, or any later row with the same key, is the first one again;
- a *stream* is a play of at least 30,000 ms whose incognito_mode is not true (null counts as not
  incognito); its *day* is the local date of its end (``ts``, UTC) in the zone, its *hour* the
  local hour of its end; *minutes* = the streams' ms_played summed / 60,000;
- for the share skipped, the *plays* are the plays not in incognito mode, of any length (each
  counts on the local day of its end): share = plays with skipped true / plays whose skipped is
  not null (None when none says);
- a *session*: the streams ordered by end time (ties: by track id, then ms_played); a stream
  whose start (end - ms_played) is less than 20 minutes after the end of the stream before it
  joins that stream's session, otherwise (20 minutes exactly, or more) it opens one. A session
  starts at the earliest start of its streams (a long stream can begin before the one that ended
  first) and ends at its last end; its *day* is the local date of its start, its length is end -
  start;
- a track is *discovered* on the day of its first stream ever (over all time, not the period);
- the *longest streak* is the most consecutive local days that each hold a stream;
- a track's names (name, artist, album) are those of the first of its rows that names it (a row
  with null metadata names nothing); streams of a track no row names have artist and album None,
  and count for no artist and no album (they still count as streams, minutes and tracks);
- a period is [start, end], local dates, both included; None for either side means no bound
  (None, None: all time). A figure of a period counts the streams whose day is in it; a session
  counts when its day is; a week is keyed by its Monday, a month by its 1st (the key can be
  before ``start`` when the period begins mid-week or mid-month);
- orders: keys ascending compare by code point (SQL: COLLATE "C"); album keys are (album name,
  artist name) tuples.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
AT_LEAST_MS = 30_000
SESSION_GAP = dt.timedelta(minutes=20)
TRACK_PREFIX = "spotify:track:"


def utc(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Play:
    """A music play as stored once: what the skip share and the daily rollup count."""

    track_id: str
    ended_at: dt.datetime  # UTC
    ms: int
    incognito: bool | None
    skipped: bool | None
    day: dt.date  # local date of the end
    hour: int  # local hour of the end

    @property
    def stream(self) -> bool:
        return self.ms >= AT_LEAST_MS and self.incognito is not True


@dataclass(frozen=True)
class Stream:
    track_id: str
    artist: str | None
    album: str | None
    track_name: str | None
    ended_at: dt.datetime  # UTC
    ms: int
    day: dt.date  # local date of the end
    hour: int  # local hour of the end, 0-23

    @property
    def name(self) -> str | None:
        return self.track_name

    @property
    def started_at(self) -> dt.datetime:
        return self.ended_at - dt.timedelta(milliseconds=self.ms)


@dataclass(frozen=True)
class Session:
    started_at: dt.datetime  # UTC: the earliest start of its streams
    ended_at: dt.datetime  # UTC: its last end
    day: dt.date  # local date of started_at
    streams: int
    ms: int

    @property
    def minutes(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() / 60


def _zone(tz) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def names(rows: Iterable[dict]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """{track id: (track name, artist, album)} from the first row that names the track."""
    found: dict[str, tuple] = {}
    for row in rows:
        uri = row.get("spotify_track_uri")
        if not uri:
            continue
        track_id = uri[len(TRACK_PREFIX):]
        name = row.get("master_metadata_track_name")
        if track_id not in found or (found[track_id][0] is None and name is not None):
            found[track_id] = (name, row.get("master_metadata_album_artist_name"),
                               row.get("master_metadata_album_album_name"))
    return found


def plays(rows: Iterable[dict], tz) -> list[Play]:
    """Every play once (the first row of a key), in the order first seen."""
    zone = _zone(tz)
    seen: dict[tuple, Play] = {}
    for row in rows:
        uri = row.get("spotify_track_uri")
        if not uri:
            continue  # a podcast, an audiobook, a row without a URI
        assert uri.startswith(TRACK_PREFIX), uri
        ended = utc(row["ts"])
        key = (ended, uri[len(TRACK_PREFIX):], row["ms_played"])
        if key in seen:
            continue
        local = ended.astimezone(zone)
        seen[key] = Play(key[1], ended, key[2], row.get("incognito_mode"), row.get("skipped"),
                         local.date(), local.hour)
    return list(seen.values())


def streams(rows: Iterable[dict], tz) -> list[Stream]:
    """The streams, ordered by end time (then track id, then ms)."""
    rows = list(rows)
    named = names(rows)
    found = [Stream(p.track_id, named[p.track_id][1], named[p.track_id][2], named[p.track_id][0],
                    p.ended_at, p.ms, p.day, p.hour)
             for p in plays(rows, tz) if p.stream]
    return sorted(found, key=lambda s: (s.ended_at, s.track_id, s.ms))


def sessions(rows: Iterable[dict], tz) -> list[Session]:
    """Every session over all time, in order."""
    zone = _zone(tz)
    groups: list[list[Stream]] = []
    previous_end = None
    for s in streams(rows, tz):  # by end time
        if previous_end is None or s.started_at - previous_end >= SESSION_GAP:
            groups.append([])
        groups[-1].append(s)
        previous_end = s.ended_at
    found = []
    for group in groups:
        start = min(s.started_at for s in group)
        found.append(Session(start, max(s.ended_at for s in group),
                             start.astimezone(zone).date(), len(group),
                             sum(s.ms for s in group)))
    return found


def _within(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _in_period(rows, tz, start, end) -> list[Stream]:
    return [s for s in streams(rows, tz) if _within(s.day, start, end)]


def _minutes(ms: int) -> float:
    return ms / 60_000


def first_streams(rows: Iterable[dict], tz) -> dict[str, Stream]:
    """{track id: its first stream ever} (ties in end time: as streams() orders them)."""
    found: dict[str, Stream] = {}
    for s in streams(rows, tz):
        found.setdefault(s.track_id, s)
    return found


def _longest_run(days: set[dt.date]) -> int:
    best = 0
    for day in days:
        if day - dt.timedelta(days=1) in days:
            continue  # not the first day of a run
        length = 1
        while day + dt.timedelta(days=length) in days:
            length += 1
        best = max(best, length)
    return best


def cards(rows: Iterable[dict], tz, start: dt.date | None, end: dt.date | None) -> dict:
    rows = list(rows)
    chosen = _in_period(rows, tz, start, end)
    counted = [p for p in plays(rows, tz)
               if p.incognito is not True and _within(p.day, start, end)]
    known = [p for p in counted if p.skipped is not None]
    in_period = [x for x in sessions(rows, tz) if _within(x.day, start, end)]
    # The longest; of equally long ones, the one with more streams, then the earliest.
    longest = min(in_period, key=lambda x: (x.started_at - x.ended_at, -x.streams, x.started_at),
                  default=None)
    return {
        "minutes": _minutes(sum(s.ms for s in chosen)),
        "streams": len(chosen),
        "tracks": len({s.track_id for s in chosen}),
        "artists": len({s.artist for s in chosen if s.artist is not None}),
        "discovered": sum(1 for s in first_streams(rows, tz).values()
                          if _within(s.day, start, end)),
        "skip_share": (sum(1 for p in known if p.skipped is True) / len(known)) if known else None,
        "longest_streak": _longest_run({s.day for s in chosen}),
        "sessions": len(in_period),
        "longest_session_minutes": longest.minutes if longest else None,
        "longest_session_streams": longest.streams if longest else None,
    }


def period_key(day: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return day
    if granularity == "week":
        return day - dt.timedelta(days=day.isoweekday() - 1)
    if granularity == "month":
        return day.replace(day=1)
    raise ValueError(f"granularity {granularity!r}: day, week or month")


def series(rows: Iterable[dict], tz, start: dt.date | None, end: dt.date | None,
           granularity: str) -> dict[dt.date, tuple[float, int]]:
    """{first day of the period: (minutes, streams)} for the periods holding streams."""
    ms: Counter = Counter()
    count: Counter = Counter()
    for s in _in_period(rows, tz, start, end):
        key = period_key(s.day, granularity)
        ms[key] += s.ms
        count[key] += 1
    return {key: (_minutes(ms[key]), count[key]) for key in sorted(count)}


def heatmap(rows: Iterable[dict], tz, start: dt.date | None, end: dt.date | None
            ) -> dict[tuple[int, int], int]:
    """{(ISO weekday 1=Monday..7, local hour 0-23): streams}, the cells holding streams."""
    return dict(Counter((s.day.isoweekday(), s.hour) for s in _in_period(rows, tz, start, end)))


def _key(s: Stream, kind: str):
    if kind == "track":
        return s.track_id
    if kind == "artist":
        return s.artist
    if kind == "album":
        return None if s.album is None or s.artist is None else (s.album, s.artist)
    raise ValueError(f"kind {kind!r}: track, artist or album")


def _ranked(chosen: list[Stream], kind: str, by: str, limit: int | None) -> list[tuple]:
    count: Counter = Counter()
    ms: Counter = Counter()
    for s in chosen:
        key = _key(s, kind)
        if key is None:
            continue
        count[key] += 1
        ms[key] += s.ms
    if by == "streams":
        order = sorted(count, key=lambda k: (-count[k], -ms[k], k))
    elif by == "minutes":
        order = sorted(count, key=lambda k: (-ms[k], -count[k], k))
    else:
        raise ValueError(f"by {by!r}: streams or minutes")
    return [(k, count[k], _minutes(ms[k])) for k in order[:limit]]


def top(rows: Iterable[dict], tz, start: dt.date | None, end: dt.date | None, kind: str,
        by: str, limit: int | None) -> list[tuple]:
    """[(key, streams, minutes)]: key a track id ("track"), an artist name ("artist") or (album
    name, artist name) ("album"); by "streams" (streams, minutes desc, key asc) or "minutes"
    (minutes, streams desc, key asc); at most ``limit`` (None: all)."""
    return _ranked(_in_period(rows, tz, start, end), kind, by, limit)


def tracks_streamed(rows: Iterable[dict], tz, start: dt.date | None, end: dt.date | None,
                    kind: str) -> dict:
    """{key: distinct tracks streamed in the period}, keys as top's ("artist" or "album")."""
    found: dict = defaultdict(set)
    for s in _in_period(rows, tz, start, end):
        key = _key(s, kind)
        if key is not None:
            found[key].add(s.track_id)
    return {key: len(tracks) for key, tracks in found.items()}


def recap(rows: Iterable[dict], tz, year: int) -> dict:
    rows = list(rows)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    chosen = _in_period(rows, tz, start, end)
    by_month: Counter = Counter()
    for s in chosen:
        by_month[s.day.replace(day=1)] += s.ms
    top_month = min(by_month, key=lambda m: (-by_month[m], m)) if by_month else None
    days: dict[str, set] = defaultdict(set)
    count: Counter = Counter()
    for s in chosen:
        days[s.track_id].add(s.day)
        count[s.track_id] += 1
    returned = min(days, key=lambda t: (-len(days[t]), -count[t], t)) if days else None
    return {
        "minutes": _minutes(sum(s.ms for s in chosen)),
        "streams": len(chosen),
        "top_tracks": _ranked(chosen, "track", "streams", 5),
        "top_artists": _ranked(chosen, "artist", "streams", 5),
        "top_month": top_month,
        "discovered": sum(1 for s in first_streams(rows, tz).values() if start <= s.day <= end),
        "most_returned": returned,
        "most_returned_days": len(days[returned]) if returned else None,
    }


def years(rows: Iterable[dict], tz) -> list[int]:
    """The years (local) that hold a stream."""
    return sorted({s.day.year for s in streams(rows, tz)})


def _stats(chosen: list[Stream]) -> dict:
    per_month: Counter = Counter(s.day.replace(day=1) for s in chosen)
    return {
        "first_stream": min((s.ended_at for s in chosen), default=None),
        "last_stream": max((s.ended_at for s in chosen), default=None),
        "streams": len(chosen),
        "minutes": _minutes(sum(s.ms for s in chosen)),
        "per_month": {m: per_month[m] for m in sorted(per_month)},
    }


def track_stats(rows: Iterable[dict], tz, track_id: str) -> dict:
    """A track's streams over all time: first and last (UTC end), streams, minutes, streams per
    month (local, keyed by the 1st)."""
    return _stats([s for s in streams(rows, tz) if s.track_id == track_id])


def artist_stats(rows: Iterable[dict], tz, artist: str) -> dict:
    """The same for every track whose artist (the track's names, above) is ``artist``."""
    return _stats([s for s in streams(rows, tz) if s.artist == artist])


def artist_top_tracks(rows: Iterable[dict], tz, artist: str, by: str = "streams",
                      limit: int | None = None) -> list[tuple]:
    """An artist's tracks over all time, ranked as top() ranks tracks."""
    return _ranked([s for s in streams(rows, tz) if s.artist == artist], "track", by, limit)


# The rollup tables of migration 0010, row by row, as the rule gives them.

def rollup_days(rows: Iterable[dict], tz) -> dict[dt.date, tuple[int, int, int, int, int]]:
    """{day: (streams, ms, plays, skip_known, skipped)} for the days with a stream or a counted
    play (a day whose plays are all incognito has no row here)."""
    found: dict[dt.date, list[int]] = {}
    for p in plays(rows, tz):
        if p.incognito is True:
            continue
        row = found.setdefault(p.day, [0, 0, 0, 0, 0])
        if p.stream:
            row[0] += 1
            row[1] += p.ms
        row[2] += 1
        if p.skipped is not None:
            row[3] += 1
            row[4] += p.skipped is True
    return {day: tuple(v) for day, v in sorted(found.items())}


def rollup_hours(rows: Iterable[dict], tz) -> dict[tuple[dt.date, int], tuple[int, int]]:
    """{(day, hour): (streams, ms)}."""
    found: dict[tuple, list[int]] = {}
    for s in streams(rows, tz):
        row = found.setdefault((s.day, s.hour), [0, 0])
        row[0] += 1
        row[1] += s.ms
    return {k: tuple(v) for k, v in sorted(found.items())}


def rollup_track_days(rows: Iterable[dict], tz) -> dict[tuple[dt.date, str], tuple[int, int]]:
    """{(day, track id): (streams, ms)}."""
    found: dict[tuple, list[int]] = {}
    for s in streams(rows, tz):
        row = found.setdefault((s.day, s.track_id), [0, 0])
        row[0] += 1
        row[1] += s.ms
    return {k: tuple(v) for k, v in sorted(found.items())}


def rollup_track_months(rows: Iterable[dict], tz
                        ) -> dict[tuple[dt.date, str], tuple[int, int, int]]:
    """{(month's 1st, track id): (streams, ms, distinct days)}."""
    found: dict[tuple, list] = {}
    for s in streams(rows, tz):
        row = found.setdefault((s.day.replace(day=1), s.track_id), [0, 0, set()])
        row[0] += 1
        row[1] += s.ms
        row[2].add(s.day)
    return {k: (v[0], v[1], len(v[2])) for k, v in sorted(found.items())}


def rollup_track_firsts(rows: Iterable[dict], tz
                        ) -> dict[str, tuple[dt.datetime, dt.datetime, dt.date, dt.date]]:
    """{track id: (first end, last end, first day, last day)} over the track's streams."""
    found: dict[str, list] = {}
    for s in streams(rows, tz):  # by end time: the first seen is the first, the last the last
        row = found.setdefault(s.track_id, [s.ended_at, s.ended_at, s.day, s.day])
        row[1], row[3] = s.ended_at, s.day
    return {k: tuple(v) for k, v in sorted(found.items())}


def rollup_sessions(rows: Iterable[dict], tz
                    ) -> dict[dt.datetime, tuple[dt.datetime, dt.date, int, int]]:
    """{session end: (start, day, streams, ms)}."""
    return {x.ended_at: (x.started_at, x.day, x.streams, x.ms) for x in sessions(rows, tz)}
