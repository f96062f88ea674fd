"""Seven tracks and fifteen ranks built to exercise every rule of the time machine's pages:
movement, new and back, gaps, a missing album, a "0000" release date, an artist-less track and
a name with markup."""

import datetime as dt

D = dt.date
ST, MT = "short_term", "medium_term"


def track(tid, name, artist, **extra):
    payload = {"id": tid, "name": name, "artists": [{"name": artist}] if artist else [],
               "external_urls": {"spotify": f"https://open.spotify.com/track/{tid}"}}
    return payload | extra


TRACKS = [
    track("tA", "Alpha Song", "Xavi", explicit=True,
          album={"name": "First", "album_type": "single", "release_date": "1987-05-01",
                 "release_date_precision": "day",
                 "images": [{"url": "https://i.scdn.co/image/abc", "height": 640}]},
          external_ids={"isrc": "USABC8700001"}, duration_ms=201_000, popularity=40),
    track("tB", "Beta Song", "Xavi", explicit=False,
          album={"name": "Second", "album_type": "album", "release_date": "1999",
                 "release_date_precision": "year"}),
    track("tC", "Gamma", "Yoko", explicit=True,
          album={"name": "Third", "album_type": "album", "release_date": "2021-03"}),
    track("tD", "Delta", "Yoko", album={"name": "Fourth", "album_type": "compilation",
                                        "release_date": "2015-01-01"}),
    track("tE", "Epsilon <b>bold</b>", "Zoë", explicit=False),  # no album at all
    track("tF", "夜に駆ける", None, explicit=True,
          album={"name": "Sixth", "release_date": "0000"}),
    track("tG", "Never charted", "Xavi", explicit=False,
          album={"name": "Seventh", "album_type": "single", "release_date": "2024-01-01"}),
]

SNAPSHOTS = [
    # short term: lists on March 1, 3 and 4 (none on March 2)
    ("tA", D(2026, 3, 1), ST, 1), ("tB", D(2026, 3, 1), ST, 2), ("tC", D(2026, 3, 1), ST, 3),
    ("tD", D(2026, 3, 1), ST, 4),
    ("tB", D(2026, 3, 3), ST, 1), ("tA", D(2026, 3, 3), ST, 2), ("tE", D(2026, 3, 3), ST, 3),
    ("tC", D(2026, 3, 3), ST, 4),
    ("tA", D(2026, 3, 4), ST, 1), ("tB", D(2026, 3, 4), ST, 2), ("tD", D(2026, 3, 4), ST, 3),
    ("tF", D(2026, 3, 4), ST, 4),
    # medium term: two lists
    ("tA", D(2026, 3, 1), MT, 1),
    ("tA", D(2026, 3, 4), MT, 2), ("tC", D(2026, 3, 4), MT, 1),
]
