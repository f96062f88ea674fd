"""The stress test, one run at a time per database, whoever starts it and whatever happens meanwhile.

A run is the PostgreSQL workload and, when asked, the same workload on SQLite twice (db/stress/workload.py).
Single flight:

- Across processes and machines: a lease on the one row of mtm_bench.run_lease, taken before any
  writer starts, renewed by a heartbeat every HEARTBEAT_S and given back only after the last
  writer of the last part has ended. Plain rows and transactions, so it holds behind transaction
  poolers, where a session advisory lock does not. A run whose process died frees the lease when
  it runs out (LEASE_S); a run that loses its lease (its heartbeat could not renew it in time)
  stops its writers.
- Within the app: a run lives in a process of its own (start_in_background: `python -m db
  bench` under the lease the app took, watched by a thread), not in a viewer's script run.
  Streamlit stops a script run by raising inside it at its next Streamlit call (a rerun, another
  click): a run drawn from the script used to leave its `with` block that way and free the lock
  while its writer threads went on. In a process of its own, at a lower CPU priority, its
  writers do not compete with the viewers' page views for the app's GIL either (p95 page
  latency during a run: 1.9x idle in the app's process, about 1.3x in a niced process of its own).
- Spacing: the lease row remembers when the last run finished; a run may be refused until
  ``cooldown_s`` have passed since (the app passes MTM_STRESS_TEST_COOLDOWN_S; the CLI none).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from db import config, redact
from db.errors import DatabaseError, first_line
from db.pool import connection_kwargs
from db.stress import workload

ROOT = Path(__file__).resolve().parents[2]  # where `python -m db` is found

LEASE_S = 60
HEARTBEAT_S = 5
APP_RUN_NICENESS = 10
PROGRESS_PREFIX = "progress\t"
StageProgress = Callable[[str, int, int], None]

# The row is there from migration 0005; put back if someone deleted it.
_ENSURE_ROW = "INSERT INTO mtm_bench.run_lease DEFAULT VALUES ON CONFLICT DO NOTHING"
_ACQUIRE = """
UPDATE mtm_bench.run_lease
SET holder = %(holder)s, started_at = now(),
    expires_at = now() + make_interval(secs => %(lease)s)
WHERE (holder IS NULL OR expires_at < now())
  AND (finished_at IS NULL OR finished_at <= now() - make_interval(secs => %(cooldown)s))
RETURNING holder
"""
_WHY_NOT = """
SELECT holder IS NOT NULL AND expires_at >= now() AS running,
       extract(epoch FROM now() - started_at)::int AS running_for,
       ceil(%(cooldown)s - extract(epoch FROM now() - finished_at))::int AS wait
FROM mtm_bench.run_lease
"""
_RENEW = """
UPDATE mtm_bench.run_lease SET expires_at = now() + make_interval(secs => %(lease)s)
WHERE holder = %(holder)s
"""
_RELEASE = """
UPDATE mtm_bench.run_lease SET holder = NULL, expires_at = NULL, finished_at = now()
WHERE holder = %(holder)s
"""


class StressTestBusy(DatabaseError):
    """Another run holds the lease, or the last one ended too recently."""


class Lease:
    """This process's right to run the stress test on the database, until released."""

    def __init__(self, conn: psycopg.Connection, holder: str) -> None:  # see acquire, adopt
        self._conn = conn
        self.holder = holder
        self.lost = threading.Event()  # set when a renewal found the lease gone: stop writing
        self._released = threading.Event()
        self._heartbeat = threading.Thread(target=self._renew, name="mtm-stress-lease",
                                           daemon=True)
        self._heartbeat.start()

    @classmethod
    def acquire(cls, cooldown_s: float = 0.0) -> Lease:
        target = config.resolve()
        holder = f"{uuid.uuid4()}"
        conn = psycopg.connect(target.url, autocommit=True, **connection_kwargs(target.url))
        try:
            params = {"holder": holder, "lease": LEASE_S, "cooldown": cooldown_s}
            conn.execute(_ENSURE_ROW)
            if conn.execute(_ACQUIRE, params).fetchone() is None:
                raise StressTestBusy(_why_not(conn, cooldown_s))
        except BaseException:
            conn.close()
            raise
        return cls(conn, holder)

    @classmethod
    def adopt(cls, holder: str) -> Lease:
        """Take over a lease that another process acquired and handed over (the app starts the
        stress test's process this way, so that a refusal reaches the visitor who clicked)."""
        target = config.resolve()
        conn = psycopg.connect(target.url, autocommit=True, **connection_kwargs(target.url))
        try:
            if not conn.execute(_RENEW, {"holder": holder, "lease": LEASE_S}).rowcount:
                raise StressTestBusy("the stress test's lease was gone before its run began")
        except BaseException:
            conn.close()
            raise
        return cls(conn, holder)

    def hand_over(self) -> str:
        """Stop renewing the lease here, without giving it back: another process adopts it."""
        self._released.set()
        self._heartbeat.join()
        self._conn.close()
        return self.holder

    @staticmethod
    def give_back(holder: str) -> None:
        """Give back a lease whose process is gone (it died before it could)."""
        target = config.resolve()
        with psycopg.connect(target.url, autocommit=True, **connection_kwargs(target.url)) as c:
            c.execute(_RELEASE, {"holder": holder})

    def _renew(self) -> None:
        while not self._released.wait(HEARTBEAT_S):
            try:
                renewed = self._conn.execute(
                    _RENEW, {"holder": self.holder, "lease": LEASE_S}).rowcount
            except psycopg.Error:
                renewed = 0
            if not renewed:  # taken over after it ran out, or unreachable: stop writing
                self.lost.set()
                return

    def release(self) -> None:
        """Give the lease back (call after every writer has ended) and note the time."""
        self._released.set()
        self._heartbeat.join()
        try:
            self._conn.execute(_RELEASE, {"holder": self.holder})
        except psycopg.Error:
            pass  # the lease runs out by itself
        finally:
            self._conn.close()


def _why_not(conn: psycopg.Connection, cooldown_s: float) -> str:
    running, running_for, wait = conn.execute(_WHY_NOT, {"cooldown": cooldown_s}).fetchone()
    if running:
        return (f"a stress test is already running on this database (for {running_for} s); "
                "try again when it is done")
    return f"the last stress test ended moments ago; the next may start in {max(wait or 1, 1)} s"


@dataclass
class StressTestResult:
    postgres: workload.BenchmarkResult
    sqlite: list[workload.BenchmarkResult] = field(default_factory=list)

    @property
    def parts(self) -> list[workload.BenchmarkResult]:
        return [self.postgres, *self.sqlite]


def run(writes: int = 500, workers: int = 10, sqlite: bool = False, *, cooldown_s: float = 0.0,
        progress: StageProgress | None = None, lease: Lease | None = None) -> StressTestResult:
    """One run, start to end, under the lease (taken here unless given): StressTestBusy at once
    when another run holds it. Returns after every writer of every part has ended."""
    workload.check_bounds(writes, workers)
    lease = lease or Lease.acquire(cooldown_s)
    try:
        def stage(name: str) -> workload.Progress | None:
            return (lambda done, total: progress(name, done, total)) if progress else None

        result = StressTestResult(workload.postgres_part(writes, workers, stage("PostgreSQL"),
                                                      lease.lost))
        if sqlite:
            for timeout in (5.0, 0.0):
                result.sqlite.append(workload.sqlite_part(
                    writes, workers, timeout, stage(f"SQLite, {timeout:g} s busy timeout"),
                    lease.lost))
    finally:
        lease.release()
    if lease.lost.is_set():
        raise DatabaseError("the stress test lost its lease on the database (its heartbeat "
                            "could not renew it) and stopped its writers")
    return result


@dataclass
class BackgroundRun:
    """A run in a process of its own, which any script run can look in on."""

    id: str
    writes: int
    workers: int
    sqlite: bool
    stage: str = "starting"
    done: int = 0
    total: int = 0
    result: StressTestResult | None = None
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _command(self) -> list[str]:
        command = [sys.executable, "-m", "db", "bench", "--writes", str(self.writes),
                   "--workers", str(self.workers), "--app-run", self.id]
        return command + (["--sqlite"] if self.sqlite else [])

    def _watch(self) -> None:
        """Run the stress test's process to its end, following its progress."""
        target = config.resolve()
        # The child must use this very database, wherever the app's came from (it refuses
        # another, MTM_EXPECT_DATABASE); the project root must be importable from anywhere.
        env = os.environ | {
            "DATABASE_URL": target.url,
            config.EXPECT_DATABASE: str((redact.parse(target.url) or {}).get("dbname", "")),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        said: list[str] = []
        try:
            # The result (every latency: hundreds of kB) goes to a file, not a pipe that would
            # fill up while this thread reads the progress. The app's working directory: the
            # child reads the secrets the app read.
            with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
                child = subprocess.Popen(self._command(), env=env, text=True, stdout=output,
                                         stderr=subprocess.PIPE)
                for line in child.stderr:
                    if line.startswith(PROGRESS_PREFIX):
                        stage, done, total = line[len(PROGRESS_PREFIX):].rstrip("\n").split("\t")
                        self.stage, self.done, self.total = stage, int(done), int(total)
                    elif line.strip():
                        said.append(line.strip())
                child.wait()
                output.seek(0)
                printed = output.read()
            if child.returncode == 0:
                self.result = _parse(printed)
            else:
                last = said[-1] if said else f"it exited with status {child.returncode}"
                self.error = redact.scrub(last.removeprefix("python -m db: error: "))
                Lease.give_back(self.id)  # in case it died before it could
        except Exception as exc:  # noqa: BLE001 - a thread's failure must reach the viewer
            self.error = f"the stress test failed: {first_line(exc)}"


def _parse(output: str) -> StressTestResult:
    data = json.loads(output)
    sqlite = [workload.BenchmarkResult(**part) for part in data.pop("sqlite", [])]
    return StressTestResult(workload.BenchmarkResult(**data), sqlite)


_background: BackgroundRun | None = None
_background_lock = threading.Lock()


def start_in_background(writes: int, workers: int, sqlite: bool, cooldown_s: float
                        ) -> BackgroundRun:
    """Take the lease now (StressTestBusy at once if another run has it, in this process or any
    other), then hand it to a process of the run's own, watched by a thread of this one. This is
    the app's way in: refused when the app is set not to offer the stress test
    (MTM_STRESS_TEST = off)."""
    global _background
    if not config.stress_test_enabled():
        raise StressTestBusy("the stress test is turned off on this app (MTM_STRESS_TEST)")
    workload.check_bounds(writes, workers)
    with _background_lock:
        if _background is not None and _background.running:
            raise StressTestBusy("a stress test is already running in this app; try again when "
                                 "it is done")
        holder = Lease.acquire(cooldown_s).hand_over()
        started = BackgroundRun(id=holder, writes=writes, workers=workers, sqlite=sqlite)
        started.thread = threading.Thread(target=started._watch, name="mtm-stress-test",
                                          daemon=True)
        started.thread.start()
        _background = started
    return started


def background_run() -> BackgroundRun | None:
    """The latest run started from this process (running or finished), if any."""
    return _background
