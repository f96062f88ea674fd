"""Where the Spotify client sends the refresh token: Spotify, or a replacement that is https://
or a loopback IP (tests and local fakes), never any other host."""

import pytest

from db.ingest.spotify import api


@pytest.mark.parametrize(("url", "fine"), [
    ("https://accounts.example.org", True),
    ("https://127.0.0.1:9443/accounts/", True),
    ("http://127.0.0.1:8080/accounts", True),
    ("http://[::1]:8080", True),
    ("http://127.8.9.10", True),
    ("http://localhost:8080", False),  # a name can resolve anywhere
    ("http://accounts.example.org", False),
    ("http://10.0.0.5:8080", False),
    ("ftp://127.0.0.1", False),
    ("https://", False),
    ("127.0.0.1:8080", False),
])
def test_a_service_url_is_https_or_a_loopback_ip(monkeypatch, url, fine):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "client")
    monkeypatch.setenv("MTM_SPOTIFY_ACCOUNTS_URL", url)
    if fine:
        assert api.settings().accounts_url == url.rstrip("/")
    else:
        with pytest.raises(api.SpotifyNotConfigured, match="MTM_SPOTIFY_ACCOUNTS_URL must be"):
            api.settings()


def test_the_api_url_is_held_to_the_same_rule(monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "client")
    monkeypatch.setenv("MTM_SPOTIFY_API_URL", "http://api.example.org")
    with pytest.raises(api.SpotifyNotConfigured, match="MTM_SPOTIFY_API_URL must be"):
        api.settings()


def test_unset_means_spotify(monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "client")
    monkeypatch.delenv("MTM_SPOTIFY_ACCOUNTS_URL", raising=False)
    monkeypatch.delenv("MTM_SPOTIFY_API_URL", raising=False)
    settings = api.settings()
    assert (settings.accounts_url, settings.api_url) == (api.ACCOUNTS_URL, api.API_URL)
