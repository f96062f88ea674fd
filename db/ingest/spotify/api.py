"""A small client for what the sync needs of Spotify: the accounts service (Authorization Code
with PKCE, tokens) and the Web API endpoints it reads: /v1/me, /v1/me/top/tracks, /v1/tracks/{id},
/v1/me/tracks and /v1/me/player/recently-played.

Why not spotipy (2.26, read before deciding): its retries are urllib3's, which sleep as long as a
429's Retry-After says (Spotify sends hours to an app over its limit) where the sync must give up
within a bound and say so; it logs request headers (the bearer token) and token requests' bodies
(the refresh token) at DEBUG; its PKCE manager keeps the verifier on the object, while Spotify
sends the browser back to a new Streamlit session; a 401 is raised, not refreshed; and it pulls
in redis. So requests (already Streamlit's dependency) does the HTTP, and this module holds the
whole policy in one place (send()):

- 401 from the API: refresh the access token once per client, then SpotifyReconnect;
- 429: wait as Retry-After says when that is within Policy.max_retry_after_s, else give up
  (SpotifyRateLimited, which says how long Spotify asked for); a quota 429 gives up at once;
- 5xx, timeouts, refused connections: retry with exponential backoff, Policy.attempts in all;
- anything else: one line naming what was asked and Spotify's own words (SpotifyError).

Tokens are never put in a message, a log line or a repr; every token this process sees is also
handed to db.redact, which scrubs it from any text that could still carry it.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import requests

from db import redact
from db.errors import DatabaseError

log = logging.getLogger(__name__)

TOP_SCOPE = "user-top-read"  # the top lists: what the sync needs
# Full track objects 50 a request (saved tracks, recently played): details in bulk.
LIBRARY_SCOPE = "user-library-read"
RECENT_SCOPE = "user-read-recently-played"
SCOPE = " ".join((TOP_SCOPE, LIBRARY_SCOPE, RECENT_SCOPE))  # what Connect asks for
ACCOUNTS_URL = "https://accounts.spotify.com"
API_URL = "https://api.spotify.com"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8501/data"
PAGE_LIMIT = 50  # the most /v1/me/top/tracks returns at once
LAST_OFFSET = 49  # limit 50 from offset 49: ranks 50-99, the most Spotify gives
RECONNECT = "on the Data page: Disconnect, then Connect Spotify"


class SpotifyError(DatabaseError):
    """Spotify could not be asked, or said no: one line, no token in it."""


class SpotifyNotConfigured(SpotifyError):
    pass


class SpotifyReconnect(SpotifyError):
    """Spotify no longer accepts this app's authorization: the owner must connect again."""


class SpotifyForbidden(SpotifyError):
    """403: this app may not do that for this account (a scope it was not granted, a user not
    added to a development-mode app)."""


class SpotifyRateLimited(SpotifyError):
    """A 429 the client would not wait out. ``retry_after_s``: how long Spotify asked the app to
    wait (None when it did not say), so a long run can say when to continue; ``quota``: Spotify
    said the app's quota is spent."""

    def __init__(self, message: str, retry_after_s: float | None, quota: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.quota = quota


@dataclass(frozen=True)
class Settings:
    client_id: str
    redirect_uri: str
    accounts_url: str = ACCOUNTS_URL
    api_url: str = API_URL


def settings() -> Settings:
    """The Spotify app's settings from the environment (Streamlit copies root-level secrets
    there): SPOTIFY_CLIENT_ID, SPOTIFY_REDIRECT_URI. No client secret: PKCE needs none.
    MTM_SPOTIFY_ACCOUNTS_URL and MTM_SPOTIFY_API_URL exist for tests and local fakes."""
    client_id = os.environ.get("SPOTIFY_CLIENT_ID", "").strip()
    if not client_id:
        raise SpotifyNotConfigured(
            "Spotify is not set up: set SPOTIFY_CLIENT_ID (the Client ID of your app in Spotify's "
            "Developer Dashboard) in the environment or the app's secrets")
    redirect = os.environ.get("SPOTIFY_REDIRECT_URI", "").strip() or DEFAULT_REDIRECT_URI
    check_redirect_uri(redirect)
    return Settings(client_id, redirect, service_url("MTM_SPOTIFY_ACCOUNTS_URL", ACCOUNTS_URL),
                    service_url("MTM_SPOTIFY_API_URL", API_URL))


def service_url(name: str, default: str) -> str:
    """A replacement for one of Spotify's services. The refresh token goes there, so only
    https:// or a loopback IP (a local fake) is accepted."""
    url = os.environ.get(name, "").strip().rstrip("/")
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback_ip(parts.hostname):
        return url
    raise SpotifyNotConfigured(
        f"{name} must be an https:// address or http:// to a loopback IP such as 127.0.0.1 "
        "(it exists for tests and local fakes; leave it unset to use Spotify)")


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_redirect_uri(uri: str) -> None:
    """Spotify accepts HTTPS redirect URIs, or http:// to a loopback IP literal; never localhost."""
    parts = urlsplit(uri)
    if parts.hostname == "localhost":
        raise SpotifyNotConfigured(
            f"SPOTIFY_REDIRECT_URI {uri!r}: Spotify refuses 'localhost'; use the loopback "
            "address instead, e.g. http://127.0.0.1:8501/data")
    if "#" in uri:
        raise SpotifyNotConfigured(f"SPOTIFY_REDIRECT_URI {uri!r} must not have a #fragment")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback_ip(parts.hostname):
        return
    raise SpotifyNotConfigured(
        f"SPOTIFY_REDIRECT_URI {uri!r} must be an https:// address, or http:// to a loopback IP "
        "such as http://127.0.0.1:8501/data (Spotify accepts nothing else)")


def pkce_pair() -> tuple[str, str]:
    """(code verifier, S256 code challenge), as RFC 7636 says."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(config: Settings, state: str, challenge: str) -> str:
    return f"{config.accounts_url}/authorize?" + urlencode({
        "client_id": config.client_id, "response_type": "code",
        "redirect_uri": config.redirect_uri, "code_challenge_method": "S256",
        "code_challenge": challenge, "state": state, "scope": SCOPE})


@dataclass(frozen=True)
class Policy:
    """How long the client keeps trying; tests shorten the backoff. A request that keeps
    failing ends within worst_case_s(): about 5 minutes with the defaults (a click on Sync now
    that meets a healthy Spotify takes a second or two)."""

    attempts: int = 4  # tries of one request, for 5xx, timeouts and refused connections
    backoff_s: float = 1.0  # 1, 2, 4 s between those tries
    max_retry_after_s: float = 30.0  # the longest 429 wait; longer means "try again later"
    rate_limit_waits: int = 3  # 429 waits of one request
    timeout: tuple[float, float] = (5.0, 20.0)  # connect, read
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def worst_case_s(self) -> float:
        """The longest one request can take, every try timing out and every wait the longest."""
        tries = self.attempts * sum(self.timeout)
        backoff = (self.attempts - 1) * max(self.max_retry_after_s, self.backoff_s * 8)
        return tries + backoff + self.rate_limit_waits * self.max_retry_after_s


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    scope: str = ""


class SpotifyClient:
    """One run's conversation with Spotify. ``on_new_refresh_token`` is called with a refresh
    token Spotify replaced the old one with (it must be stored: the old one may stop working)."""

    def __init__(self, config: Settings, policy: Policy | None = None, *,
                 refresh_token: str | None = None,
                 on_new_refresh_token: Callable[[str], None] | None = None,
                 meter: Callable[[str], None] | None = None) -> None:
        self.config = config
        # Called with what is asked before every Web API request is sent, retries included:
        # budget.Meter, which may refuse it.
        self.meter = meter
        self.policy = policy or Policy()
        self._refresh_token = refresh_token
        self._access_token: str | None = None
        self._refreshed = False
        self._on_new_refresh_token = on_new_refresh_token
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "music-time-machine"
        redact.remember(refresh_token)

    @property
    def refresh_token(self) -> str | None:
        """The refresh token now: the one given, or the one Spotify replaced it with."""
        return self._refresh_token

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SpotifyClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the accounts service ------------------------------------------------------------------
    def exchange_code(self, code: str, verifier: str) -> Tokens:
        tokens = self._token_request({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.config.redirect_uri, "client_id": self.config.client_id,
            "code_verifier": verifier}, "connecting your account")
        if not tokens.refresh_token:
            raise SpotifyError("Spotify's token service sent no refresh token: connect again")
        self._access_token, self._refresh_token = tokens.access_token, tokens.refresh_token
        return tokens

    def refresh(self) -> None:
        if not self._refresh_token:
            raise SpotifyReconnect("no Spotify account is connected: connect one on the Data page")
        tokens = self._token_request({
            "grant_type": "refresh_token", "refresh_token": self._refresh_token,
            "client_id": self.config.client_id}, "renewing access")
        self._access_token = tokens.access_token
        if tokens.refresh_token and tokens.refresh_token != self._refresh_token:
            self._refresh_token = tokens.refresh_token
            if self._on_new_refresh_token:
                self._on_new_refresh_token(tokens.refresh_token)

    def _token_request(self, form: dict, what: str) -> Tokens:
        # Not retried after a read timeout: Spotify may have used the code or replaced the
        # refresh token already, and trying it again would only earn an invalid_grant.
        response = self.send("POST", f"{self.config.accounts_url}/api/token", what, data=form,
                             retry_timeouts=False)
        if response.status_code in (400, 401):
            reason = _token_error(response)
            if "invalid_grant" in reason or "invalid_client" in reason:
                raise SpotifyReconnect(f"Spotify refused {what} ({reason}): reconnect your "
                                       f"account ({RECONNECT})")
        body = _json(_ok(response, what), what)
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise SpotifyError(f"Spotify's answer to {what} held no access token")
        redact.remember(access, refresh if isinstance(refresh, str) else None)
        return Tokens(access, refresh if isinstance(refresh, str) else "",
                      body.get("scope") if isinstance(body.get("scope"), str) else "")

    # -- the Web API ---------------------------------------------------------------------------
    def me(self) -> dict:
        return self.api("/v1/me", {}, "your Spotify profile")

    def top_tracks(self, time_range: str, offset: int = 0) -> dict:
        first = offset + 1
        return self.api("/v1/me/top/tracks",
                        {"time_range": time_range, "limit": PAGE_LIMIT, "offset": offset},
                        f"your top tracks ({time_range.replace('_', ' ')}, ranks {first}-"
                        f"{offset + PAGE_LIMIT})")

    def track(self, track_id: str) -> dict | None:
        """GET /v1/tracks/{id}, one track (development-mode apps lost Get Several Tracks in
        February 2026); None when Spotify has no such track."""
        what = f"track {track_id}"
        response = self.get(f"/v1/tracks/{quote(track_id, safe='')}", {}, what)
        # Spotify says "non existing id" for a track it does not have; "Service not found" is
        # its gateway's answer to a path it does not serve, which says nothing about the track.
        if response.status_code == 404 and _api_error(response) != "Service not found":
            return None
        return _json(_ok(response, what), what)

    def saved_tracks(self, offset: int) -> dict:
        """A page of the saved library, newest first: items of {added_at, track}."""
        return self.api("/v1/me/tracks", {"limit": PAGE_LIMIT, "offset": offset},
                        f"your saved tracks ({offset + 1}-{offset + PAGE_LIMIT})")

    def recently_played(self) -> dict:
        """The last 50 plays: items of {played_at, track}."""
        return self.api("/v1/me/player/recently-played", {"limit": PAGE_LIMIT},
                        "your recently played tracks")

    def api(self, path: str, params: dict, what: str) -> dict:
        response = self.get(path, params, what)
        return _json(_ok(response, what), what)

    def get(self, path: str, params: dict, what: str) -> requests.Response:
        """The Web API's answer to a GET, access renewed once on a 401; other statuses are the
        caller's to judge."""
        if self._access_token is None:
            self.refresh()
        while True:
            response = self.send("GET", f"{self.config.api_url}{path}", what, params=params,
                                 headers={"Authorization": f"Bearer {self._access_token}"},
                                 metered=True)
            if response.status_code != 401:
                return response
            if self._refreshed:
                raise SpotifyReconnect(f"Spotify did not accept this app's access to {what}, "
                                       f"even renewed: reconnect your account ({RECONNECT})")
            log.info("Spotify answered 401 to %s: renewing access once", what)
            self._refreshed = True
            self.refresh()

    # -- HTTP, with the retry policy -----------------------------------------------------------
    def send(self, method: str, url: str, what: str, *, retry_timeouts: bool = True,
             metered: bool = False, **kwargs) -> requests.Response:
        """The response to a request, after the retries the policy allows; SpotifyError when
        Spotify could not be reached or kept failing. 4xx other than 429 are returned."""
        policy, failures, waits = self.policy, 0, 0
        while True:
            if metered and self.meter is not None:
                self.meter(what)
            try:
                response = self._session.request(method, url, timeout=policy.timeout, **kwargs)
            except requests.ConnectTimeout:
                failures, problem, response = failures + 1, "could not be reached in time", None
            except requests.Timeout:
                if not retry_timeouts:
                    raise SpotifyError(f"Spotify did not answer in time when asked for {what}: "
                                       "try again later") from None
                failures, problem, response = failures + 1, "did not answer in time", None
            except requests.ConnectionError:
                failures, problem, response = failures + 1, "could not be reached", None
            except requests.RequestException as exc:
                raise SpotifyError(f"Spotify could not be asked for {what}: "
                                   f"{type(exc).__name__}") from None
            if response is not None and response.status_code == 429:
                asked = _retry_after(response, None)
                wait = policy.backoff_s if asked is None else asked
                waits += 1
                if _over_quota(response):  # waiting seconds does not give a quota back
                    raise SpotifyRateLimited(
                        f"Spotify says this app has used up its quota (QUOTA_EXCEEDED) when "
                        f"asked for {what}" + (f" and asks it to wait {duration(asked)}"
                                               if asked is not None else "")
                        + ": try again later", asked, quota=True)
                if wait > policy.max_retry_after_s:
                    raise SpotifyRateLimited(
                        f"Spotify is limiting this app's requests and asks it to wait "
                        f"{duration(wait)} before asking for {what}; a sync waits "
                        f"{duration(policy.max_retry_after_s)} at most: try again later", wait)
                if waits > policy.rate_limit_waits:
                    raise SpotifyRateLimited(
                        f"Spotify kept limiting this app's requests for {what} after "
                        f"{policy.rate_limit_waits} waits: try again later", wait)
                log.info("Spotify answered 429 to %s: waiting %.1f s as it asks", what, wait)
                policy.sleep(wait)
                continue
            if response is not None and response.status_code < 500:
                return response
            if response is not None:
                failures, problem = failures + 1, f"answered {_status(response)}"
            if failures >= policy.attempts:
                raise SpotifyError(f"Spotify {problem} when asked for {what}, {failures} times "
                                   "in a row: try again later")
            wait = min(policy.backoff_s * 2 ** (failures - 1), 30.0)
            if response is not None and "Retry-After" in response.headers:
                wait = min(_retry_after(response, wait), policy.max_retry_after_s)
            log.info("Spotify %s when asked for %s: try %d of %d in %.1f s", problem, what,
                     failures + 1, policy.attempts, wait)
            policy.sleep(wait)


def _ok(response: requests.Response, what: str) -> requests.Response:
    if 200 <= response.status_code < 300:
        return response
    detail = _api_error(response)
    hint = ""
    if response.status_code == 403:
        hint = (" (in development mode only the users added to the app in Spotify's Developer "
                "Dashboard may connect, five at most)")
    raise (SpotifyForbidden if response.status_code == 403 else SpotifyError)(
        f"Spotify answered {_status(response)} when asked for {what}"
        + (f": {detail}" if detail else "") + hint)


def _json(response: requests.Response, what: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise SpotifyError(f"Spotify's answer to {what} was not JSON") from None
    if not isinstance(body, dict):
        raise SpotifyError(f"Spotify's answer to {what} was not a JSON object")
    return body


def _status(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason or ''}".strip()


def _short(text: object) -> str:
    """Spotify's own words, as one short line (scrubbed again where it is shown)."""
    line = " ".join(str(text).split())
    return line[:200] + ("…" if len(line) > 200 else "")


def _api_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return _short(error.get("message") or "")
    if isinstance(error, str):
        return _short(f"{error}: {body.get('error_description', '')}".rstrip(": "))
    return ""


def _token_error(response: requests.Response) -> str:
    return _api_error(response) or _status(response)


def _over_quota(response: requests.Response) -> bool:
    return "QUOTA_EXCEEDED" in response.text.upper()


def _retry_after(response: requests.Response, default: float | None) -> float | None:
    """Seconds to wait: Retry-After as seconds or an HTTP date; ``default`` when absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def duration(seconds: float) -> str:
    """A wait as a person reads it: 45 s, 12 min, 2.0 h."""
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds:,.0f} s"
