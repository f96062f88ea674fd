"""A Spotify account connected through the local fake (tests/support/fake_spotify.py), as a
listener connects one on the Data page: the app's Spotify settings already point at the fake."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from db.ingest.spotify import sync
from db.ingest.spotify.api import Policy
from db.model import access


def connect() -> sync.Account:
    """Begin connecting, follow Spotify's answer (the fake's redirect) and complete it."""
    answer = requests.get(sync.begin_connect(access.Grant("open")), allow_redirects=False,
                          timeout=60)
    back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    return sync.complete_connect(back["state"], back["code"], policy=Policy(timeout=(30.0, 60.0)))
