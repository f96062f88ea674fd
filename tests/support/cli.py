"""`python -m db` run as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from support.databases import ROOT


def run_cli(*args, database_url=None, **env):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["PYTHONPATH"] = str(ROOT)
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "db", *args], capture_output=True, text=True,
                          env=environment, timeout=120)


def one_line_error(result, code=1):
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
