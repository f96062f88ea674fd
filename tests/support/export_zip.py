"""A small Spotify data export ("Extended streaming history") made up for a test, as the zip a
listener downloads: a few hundred plays of a handful of tracks over about three years, a couple
of podcast rows, and one scripted fortnight whose derived short-term lists are known exactly.

The scripted part (the only plays from SCRIPT_START to the end): FIRST is streamed three times
on SCRIPT_START and SECOND once the day after, so the list of FOCUS - 1 day is FIRST #1, SECOND
#2; on FOCUS, SECOND is streamed four more times: on FOCUS's list SECOND is #1 (up one) and
FIRST #2 (down one). Every play ends at noon UTC, the same local day in any time zone from
UTC-11 to UTC+11.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile

FOLDER = "Spotify Extended Streaming History"
START = dt.date(2021, 1, 1)
SCRIPT_START = dt.date(2023, 11, 1)
FOCUS = dt.date(2023, 11, 10)
STREAM_MS = 200_000  # well over the 30 s that make a play a stream


def track_id(number: int) -> str:
    return f"TestTrack{number:013d}"  # 22 letters and digits, as Spotify's ids


TRACKS = {  # id -> (name, artist, album)
    track_id(1): ("Opening Night", "The Testers", "First Record"),
    track_id(2): ("Second Wind", "Fixture Band", "B-Sides"),
    track_id(3): ("Third Time", "The Testers", "First Record"),
    track_id(4): ("Four Walls", "Mock & Stub", "Doubles"),
    track_id(5): ("Fifth Gear", "Assertions", "Green"),
    track_id(6): ("Sixth Sense", "Fixture Band", "B-Sides"),
}
FIRST, SECOND = track_id(1), track_id(2)


def play(day: dt.date, track: str, ms: int = STREAM_MS, second: int = 0) -> dict:
    """One row of Streaming_History_Audio_*.json for a play of ``track`` ending at noon UTC."""
    name, artist, album = TRACKS[track]
    return {
        "ts": f"{day.isoformat()}T12:00:{second:02d}Z", "platform": "linux", "ms_played": ms,
        "conn_country": "DE", "ip_addr": "192.0.2.1",
        "master_metadata_track_name": name, "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album, "spotify_track_uri": f"spotify:track:{track}",
        "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
        "reason_start": "trackdone", "reason_end": "trackdone", "shuffle": False,
        "skipped": False, "offline": False, "offline_timestamp": 0, "incognito_mode": False,
    }


def podcast(day: dt.date) -> dict:
    row = play(day, FIRST) | {"master_metadata_track_name": None,
                              "master_metadata_album_artist_name": None,
                              "master_metadata_album_album_name": None,
                              "spotify_track_uri": None, "episode_name": "Episode 12",
                              "episode_show_name": "A Podcast",
                              "spotify_episode_uri": "spotify:episode:0000000000000000000012"}
    return row


def export_rows(plays: int = 300, seed: int = 7) -> list[dict]:
    """The export's rows (what its Streaming_History_Audio_*.json hold): ``plays`` random plays
    from START until the scripted fortnight, then the script; two podcast rows; and three rows
    that repeat earlier ones exactly."""
    rng = random.Random(seed)
    days = (SCRIPT_START - START).days - 30  # a gap: the scripted lists hold the script only
    rows = []
    for number in range(plays):
        day = START + dt.timedelta(days=rng.randrange(days))
        ms = STREAM_MS if rng.random() < 0.9 else 5_000  # some too short to count
        rows.append(play(day, rng.choice(list(TRACKS)), ms, second=number % 60))
    rows.sort(key=lambda row: row["ts"])
    one = dt.timedelta(days=1)
    rows += [play(SCRIPT_START, FIRST, second=s) for s in (1, 2, 3)]
    rows += [play(SCRIPT_START + one, SECOND, second=1)]
    rows += [play(FOCUS, SECOND, second=s) for s in (1, 2, 3, 4)]
    rows += [podcast(START + dt.timedelta(days=3)), podcast(SCRIPT_START + one)]
    return rows + rows[10:13]  # the export repeats some rows exactly


def unique_plays(rows: list[dict]) -> int:
    """Plays the importer stores: music rows, one per (end time, track, milliseconds)."""
    return len({(r["ts"], r["spotify_track_uri"], r["ms_played"]) for r in rows
                if r["spotify_track_uri"]})


def export_zip(rows: list[dict], per_file: int = 150) -> bytes:
    """The rows as the export's zip: Streaming_History_Audio_<years>_<n>.json files of at most
    ``per_file`` rows in the export's folder, and a file that is not history."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, first in enumerate(range(0, len(rows), per_file)):
            part = rows[first:first + per_file]
            years = f"{part[0]['ts'][:4]}-{part[-1]['ts'][:4]}"
            archive.writestr(f"{FOLDER}/Streaming_History_Audio_{years}_{number}.json",
                             json.dumps(part, indent=1))
        archive.writestr(f"{FOLDER}/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4 not read")
    return out.getvalue()
