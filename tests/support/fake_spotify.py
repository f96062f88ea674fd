"""A local fake of Spotify's accounts service and Web API: a real HTTP server on 127.0.0.1
(pytest-httpserver, werkzeug underneath), never the network.

It does what the app relies on, the way Spotify documents it: /authorize checks the client, the
registered redirect URI, the scope and the S256 challenge, and sends the browser back with a
code and the state; /api/token exchanges a code only with the verifier that matches its
challenge, and turns a refresh token into a new access token and a new refresh token (the old
one stops working, as PKCE refresh tokens may); /v1/me, /v1/me/top/tracks (limit <= 50, at
most 99 ranks, total and next) and /v1/tracks/{id} (the objects the test registered; 404 "non
existing id" for others, 400 "invalid id" for what is not 22 letters and digits, as Spotify
answers) need a live access token. Scripted faults answer the next matching requests first (a
path ending in * matches every path it starts); a request the test wants unanswered is held until
the test lets it go (hang), never for a guessed number of seconds. Tokens start with SENTINEL, so
a test can look for any of them.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN_MARK = "SENTINEL"
CLIENT_ID = "fake-client-id"
MAX_RANKS = 99
HOLD_LIMIT_S = 120  # a held request the test forgot to let go of is answered after this
TRACKS = "/v1/tracks/"
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


def track(number: int, **changes) -> dict:
    """A 2026-style track object (no popularity, available_markets or linked_from)."""
    tid = f"fake{number:018d}"[-22:]
    obj = {
        "id": tid, "name": f"Song {number}", "type": "track", "uri": f"spotify:track:{tid}",
        "duration_ms": 180_000 + number, "explicit": number % 3 == 0, "track_number": 1,
        "disc_number": 1, "is_local": False,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{tid}"},
        "external_ids": {"isrc": f"FAKE{number:08d}"},
        "artists": [{"id": f"artist{number % 7}", "name": f"Artist {number % 7}",
                     "type": "artist"}],
        "album": {"id": f"album{number}", "name": f"Album {number}", "album_type": "album",
                  "release_date": f"{1970 + number % 50}-05-01",
                  "release_date_precision": "day", "total_tracks": 10},
    }
    obj.update(changes)
    return obj


class FakeSpotify:
    def __init__(self, redirect_uris: set[str] | None = None) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        self.base = f"http://127.0.0.1:{self.server.port}"
        self.redirect_uris = set(redirect_uris or ())
        self.user = {"id": "listener-1", "display_name": "Ada Listener", "type": "user"}
        self.lists: dict[str, list[dict]] = {
            "short_term": [track(n) for n in range(1, 51)],
            "medium_term": [track(n) for n in range(20, 119)],  # 99: two pages
            "long_term": [track(n) for n in range(100, 137)],  # 37: one page
        }
        self.catalog: dict[str, dict] = {}  # what /v1/tracks/{id} serves, by id
        self.deny = False
        self.on_request = None  # called with (path, parameters) before a request is answered
        self.requests: list[tuple[float, str, str, dict]] = []  # when, method, path, parameters
        self._faults: list[tuple[str, dict, Response | threading.Event]] = []
        self._holds: list[threading.Event] = []
        self._codes: dict[str, tuple[str, str]] = {}
        self._access: set[str] = set()
        self._refresh: set[str] = set()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    # -- settings for the app ------------------------------------------------------------------
    def env(self, redirect_uri: str) -> dict[str, str]:
        self.redirect_uris.add(redirect_uri)
        return {"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_REDIRECT_URI": redirect_uri,
                "MTM_SPOTIFY_ACCOUNTS_URL": f"{self.base}/accounts",
                "MTM_SPOTIFY_API_URL": self.base}

    def stop(self) -> None:
        for release in self._holds:  # no request is left waiting on a test that has ended
            release.set()
        self.server.clear()
        self.server.stop()

    # -- scripting -----------------------------------------------------------------------------
    def fail(self, path: str, status: int, times: int = 1, headers: dict | None = None,
             body: dict | str | None = None, only: dict | None = None) -> None:
        """Answer the next ``times`` requests to ``path`` (with the parameters in ``only``, if
        given) with ``status``."""
        text = body if isinstance(body, str) else json.dumps(
            body or {"error": {"status": status, "message": f"scripted {status}"}})
        with self._lock:
            for _ in range(times):
                self._faults.append((path, only or {}, Response(
                    text, status, headers or {}, content_type="application/json")))

    def hang(self, path: str, times: int = 1) -> threading.Event:
        """Hold the next ``times`` requests to ``path`` unanswered until the returned event is
        set (by the test, once its client has given up on them; stop() sets it too)."""
        release = threading.Event()
        with self._lock:
            self._holds.append(release)
            self._faults.extend([(path, {}, release)] * times)
        return release

    def revoke_all(self) -> None:
        """The owner removed the app from their account: no token works any more."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def issued(self) -> tuple[set[str], set[str]]:
        """Every access and refresh token still valid (for tests that look for them)."""
        with self._lock:
            return set(self._access), set(self._refresh)

    def hits(self, path: str) -> list[tuple[float, str, str, dict]]:
        return [r for r in self.requests if r[2] == path]

    def register(self, *tracks: dict) -> None:
        """Tracks /v1/tracks/{id} will serve."""
        self.catalog.update((t["id"], t) for t in tracks)

    def tracks_asked(self) -> list[str]:
        """The ids asked of /v1/tracks/{id}, in order, every try of each."""
        return [r[2][len(TRACKS):] for r in self.requests if r[2].startswith(TRACKS)]

    # -- the services --------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        params = dict(request.args) | dict(request.form)
        for name in ("refresh_token", "code", "code_verifier"):  # never kept, even here
            if name in params:
                params[name] = "(given)"
        self.requests.append((time.monotonic(), request.method, request.path, params))
        if self.on_request:
            self.on_request(request.path, params)
        fault = None
        with self._lock:
            for n, (path, only, scripted) in enumerate(self._faults):
                matches = (request.path.startswith(path[:-1]) if path.endswith("*")
                           else request.path == path)
                if matches and all(request.args.get(k) == v for k, v in only.items()):
                    fault = scripted
                    del self._faults[n]
                    break
        if isinstance(fault, Response):
            return fault
        if isinstance(fault, threading.Event):
            fault.wait(HOLD_LIMIT_S)
        routes = {"/accounts/authorize": self._authorize, "/accounts/api/token": self._token,
                  "/v1/me": self._me, "/v1/me/top/tracks": self._top}
        handler = self._track if request.path.startswith(TRACKS) else routes.get(request.path)
        if handler is None:
            return _json({"error": {"status": 404, "message": "Service not found"}}, 404)
        return handler(request)

    def _authorize(self, request: Request) -> Response:
        args = request.args
        redirect = args.get("redirect_uri", "")
        if args.get("client_id") != CLIENT_ID:
            return Response("INVALID_CLIENT: Invalid client", 400)
        if redirect not in self.redirect_uris:
            return Response("INVALID_CLIENT: Invalid redirect URI", 400)
        if (args.get("response_type") != "code" or args.get("scope") != "user-top-read"
                or args.get("code_challenge_method") != "S256" or not args.get("code_challenge")):
            return Response("unsupported request", 400)
        if self.deny:
            answer = {"error": "access_denied", "state": args.get("state", "")}
        else:
            code = f"code{next(self._numbers)}"
            self._codes[code] = (args["code_challenge"], redirect)
            answer = {"code": code, "state": args.get("state", "")}
        return Response(status=302, headers={"Location": f"{redirect}?{urlencode(answer)}"})

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID:
            return _json({"error": "invalid_client", "error_description": "Invalid client"}, 400)
        if form.get("grant_type") == "authorization_code":
            challenge, redirect = self._codes.pop(form.get("code", ""), (None, None))
            verifier = form.get("code_verifier", "")
            derived = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge is None or redirect != form.get("redirect_uri") or derived != challenge:
                return _json({"error": "invalid_grant",
                              "error_description": "Invalid authorization code"}, 400)
            return self._new_tokens()
        if form.get("grant_type") == "refresh_token":
            with self._lock:
                known = form.get("refresh_token") in self._refresh
                self._refresh.discard(form.get("refresh_token"))
            if not known:
                return _json({"error": "invalid_grant",
                              "error_description": "Refresh token revoked"}, 400)
            return self._new_tokens()
        return _json({"error": "unsupported_grant_type"}, 400)

    def _new_tokens(self) -> Response:
        number = next(self._numbers)
        access, refresh = f"{TOKEN_MARK}ACCESS{number}x", f"{TOKEN_MARK}REFRESH{number}x"
        with self._lock:
            self._access.add(access)
            self._refresh.add(refresh)
        return _json({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                      "refresh_token": refresh, "scope": "user-top-read"})

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        with self._lock:
            return given.startswith("Bearer ") and given[7:] in self._access

    def _me(self, request: Request) -> Response:
        if not self._authorised(request):
            return _json({"error": {"status": 401, "message": "Invalid access token"}}, 401)
        return _json(self.user)

    def _top(self, request: Request) -> Response:
        if not self._authorised(request):
            return _json({"error": {"status": 401, "message": "The access token expired"}}, 401)
        time_range = request.args.get("time_range", "medium_term")
        limit, offset = int(request.args.get("limit", 20)), int(request.args.get("offset", 0))
        if time_range not in self.lists or not 1 <= limit <= 50 or offset < 0:
            return _json({"error": {"status": 400, "message": "Invalid limit"}}, 400)
        ranked = self.lists[time_range][:MAX_RANKS]
        items = ranked[offset:offset + limit]
        more = offset + limit < len(ranked)
        query = urlencode({"time_range": time_range, "limit": limit, "offset": offset + limit})
        return _json({"href": f"{self.base}{request.full_path}", "items": items, "limit": limit,
                      "offset": offset, "total": len(ranked), "previous": None,
                      "next": f"{self.base}/v1/me/top/tracks?{query}" if more else None})


    def _track(self, request: Request) -> Response:
        if not self._authorised(request):
            return _json({"error": {"status": 401, "message": "The access token expired"}}, 401)
        track_id = request.path[len(TRACKS):]
        if not SPOTIFY_ID.fullmatch(track_id):
            return _json({"error": {"status": 400, "message": "invalid id"}}, 400)
        if track_id not in self.catalog:
            return _json({"error": {"status": 404, "message": "non existing id"}}, 404)
        return _json(self.catalog[track_id])


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")
