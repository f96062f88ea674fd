"""A local fake of Spotify's accounts service and Web API: a real HTTP server on 127.0.0.1
(pytest-httpserver, werkzeug underneath), never the network.

It does what the app relies on, the way Spotify documents it: /authorize checks the client, the
registered redirect URI, the scope and the S256 challenge, and sends the browser back with a
code and the state; /api/token exchanges a code only with the verifier that matches its
challenge, and turns a refresh token into a new access token and a new refresh token (the old
one stops working, as PKCE refresh tokens may); /v1/me, /v1/me/top/tracks (limit <= 50, at
most 99 ranks, total and next) and /v1/tracks/{id} (the objects the test registered; 404 "non
existing id" for others, 400 "invalid id" for what is not 22 letters and digits, as Spotify
answers), /v1/me/tracks (the saved library, newest first, limit <= 50, scope user-library-read)
and /v1/me/player/recently-played (the last 50, scope user-read-recently-played) need a live
access token; a token carries the scope granted at /authorize (grant_only narrows it, as for an
account connected before the app asked for more). quota(n, ...) answers 429 QUOTA_EXCEEDED with
a long Retry-After to a Web API request once n were answered in the rolling window before it, on
the fake's own clock (a test or a benchmark moves it). Scripted faults answer the next matching
requests first (a path ending in * matches every path it starts); a request the test wants
unanswered is held until the test lets it go (hang), never for a guessed number of seconds.
Tokens start with SENTINEL, so a test can look for any of them.
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
        self.saved: list[tuple[str, dict]] = []  # (added_at, object), newest first
        self.recent: list[tuple[str, dict]] = []  # (played_at, object), newest first
        self.grant_only: str | None = None  # the scope /authorize grants instead of the asked
        self.clock = time.monotonic  # the quota's clock, in seconds
        self.quota_limit: tuple[int, float, float] | None = None  # n, window_s, retry_after_s
        self.answered: list[float] = []  # when each Web API request was answered (not a 429)
        self.over_quota = 0  # Web API requests answered QUOTA_EXCEEDED
        self.deny = False
        self.on_request = None  # called with (path, parameters) before a request is answered
        self.requests: list[tuple[float, str, str, dict]] = []  # when, method, path, parameters
        self._faults: list[tuple[str, dict, Response | threading.Event]] = []
        self._holds: list[threading.Event] = []
        self._codes: dict[str, tuple[str, str]] = {}
        self._access: dict[str, str] = {}  # token -> the scope it carries
        self._refresh: dict[str, str] = {}
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

    def quota(self, requests: int, window_s: float = 86_400, retry_after_s: float = 86_400
              ) -> None:
        """From now on, a Web API request made when ``requests`` were answered in the
        ``window_s`` before it is answered 429 QUOTA_EXCEEDED with ``retry_after_s``."""
        self.quota_limit = (requests, window_s, retry_after_s)

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
        if request.path.startswith("/v1/"):
            refused = self._count(request)
            if refused:
                return refused
        routes = {"/accounts/authorize": self._authorize, "/accounts/api/token": self._token,
                  "/v1/me": self._me, "/v1/me/top/tracks": self._top,
                  "/v1/me/tracks": self._saved, "/v1/me/player/recently-played": self._recent}
        handler = self._track if request.path.startswith(TRACKS) else routes.get(request.path)
        if handler is None:
            return _json({"error": {"status": 404, "message": "Service not found"}}, 404)
        return handler(request)

    def _count(self, request: Request) -> Response | None:
        """A Web API request, counted; the quota's 429 when it is spent."""
        with self._lock:
            now = self.clock()
            if self.quota_limit:
                limit, window_s, retry_after_s = self.quota_limit
                if sum(1 for t in self.answered if t > now - window_s) >= limit:
                    self.over_quota += 1
                    return Response(json.dumps({"error": {"status": 429,
                                                          "message": "QUOTA_EXCEEDED"}}), 429,
                                    {"Retry-After": str(int(retry_after_s))},
                                    content_type="application/json")
            self.answered.append(now)
        return None

    def _authorize(self, request: Request) -> Response:
        args = request.args
        redirect = args.get("redirect_uri", "")
        if args.get("client_id") != CLIENT_ID:
            return Response("INVALID_CLIENT: Invalid client", 400)
        if redirect not in self.redirect_uris:
            return Response("INVALID_CLIENT: Invalid redirect URI", 400)
        if (args.get("response_type") != "code"
                or "user-top-read" not in args.get("scope", "").split()
                or args.get("code_challenge_method") != "S256" or not args.get("code_challenge")):
            return Response("unsupported request", 400)
        if self.deny:
            answer = {"error": "access_denied", "state": args.get("state", "")}
        else:
            code = f"code{next(self._numbers)}"
            scope = self.grant_only if self.grant_only is not None else args["scope"]
            self._codes[code] = (args["code_challenge"], redirect, scope)
            answer = {"code": code, "state": args.get("state", "")}
        return Response(status=302, headers={"Location": f"{redirect}?{urlencode(answer)}"})

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID:
            return _json({"error": "invalid_client", "error_description": "Invalid client"}, 400)
        if form.get("grant_type") == "authorization_code":
            challenge, redirect, scope = self._codes.pop(form.get("code", ""), (None,) * 3)
            verifier = form.get("code_verifier", "")
            derived = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge is None or redirect != form.get("redirect_uri") or derived != challenge:
                return _json({"error": "invalid_grant",
                              "error_description": "Invalid authorization code"}, 400)
            return self._new_tokens(scope)
        if form.get("grant_type") == "refresh_token":
            with self._lock:
                scope = self._refresh.pop(form.get("refresh_token"), None)
            if scope is None:
                return _json({"error": "invalid_grant",
                              "error_description": "Refresh token revoked"}, 400)
            return self._new_tokens(scope)
        return _json({"error": "unsupported_grant_type"}, 400)

    def _new_tokens(self, scope: str) -> Response:
        number = next(self._numbers)
        access, refresh = f"{TOKEN_MARK}ACCESS{number}x", f"{TOKEN_MARK}REFRESH{number}x"
        with self._lock:
            self._access[access] = scope
            self._refresh[refresh] = scope
        return _json({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                      "refresh_token": refresh, "scope": scope})

    def _authorised(self, request: Request, scope: str = "user-top-read") -> bool:
        given = request.headers.get("Authorization", "")
        with self._lock:
            granted = self._access.get(given[7:]) if given.startswith("Bearer ") else None
        return granted is not None and scope in granted.split()

    def _scoped(self, request: Request, scope: str) -> Response | None:
        """The error for a request without a live token, or whose token lacks ``scope``."""
        if not self._authorised(request):
            return _json({"error": {"status": 401, "message": "The access token expired"}}, 401)
        if not self._authorised(request, scope):
            return _json({"error": {"status": 403, "message": "Insufficient client scope"}}, 403)
        return None

    def _saved(self, request: Request) -> Response:
        refused = self._scoped(request, "user-library-read")
        if refused:
            return refused
        limit, offset = int(request.args.get("limit", 20)), int(request.args.get("offset", 0))
        if not 1 <= limit <= 50 or offset < 0:
            return _json({"error": {"status": 400, "message": "Invalid limit"}}, 400)
        page = self.saved[offset:offset + limit]
        more = offset + limit < len(self.saved)
        return _json({"href": f"{self.base}{request.full_path}", "limit": limit,
                      "offset": offset, "total": len(self.saved), "previous": None,
                      "items": [{"added_at": added, "track": obj} for added, obj in page],
                      "next": (f"{self.base}/v1/me/tracks?offset={offset + limit}&limit={limit}"
                               if more else None)})

    def _recent(self, request: Request) -> Response:
        refused = self._scoped(request, "user-read-recently-played")
        if refused:
            return refused
        limit = int(request.args.get("limit", 20))
        if not 1 <= limit <= 50:
            return _json({"error": {"status": 400, "message": "Invalid limit"}}, 400)
        return _json({"href": f"{self.base}{request.full_path}", "limit": limit, "next": None,
                      "cursors": None, "items": [
                          {"played_at": played, "track": obj, "context": None}
                          for played, obj in self.recent[:limit]]})

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
