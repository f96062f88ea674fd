"""Demo data: realistic Spotify track objects and daily top-track snapshots, from a seed.

The same (tracks, days, seed, end) always gives the same data. Track objects have the real
TrackObject shape; a quarter carry the fields Spotify dropped in 2026 (popularity,
available_markets), and a few per cent carry the edge cases real caches hold: a release date
that is missing, null, "" or "0000", a missing album, a missing explicit flag.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import string
from collections.abc import Callable, Iterator

import psycopg

from db.errors import InvalidData
from db.model import meta
from db.model.snapshots import TIME_RANGES, save_snapshots
from db.model.tracks import save_tracks
from db.pool import connection

MAX_TRACKS = 1_000_000
MAX_DAYS = 3650
RANKS = 50
BATCH = 5000

_BASE62 = string.digits + string.ascii_letters
_ADJECTIVES = ("Electric", "Golden", "Midnight", "Velvet", "Broken", "Silver", "Neon", "Quiet",
               "Wild", "Paper", "Crystal", "Lonely", "Burning", "Hollow", "Endless", "Sunday",
               "Northern", "Violet", "Secret", "Fading")
_NOUNS = ("Heart", "River", "Garden", "Machine", "Summer", "Highway", "Ghost", "Mirror", "Ocean",
          "Signal", "Window", "Planet", "Echo", "Shadow", "Fire", "Harbor", "Letter", "Satellite",
          "Desert", "Dream")
_VERBS = ("Dancing", "Running", "Falling", "Waiting", "Calling", "Drifting", "Chasing", "Holding")
_FIRST = ("Mara", "Jonas", "Aiko", "Luis", "Nadia", "Oskar", "Priya", "Theo", "Zara", "Felix",
          "Ines", "Kwame", "Lena", "Ravi", "Sofia", "Tomás")
_LAST = ("Lind", "Okafor", "Tanaka", "Moreau", "Silva", "Berg", "Novak", "Reyes", "Quinn", "Hale")
# Real catalogues hold names like these: accents, other scripts, and characters that HTML or
# Markdown would interpret. The app must show them as text.
_ODD_NAMES = ("Café Tacvba Nights", "夜に駆ける", "Sigur Rós (Live)", "<b>Bold</b> Move",
              "*Stars* & _Stripes_", "Ünïcödé Ümläuts", "Don't Stop — Remix", "100% [Pure]")
_COUNTRIES = ("US", "GB", "SE", "DE", "FR", "JP", "KR", "CA", "AU", "NL", "BR", "MX")
# Relative weights of release decades: most listening is of recent music.
_DECADES = {1950: 1, 1960: 4, 1970: 7, 1980: 9, 1990: 11, 2000: 14, 2010: 22, 2020: 32}
# Per time range: chance a chart position is replaced each day, and rank swaps per day.
_CHURN = {"short_term": (0.12, 10), "medium_term": (0.03, 4), "long_term": (0.006, 1)}

Progress = Callable[[str, int, int], None]


def spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_BASE62) for _ in range(22))


def _title(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(_ODD_NAMES)
    if roll < 0.4:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    if roll < 0.7:
        return f"{rng.choice(_VERBS)} {rng.choice(('in', 'on', 'through', 'for'))} the {rng.choice(_NOUNS)}"
    return rng.choice(_NOUNS) + rng.choice(("", "s", " (Remastered)", " - Acoustic", " Pt. 2"))


def _artist_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if roll < 0.8:
        return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}s"
    return f"{rng.choice(_NOUNS)}{rng.choice(('', ' Club', ' Collective', ' & Co.'))}"


def _release_date(rng: random.Random, today: dt.date) -> tuple[str, str]:
    decade = rng.choices(list(_DECADES), weights=list(_DECADES.values()))[0]
    year = min(decade + rng.randrange(10), today.year)
    precision = rng.choices(("day", "year", "month"), weights=(75, 20, 5))[0]
    if precision == "year":
        return f"{year}", precision
    month = rng.randint(1, 12)
    if precision == "month":
        return f"{year}-{month:02d}", precision
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}", precision


def _ref(kind: str, spotify: str, name: str) -> dict:
    return {
        "id": spotify,
        "name": name,
        "type": kind,
        "uri": f"spotify:{kind}:{spotify}",
        "href": f"https://api.spotify.com/v1/{kind}s/{spotify}",
        "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{spotify}"},
    }


def _album(rng: random.Random, artist: dict, today: dt.date) -> dict:
    release_date, precision = _release_date(rng, today)
    album = _ref("album", spotify_id(rng), _title(rng))
    image = "https://i.scdn.co/image/ab67616d0000" + "".join(rng.choice("0123456789abcdef")
                                                             for _ in range(24))
    album.update(
        album_type=rng.choices(("album", "single", "compilation"), weights=(70, 25, 5))[0],
        total_tracks=rng.randint(1, 18),
        release_date=release_date,
        release_date_precision=precision,
        images=[{"url": f"{image}{size}", "height": size, "width": size} for size in (640, 300, 64)],
        artists=[artist],
    )
    return album


def generate_tracks(count: int, seed: int = 42, today: dt.date | None = None) -> list[dict]:
    """``count`` Spotify track objects; the same seed always gives the same objects."""
    rng = random.Random(seed)
    today = today or dt.date(2026, 11, 1)  # fixed, so that tracks do not depend on the run date
    artists = [_ref("artist", spotify_id(rng), _artist_name(rng)) for _ in range(max(3, count // 12))]
    albums: list[dict] = []
    tracks = []
    for _ in range(count):
        if not albums or rng.random() < 0.3:
            albums.append(_album(rng, rng.choice(artists), today))
        album = rng.choice(albums[-8:]) if rng.random() < 0.8 else rng.choice(albums)
        track = _ref("track", spotify_id(rng), _title(rng))
        featured = [rng.choice(artists)] if rng.random() < 0.15 else []
        year = album["release_date"][:4]
        track.update(
            album=album,
            artists=album["artists"] + [a for a in featured if a not in album["artists"]],
            duration_ms=rng.randint(95_000, 420_000),
            explicit=rng.random() < 0.22,
            disc_number=1,
            track_number=rng.randint(1, album["total_tracks"]),
            external_ids={"isrc": f"{rng.choice(_COUNTRIES)}"
                                  f"{''.join(rng.choice(string.ascii_uppercase) for _ in range(3))}"
                                  f"{year[2:]}{rng.randint(0, 99999):05d}"},
            is_local=False,
            preview_url=None,
        )
        if rng.random() < 0.25:  # cached before Spotify removed these fields
            track["popularity"] = rng.randint(0, 100)
            track["available_markets"] = sorted(rng.sample(_COUNTRIES, rng.randint(1, 10)))
        if rng.random() < 0.06:
            _damage(track, rng)
        tracks.append(track)
    return tracks


def _damage(track: dict, rng: random.Random) -> None:
    """One of the oddities real caches hold."""
    case = rng.randrange(6)
    album = dict(track["album"])  # albums are shared between tracks: damage a copy
    if case == 0:
        del album["release_date"]
    elif case == 1:
        album["release_date"] = None
    elif case == 2:
        album["release_date"] = ""
    elif case == 3:
        album["release_date"] = "0000"
    track["album"] = album
    if case == 4:
        del track["album"]
    elif case == 5:
        del track["explicit"]


def generate_snapshots(track_ids: list[str], days: int, end: dt.date, seed: int = 42
                       ) -> Iterator[tuple[str, dt.date, str, int]]:
    """Daily top-``RANKS`` ranks for each time range over ``days`` days ending at ``end``.

    short_term churns fast, long_term slowly; taste (a per-track weight) decides who charts.
    """
    rng = random.Random(seed + 1)
    taste = list(itertools.accumulate(rng.lognormvariate(0, 1) for _ in track_ids))
    size = min(RANKS, len(track_ids))
    charts = {tr: _draw(rng, taste, size, set()) for tr in TIME_RANGES}
    for offset in range(days - 1, -1, -1):
        day = end - dt.timedelta(days=offset)
        for time_range, (replace_p, swaps) in _CHURN.items():
            chart = charts[time_range]
            for position in range(size):
                if rng.random() < replace_p and size < len(track_ids):
                    chart[position] = _draw(rng, taste, 1, set(chart))[0]
            for _ in range(swaps):
                i = rng.randrange(max(1, size - 1))
                if i + 1 < size:
                    chart[i], chart[i + 1] = chart[i + 1], chart[i]
            for rank, index in enumerate(chart, start=1):
                yield track_ids[index], day, time_range, rank


def _draw(rng: random.Random, taste: list[float], k: int, taken: set[int]) -> list[int]:
    """``k`` distinct track indexes not in ``taken``, more likely the better liked.

    ``taste`` holds cumulative weights, so that a draw costs O(log n) even for a million tracks.
    """
    picked: list[int] = []
    population = range(len(taste))
    while len(picked) < k:
        index = rng.choices(population, cum_weights=taste)[0]
        if index not in taken:
            taken.add(index)
            picked.append(index)
    return picked


def seed_demo(tracks: int = 2000, days: int = 90, seed: int = 42, end: dt.date | None = None,
              conn: psycopg.Connection | None = None, progress: Progress | None = None) -> dict:
    """Write demo data into an empty database, in one transaction; return what was written."""
    if not 1 <= tracks <= MAX_TRACKS:
        raise InvalidData(f"--tracks must be between 1 and {MAX_TRACKS:,}, not {tracks}")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidData(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    end = end or dt.date.today()
    report = progress or (lambda stage, done, total: None)
    with connection(conn) as c, c.transaction():
        c.execute("LOCK TABLE tracks, snapshots IN SHARE ROW EXCLUSIVE MODE")
        stored = c.execute("SELECT count(*) FROM tracks").fetchone()[0]
        if stored:
            raise InvalidData(
                f"the database already holds {stored:,} tracks; seed-demo writes only into an "
                "empty database"
            )
        objects = generate_tracks(tracks, seed)
        for start in range(0, len(objects), BATCH):
            save_tracks(objects[start:start + BATCH], c)
            report("tracks", min(start + BATCH, len(objects)), len(objects))
        ids = [t["id"] for t in objects]
        total = days * len(TIME_RANGES) * min(RANKS, len(ids))
        batch, written = [], 0
        for row in generate_snapshots(ids, days, end, seed):
            batch.append(row)
            if len(batch) == BATCH * 4:
                written += save_snapshots(batch, c)
                batch.clear()
                report("snapshots", written, total)
        written += save_snapshots(batch, c)
        report("snapshots", written, total)
        summary = {"tracks": len(ids), "snapshots": written, "days": days, "seed": seed,
                   "end": end.isoformat()}
        meta.set_meta(meta.DEMO_KEY, summary, c)
    return summary
