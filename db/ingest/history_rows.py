"""The rows of Spotify's data export, read one at a time: which files hold plays, and what one
row says. Pure (no database), so that the rules can be tested on any input.

Extended streaming history (``Streaming_History_Audio_*.json``, older ``endsong_*.json``): one
object per play, ``ts`` the UTC end of the play. Account data (``StreamingHistory_music_*.json``,
older ``StreamingHistory<n>.json``): ``endTime`` to the minute, names but no URI. A row is a
play (a tuple ready for the plays table), a reason it is not one (a podcast, say), or a
RowProblem naming what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EXTENDED = "extended"
ACCOUNT = "account"
VIDEO = "video"

_NAMES = (
    (re.compile(r"(streaming_history_audio_.*|endsong(_\d+)?)\.json", re.I), EXTENDED),
    (re.compile(r"streaming_history_video_.*\.json", re.I), VIDEO),
    (re.compile(r"streaminghistory(_music_)?\d+\.json", re.I), ACCOUNT),
)
TRACK_URI = re.compile(r"spotify:track:([0-9A-Za-z]{22})")
MAX_INT4 = 2**31 - 1
# Times a play may carry: Spotify began in 2008; a day ahead of now allows for clock skew.
EARLIEST = dt.datetime(2006, 1, 1, tzinfo=dt.UTC)

SKIP_PODCAST = "podcast episodes"
SKIP_AUDIOBOOK = "audiobooks"
SKIP_VIDEO = "videos"
SKIP_NO_URI = "rows without a track URI"
SKIP_UNMATCHED = "account-data rows matching no single known track"


class RowProblem(ValueError):
    """A row that cannot be read: the message names what is wrong (the caller adds where)."""


def file_kind(name: str) -> str | None:
    """EXTENDED, ACCOUNT or VIDEO for a history file's name (its folder does not matter)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for pattern, kind in _NAMES:
        if pattern.fullmatch(base):
            return kind
    return None


@dataclass(frozen=True)
class Play:
    """One play of a music track: ``row`` in PLAY_COLUMNS order, and the track's names."""

    row: tuple
    track_name: str | None
    artist_name: str | None
    album_name: str | None

    @property
    def key(self) -> tuple:
        return self.row[:3]


PLAY_COLUMNS = ("played_at", "track_id", "ms_played", "reason_start", "reason_end", "shuffle",
                "skipped", "offline", "offline_at", "incognito", "platform", "country",
                "exact_time")


@dataclass(frozen=True)
class AccountPlay:
    """A row of the account-data export, to be matched to a known track by its names."""

    ended_at: dt.datetime  # to the minute
    artist_name: str
    track_name: str
    ms_played: int


def extended_row(row: Any, now: dt.datetime | None = None) -> Play | str:
    """A Play, or the reason (SKIP_*) the row is not one; RowProblem when it is malformed."""
    if not isinstance(row, Mapping):
        raise RowProblem(f"expected an object, got {_json_type(row)}")
    played_at = _time(row.get("ts"), "ts", now)
    ms = _ms(row.get("ms_played"), "ms_played")
    uri = _text(row, "spotify_track_uri")
    if uri is None:
        if _text(row, "spotify_episode_uri") or _text(row, "episode_name"):
            return SKIP_PODCAST
        if _text(row, "audiobook_uri") or _text(row, "audiobook_title"):
            return SKIP_AUDIOBOOK
        return SKIP_NO_URI
    match = TRACK_URI.fullmatch(uri)
    if match is None:
        raise RowProblem(f"spotify_track_uri {uri[:60]!r} is not a track URI "
                         "(spotify:track: and 22 letters and digits)")
    return Play(
        (played_at, match.group(1), ms, _text(row, "reason_start"), _text(row, "reason_end"),
         _flag(row, "shuffle"), _flag(row, "skipped"), _flag(row, "offline"),
         _offline_at(row.get("offline_timestamp")), _flag(row, "incognito_mode"),
         _text(row, "platform"), _text(row, "conn_country"), True),
        _text(row, "master_metadata_track_name"),
        _text(row, "master_metadata_album_artist_name"),
        _text(row, "master_metadata_album_album_name"),
    )


def account_row(row: Any, now: dt.datetime | None = None) -> AccountPlay | str:
    """An AccountPlay, or SKIP_UNMATCHED for a row with no names; RowProblem when malformed."""
    if not isinstance(row, Mapping):
        raise RowProblem(f"expected an object, got {_json_type(row)}")
    end = row.get("endTime")
    if not isinstance(end, str):
        raise RowProblem(f"endTime must be a time such as \"2023-04-01 18:22\", not "
                         f"{_shown(end)}")
    try:
        ended_at = dt.datetime.strptime(end, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    except ValueError:
        raise RowProblem(f"endTime must be a time such as \"2023-04-01 18:22\", not "
                         f"{_shown(end)}") from None
    _in_range(ended_at, "endTime", now)
    ms = _ms(row.get("msPlayed"), "msPlayed")
    artist, track = _text(row, "artistName"), _text(row, "trackName")
    if not artist or not track:
        return SKIP_UNMATCHED
    return AccountPlay(ended_at, artist, track, ms)


def _time(value: Any, name: str, now: dt.datetime | None) -> dt.datetime:
    if not isinstance(value, str):
        raise RowProblem(f"{name} must be a UTC time such as \"2023-04-01T18:22:05Z\", not "
                         f"{_shown(value)}")
    try:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved by its offset
        parsed = None
    if parsed is None or parsed.tzinfo is None or len(value) > 40:
        raise RowProblem(f"{name} must be a UTC time such as \"2023-04-01T18:22:05Z\", not "
                         f"{_shown(value)}")
    return _in_range(parsed, name, now)


def _in_range(value: dt.datetime, name: str, now: dt.datetime | None) -> dt.datetime:
    latest = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)
    if not EARLIEST <= value <= latest:
        raise RowProblem(f"{name} {value:%Y-%m-%d %H:%M} is not between {EARLIEST:%Y} and now")
    return value


def _ms(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT4:
        raise RowProblem(f"{name} must be a whole number of milliseconds, not {_shown(value)}")
    return value


def _text(row: Mapping, key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowProblem(f"{key} must be text or null, not {_shown(value)}")
    if "\x00" in value:
        raise RowProblem(f"{key} holds a NUL character")
    return value


def _flag(row: Mapping, key: str) -> bool | None:
    value = row.get(key)
    if value is None or isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise RowProblem(f"{key} must be true, false or null, not {_shown(value)}")


def _offline_at(value: Any) -> dt.datetime | None:
    """offline_timestamp: seconds in some years, milliseconds in others, 0 or null for none; a
    value that reads as neither is dropped (it is informational)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    seconds = value / 1000 if value >= 1e11 else value
    try:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if EARLIEST <= moment <= dt.datetime(2100, 1, 1, tzinfo=dt.UTC) else None


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
