"""Spotify data exports for tests (issue #18), generated from a seed, with the quirks real ones
have: both file-name generations (``Streaming_History_Audio_2019-2020_0.json`` and the older
``endsong_0.json``), varied folders in the zip, exact repeats of a row, plays of 29,999 and
30,000 ms, incognito true/false/null, podcast and audiobook rows, rows with no URI at all, video
files, null metadata, ``offline_timestamp`` in seconds, milliseconds or 0, ``ip_addr``, plays at
23:59:59Z and 00:00:00Z, and silences of more than a year between plays.

A ``History`` is the rows (what the files hold) plus what the generator knows it put in them
(``skipped`` by kind, exact ``repeats``); ``newer()`` is a later export that repeats everything and
adds plays. ``files()`` lays a history out as {path in the export: bytes}; ``write_zip``,
``write_folder`` and ``write_loose`` put those on disk. Shares no code with db/.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import string
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

UTC = dt.UTC
START = dt.datetime(2019, 11, 3, 7, tzinfo=UTC)  # generate()'s first listening period
NEW_FOLDER = "Spotify Extended Streaming History"
OLD_FOLDER = "MyData"
# The generator's own names for what is not a music play (the test maps them to the app's).
PODCAST, AUDIOBOOK, VIDEO, NO_URI = "podcast", "audiobook", "video", "no uri"
ALPHABET = string.ascii_letters + string.digits
# Few distinct lengths, so that ties in streams and milliseconds happen and the later keys decide.
MS_CHOICES = (0, 1_234, 29_999, 30_000, 30_000, 30_001, 60_000, 60_000, 180_000, 180_000,
              215_000, 240_000)


def ts_text(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    artist: str
    album: str

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"


@dataclass
class History:
    rows: list[dict]  # the audio files' rows, in play order, repeats included
    videos: list[dict]
    tracks: list[Track]
    skipped: Counter = field(default_factory=Counter)  # PODCAST/AUDIOBOOK/VIDEO/NO_URI -> rows
    repeats: int = 0  # rows that repeat an earlier row exactly

    def skipped_in(self, generation: str) -> Counter:
        """What files() of that generation hold besides music: endsong files have no audiobook
        fields (an audiobook row there is a row with no URI) and come without video files."""
        if generation == "audio":
            return Counter(self.skipped)
        counts = Counter({k: n for k, n in self.skipped.items() if k not in (AUDIOBOOK, VIDEO)})
        counts[NO_URI] += self.skipped[AUDIOBOOK]
        return counts


def make_tracks(rng: random.Random, count: int) -> list[Track]:
    artists = [f"Artist {rng.choice(string.ascii_uppercase)}{n}" for n in range(max(3, count // 4))]
    tracks = []
    for n in range(count):
        track_id = "".join(rng.choice(ALPHABET) for _ in range(22))
        tracks.append(Track(track_id, f"Song {n} {rng.choice(['Blue', 'Red', 'Ünïcode', 'Ω'])}",
                            rng.choice(artists), f"Album {n % 17}"))
    return tracks


def _music_row(rng: random.Random, track: Track, end: dt.datetime, ms: int | None = None,
               incognito: bool | None | str = "random") -> dict:
    ms = rng.choice(MS_CHOICES) if ms is None else ms
    if incognito == "random":
        incognito = rng.choices([False, True, None], weights=[80, 8, 12])[0]
    offline = rng.random() < 0.3
    seconds = int(end.timestamp()) - rng.randint(0, 3 * 86_400)
    offline_ts = (rng.choice([seconds, seconds * 1000, 0]) if offline
                  else rng.choice([0, seconds, seconds * 1000]))
    null_meta = rng.random() < 0.05
    return {
        "ts": ts_text(end),
        "platform": rng.choice(["Android OS 12 API 31 (samsung, SM-G991B)", "iOS 16.1 (iPhone14,2)",
                                "windows", "web_player linux ;chrome 110", None]),
        "ms_played": ms,
        "conn_country": rng.choice(["DE", "US", "IN", "KI", "ZZ"]),
        "ip_addr": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "master_metadata_track_name": None if null_meta else track.name,
        "master_metadata_album_artist_name": None if null_meta else track.artist,
        "master_metadata_album_album_name": None if null_meta else track.album,
        "spotify_track_uri": track.uri,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": rng.choice(["clickrow", "trackdone", "fwdbtn", "appload", None]),
        "reason_end": rng.choice(["trackdone", "endplay", "fwdbtn", "logout", None]),
        "shuffle": rng.choice([True, False]),
        "skipped": rng.choice([True, False, None]),
        "offline": offline,
        "offline_timestamp": offline_ts,
        "incognito_mode": incognito,
    }


def _other_row(rng: random.Random, kind: str, end: dt.datetime) -> dict:
    row = _music_row(rng, Track("x" * 22, "", "", ""), end)
    for key in ("master_metadata_track_name", "master_metadata_album_artist_name",
                "master_metadata_album_album_name", "spotify_track_uri"):
        row[key] = None
    if kind == PODCAST:
        row.update(episode_name=f"Episode {rng.randint(1, 300)}", episode_show_name="A Show",
                   spotify_episode_uri="spotify:episode:" + "".join(
                       rng.choice(ALPHABET) for _ in range(22)))
        if rng.random() < 0.3:  # some podcast rows name the episode but carry no URI
            row["spotify_episode_uri"] = None
    elif kind == AUDIOBOOK:
        row.update(audiobook_title="A Long Book", audiobook_uri="spotify:audiobook:" + "".join(
            rng.choice(ALPHABET) for _ in range(22)), audiobook_chapter_title="Chapter 1")
    return row


def _old_generation(row: dict) -> dict:
    """endsong_*.json rows: username, ip_addr_decrypted, user_agent_decrypted, no audiobooks."""
    old = {"ts": row["ts"], "username": "listener123", "platform": row["platform"],
           "ms_played": row["ms_played"], "conn_country": row["conn_country"],
           "ip_addr_decrypted": row["ip_addr"], "user_agent_decrypted": "unknown"}
    old.update({k: v for k, v in row.items()
                if k not in old and k != "ip_addr" and not k.startswith("audiobook")})
    return old


def _weights(pool: list[Track]) -> list[float]:
    """A few tracks played far more than the rest; the last two only where _pinned() puts them."""
    return [1 / (n + 3) for n in range(len(pool) - 2)] + [0, 0]


def _periods(rng: random.Random, start: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """Listening periods (start, days): two close together, then a silence of over a year."""
    first = (start, rng.randint(25, 35))
    second = (start + dt.timedelta(days=first[1] + rng.randint(10, 40)), rng.randint(20, 30))
    third = (second[0] + dt.timedelta(days=second[1] + 366 + rng.randint(0, 30)), rng.randint(8, 15))
    return [first, second, third]


def generate(seed: int, *, plays: int = 1200, tracks: int = 120,
             start: dt.datetime = START) -> History:
    """An export's history: ``plays`` music plays of ``tracks`` tracks (more than 99, and
    popular ones, so that long windows fill and counts tie), over three listening periods, with
    podcasts, audiobooks, rows with no URI, videos and exact repeats among them."""
    rng = random.Random(seed)
    pool = make_tracks(rng, tracks)
    weights = _weights(pool)
    periods = _periods(rng, start)
    moments = []
    for n in range(plays):
        begin, days = periods[n * len(periods) // plays]
        moments.append(begin + dt.timedelta(seconds=rng.randint(0, days * 86_400 - 1)))
    moments.sort()
    history = History(rows=[], videos=[], tracks=pool)
    for moment in moments:
        history.rows.append(_music_row(rng, rng.choices(pool, weights)[0], moment))
        roll = rng.random()
        if roll < 0.04:
            kind = rng.choice([PODCAST, PODCAST, AUDIOBOOK, NO_URI])
            history.rows.append(_other_row(rng, kind, moment + dt.timedelta(seconds=7)))
            history.skipped[kind] += 1
        elif roll < 0.06:  # Spotify's exports repeat some rows exactly
            history.rows.append(dict(history.rows[-1]))
            history.repeats += 1
    _pinned(rng, history, periods)
    for n in range(rng.randint(3, 6)):
        begin, days = rng.choice(periods)
        history.videos.append(_other_row(rng, PODCAST, begin + dt.timedelta(hours=n * 5 + 1)))
        history.skipped[VIDEO] += 1
    history.rows.sort(key=lambda r: r["ts"])  # stable: a repeat stays after its original
    return history


def _pinned(rng: random.Random, history: History, periods) -> None:
    """Plays the rule must get exactly right: at the turn of a UTC day, at the 30,000 ms line,
    two tracks whose last streams end in the same second (the track id decides), incognito."""
    pool = history.tracks
    for begin, days in periods:
        day = (begin + dt.timedelta(days=days // 2)).replace(hour=0, minute=0, second=0)
        a, b, c = rng.sample(pool[:10], 3)
        for track, moment, ms, incognito in (
                (a, day - dt.timedelta(seconds=1), 200_000, False),  # 23:59:59Z
                (b, day, 200_000, None),  # 00:00:00Z
                (a, day + dt.timedelta(hours=13, minutes=30), 29_999, False),
                (b, day + dt.timedelta(hours=13, minutes=31), 30_000, None),
                (c, day + dt.timedelta(hours=11), 250_000, True),
                (c, day + dt.timedelta(hours=10, minutes=29, seconds=59), 250_000, True)):
            history.rows.append(_music_row(rng, track, moment, ms, incognito))
        # Two rarely played tracks, same streams, same milliseconds, same end: track id decides.
        x, y = pool[-1], pool[-2]
        same = day + dt.timedelta(hours=6, seconds=17)
        for track in (x, y):
            history.rows.append(_music_row(rng, track, same, 77_000, False))


def newer(older: History, seed: int, *, plays: int = 300, days_after: int = 20,
          late: bool = True) -> History:
    """A later export: every row of ``older`` again, then ``plays`` new plays (after the older
    export's last; with ``late``, a few back among its days: plays synced late from a device)."""
    rng = random.Random(seed)
    last = max(dt.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
               for r in older.rows)
    first = min(dt.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                for r in older.rows)
    weights = _weights(older.tracks)
    rows = [dict(r) for r in older.rows]
    skipped, repeats = Counter(older.skipped), older.repeats
    for n in range(plays):
        if late and n % 15 == 0:  # from 45 days in: the windows before them hold old streams
            begin = first + dt.timedelta(days=45)
            moment = begin + dt.timedelta(seconds=rng.randint(0, int((last - begin).total_seconds())))
        else:
            moment = last + dt.timedelta(seconds=rng.randint(60, days_after * 86_400))
        rows.append(_music_row(rng, rng.choices(older.tracks, weights)[0], moment))
        if rng.random() < 0.03:
            rows.append(dict(rows[-1]))
            repeats += 1
    rows.append(_other_row(rng, PODCAST, last + dt.timedelta(minutes=3)))
    skipped[PODCAST] += 1
    rows.sort(key=lambda r: r["ts"])
    videos = [dict(v) for v in older.videos]
    return History(rows, videos, older.tracks, skipped, repeats)


def files(history: History, generation: str = "audio", folder: str | None = None,
          per_file: int = 400) -> dict[str, bytes]:
    """The export's files, {path: bytes}: ``audio`` (Streaming_History_Audio_<years>_<n>.json and
    a video file, in ``Spotify Extended Streaming History/``) or ``endsong`` (endsong_<n>.json in
    ``MyData/``), plus the read-me an export carries. ``folder=""`` puts them at the top."""
    out: dict[str, bytes] = {}
    prefix = folder if folder is not None else (NEW_FOLDER if generation == "audio" else OLD_FOLDER)
    prefix = f"{prefix}/" if prefix else ""
    chunks = [history.rows[i:i + per_file] for i in range(0, len(history.rows), per_file)]
    for n, chunk in enumerate(chunks):
        if generation == "audio":
            years = sorted({r["ts"][:4] for r in chunk})
            span = years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"
            name = f"Streaming_History_Audio_{span}_{n}.json"
        else:
            name = f"endsong_{n}.json"
            chunk = [_old_generation(r) for r in chunk]
        out[prefix + name] = json.dumps(chunk, indent=1, ensure_ascii=False).encode()
    if generation == "audio" and history.videos:
        out[prefix + "Streaming_History_Video_2019-2021.json"] = json.dumps(history.videos).encode()
    out[prefix + "ReadMeFirst_ExtendedStreamingHistory.pdf"] = b"%PDF-1.4 not a history file"
    return out


def account_file(rows: list[dict]) -> bytes:
    """An account-data file (StreamingHistory_music_<n>.json): endTime to the minute, UTC."""
    return json.dumps(rows, ensure_ascii=False).encode()


def account_row(end: dt.datetime, artist: str, track: str, ms: int) -> dict:
    return {"endTime": end.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), "artistName": artist,
            "trackName": track, "msPlayed": ms}


def zip_bytes(content: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        folders = sorted({name.rsplit("/", 1)[0] + "/" for name in content if "/" in name})
        for name in folders:  # directory entries, as Spotify's zips have
            archive.writestr(zipfile.ZipInfo(name), b"")
        for name, data in content.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_zip(content: dict[str, bytes], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes(content))
    return path


def write_folder(content: dict[str, bytes], folder: Path) -> Path:
    for name, data in content.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def write_loose(content: dict[str, bytes], folder: Path) -> list[Path]:
    """The history files on their own (what a user who unpacked the zip might pick)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in content.items():
        if not name.endswith(".json"):
            continue
        target = folder / name.rsplit("/", 1)[-1]
        target.write_bytes(data)
        paths.append(target)
    return paths


def load(rows: list[dict], tmp_path: Path) -> None:
    """Import ``rows`` as an unpacked export (a folder under ``tmp_path``), as the operator."""
    from db.ingest import streaming_history
    from db.model import access

    streaming_export = History(rows=rows, videos=[], tracks=[])
    folder = write_folder(files(streaming_export), tmp_path / "export")
    streaming_history.import_history([str(folder)], access.operator())
