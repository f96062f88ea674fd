"""An independent, plain-Python reading of the dashboard's semantics (issue #3), to check the
SQL against. Deliberately shares no code with queries/."""

from __future__ import annotations

from collections import Counter


def release_year(track: dict) -> int | None:
    album = track.get("album")
    date = album.get("release_date") if isinstance(album, dict) else None
    if isinstance(date, str) and len(date) >= 4 and date[:4].isascii() and date[:4].isdigit() \
            and date[:4] != "0000":
        return int(date[:4])
    return None


def explicit_label(track: dict) -> str:
    value = track.get("explicit")
    if value is True:
        return "Explicit"
    if value is False:
        return "Clean"
    return "Unknown"


def selected(tracks: list[dict], snapshots: list[tuple], start=None, end=None,
             time_range=None) -> list[dict]:
    if start is None and time_range is None:
        return list(tracks)
    ids = {s[0] for s in snapshots
           if (start is None or start <= s[1] <= end) and (time_range is None or s[2] == time_range)}
    return [t for t in tracks if t["id"] in ids]


def snapshot_days(snapshots, start=None, end=None, time_range=None) -> int:
    return len({s[1] for s in snapshots
                if (start is None or start <= s[1] <= end)
                and (time_range is None or s[2] == time_range)})


def decades(tracks) -> dict[str, int]:
    return dict(Counter("Unknown" if release_year(t) is None else f"{release_year(t) // 10 * 10}s"
                        for t in tracks))


def years(tracks) -> dict[str, int]:
    return dict(Counter("Unknown" if release_year(t) is None else str(release_year(t))
                        for t in tracks))


def explicit(tracks) -> dict[str, int]:
    return dict(Counter(explicit_label(t) for t in tracks))
