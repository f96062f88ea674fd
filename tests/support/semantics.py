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


# --- The time machine's pages (issue #11), read straight from the rows the test wrote. ---
# snapshots: (track_id, date, time_range, rank) tuples; tracks: Spotify track objects.

def list_dates(snapshots, time_range) -> list:
    return sorted({s[1] for s in snapshots if s[2] == time_range})


def list_on(snapshots, date, time_range):
    """(the date of the list shown for `date`, {track: rank}) — (None, {}) before the first."""
    earlier = [d for d in list_dates(snapshots, time_range) if date is None or d <= date]
    if not earlier:
        return None, {}
    day = earlier[-1]
    return day, {s[0]: s[3] for s in snapshots if s[1] == day and s[2] == time_range}


def movement(snapshots, date, time_range) -> dict[str, str]:
    """track -> "▲ n", "▼ n", "=", "new", "back" ("—" everywhere on a time range's first list)."""
    day, ranks = list_on(snapshots, date, time_range)
    before = [d for d in list_dates(snapshots, time_range) if d < day] if day else []
    if not before:
        return {track: "—" for track in ranks}
    previous = {s[0]: s[3] for s in snapshots if s[1] == before[-1] and s[2] == time_range}
    earlier = {s[0] for s in snapshots if s[1] < before[-1] and s[2] == time_range}
    labels = {}
    for track, rank in ranks.items():
        if track in previous:
            change = previous[track] - rank
            labels[track] = "=" if change == 0 else (f"▲ {change}" if change > 0 else f"▼ {-change}")
        else:
            labels[track] = "back" if track in earlier else "new"
    return labels


def consistent_artists(tracks, snapshots, time_range, start, end) -> list[tuple[str, int]]:
    """(artist, lists with one of their tracks) for the window, most lists first; ties by name
    are left to the caller (the app breaks them by best rank)."""
    artist = {t["id"]: (t.get("artists") or [{}])[0].get("name") for t in tracks}
    days: dict[str, set] = {}
    for track, day, tr, _ in snapshots:
        if tr == time_range and start <= day <= end and artist.get(track):
            days.setdefault(artist[track], set()).add(day)
    return sorted(((a, len(d)) for a, d in days.items()), key=lambda x: (-x[1], x[0]))


def best_in_period(snapshots, start, end, time_range) -> dict[str, int]:
    best: dict[str, int] = {}
    for track, day, tr, rank in snapshots:
        if tr == time_range and start <= day <= end:
            best[track] = min(rank, best.get(track, rank))
    return best


def compare(a: dict[str, int], b: dict[str, int]) -> dict:
    """entered / dropped (sets) and movers {track: change, up positive}."""
    return {"entered": set(b) - set(a), "dropped": set(a) - set(b),
            "movers": {t: a[t] - b[t] for t in set(a) & set(b) if a[t] != b[t]}}


def rank_series(snapshots, track, time_range) -> list[tuple]:
    """(date, rank or None) for every list of the time range from the track's first one."""
    ranks = {s[1]: s[3] for s in snapshots if s[0] == track and s[2] == time_range}
    if not ranks:
        return []
    return [(d, ranks.get(d)) for d in list_dates(snapshots, time_range) if d >= min(ranks)]
