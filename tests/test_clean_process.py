"""Where every test starts (tests/conftest.py's clean_process): no setting of the developer's (a
read-only switch, a passphrase, a Spotify client, a database) reaches a test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.ingest.spotify import api as spotify_api
from db.ingest.spotify.api import SpotifyNotConfigured
from db.model import access

from support.databases import ROOT


def test_the_test_process_starts_without_any_setting():
    """Where every test starts (tests/conftest.py's clean_process); run on its own below with a
    developer's settings in the environment."""
    assert [n for n in os.environ if n == "DATABASE_URL" or n.startswith(("MTM_", "SPOTIFY_"))] \
        == []
    assert access.writes_open()  # not read-only, no passphrase
    with pytest.raises(SpotifyNotConfigured):
        spotify_api.settings()


def test_a_developers_settings_never_reach_a_test(tmp_path):
    developers = {"MTM_READ_ONLY": "on", "MTM_ADMIN_PASSWORD": "theirs",
                  "SPOTIFY_CLIENT_ID": "their-client-id",
                  "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/theirs"}
    probe = f"{Path(__file__).name}::test_the_test_process_starts_without_any_setting"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/{probe}",
         f"--basetemp={tmp_path / 'inner'}"],  # not pytest's shared root: it would chmod it
        cwd=ROOT, env={**os.environ, **developers}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-3000:]
