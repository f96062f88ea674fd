"""The concurrent-write benchmark: the earlier app's test_concurrent.py, measured properly.

N upserts of one snapshot row (same track, today's date, short_term, rank varying), each its
own transaction, from W worker threads borrowing connections from the shared pool. Rows live in
the mtm_bench schema, which no dashboard query reads. One run at a time per database.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field

import psycopg

from db import config
from db.errors import DatabaseError, InvalidData, first_line
from db.pool import connection_kwargs, get_pool

MAX_WRITES = 20_000
MAX_WORKERS_SQLITE = 32
TRACK_ID = "track_1"
TIME_RANGE = "short_term"
_LOCK_KEY = 0x6D746D_62656E63  # "mtm" + "benc"

# The seeds' statement, aimed at the benchmark's own table.
UPSERT = """
INSERT INTO mtm_bench.snapshots (track_id, snapshot_date, time_range, rank)
VALUES (%s, %s, %s, %s)
ON CONFLICT (track_id, snapshot_date, time_range)
DO UPDATE SET rank = EXCLUDED.rank
"""

Progress = Callable[[int, int], None]


class BenchmarkBusy(DatabaseError):
    """Another benchmark holds the lock on this database."""


@dataclass
class BenchmarkResult:
    engine: str
    writes: int
    workers: int
    successes: int
    failures: int
    elapsed_s: float
    writes_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    pool: dict[str, int] = field(default_factory=dict)
    rows_for_key: int | None = None
    final_rank_valid: bool | None = None

    @property
    def summary_line(self) -> str:
        """The earlier app's sentence."""
        return f"{self.successes} writes completed in {self.elapsed_s:.2f}s"

    def as_dict(self, with_latencies: bool = False) -> dict:
        data = asdict(self)
        if not with_latencies:
            data.pop("latencies_ms")
        return data


def check_bounds(writes: int, workers: int, max_workers: int) -> None:
    if not 1 <= writes <= MAX_WRITES:
        raise InvalidData(f"writes must be between 1 and {MAX_WRITES:,}, not {writes}")
    if not 1 <= workers <= max_workers:
        raise InvalidData(f"workers must be between 1 and {max_workers} (the pool's size), "
                          f"not {workers}")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(engine: str, writes: int, workers: int, latencies: list[float],
              errors: Counter, elapsed: float) -> BenchmarkResult:
    ordered = sorted(latencies)
    successes = len(latencies)
    return BenchmarkResult(
        engine=engine, writes=writes, workers=workers, successes=successes,
        failures=sum(errors.values()), elapsed_s=round(elapsed, 4),
        writes_per_s=round(successes / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(statistics.median(ordered), 3) if ordered else 0.0,
        p95_ms=round(percentile(ordered, 95), 3), p99_ms=round(percentile(ordered, 99), 3),
        max_ms=round(ordered[-1], 3) if ordered else 0.0, errors=dict(errors),
        latencies_ms=[round(x, 3) for x in latencies])


def run_workload(write_one: Callable[[int], None], writes: int, workers: int,
                 progress: Progress | None) -> tuple[list[float], Counter, float]:
    """Call write_one(rank) for rank 1..writes from ``workers`` threads; time each call.

    Progress is reported from the calling thread (Streamlit can draw from it), about every
    50 ms.
    """
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()

    def timed(rank: int) -> None:
        started = time.perf_counter()
        try:
            write_one(rank)
        except Exception as exc:  # every failure is counted by its message, none is fatal
            with lock:
                errors[first_line(exc)] += 1
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed_ms)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mtm-bench") as executor:
        pending = {executor.submit(timed, rank) for rank in range(1, writes + 1)}
        while pending:
            done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
            if progress:
                progress(writes - len(pending), writes)
    return latencies, errors, time.perf_counter() - started


def run_benchmark(writes: int = 500, workers: int = 10, progress: Progress | None = None
                  ) -> BenchmarkResult:
    """The workload against PostgreSQL through the shared pool; BenchmarkBusy if one runs."""
    pool = get_pool()
    check_bounds(writes, workers, pool.max_size)
    target = config.resolve()
    # The lock lives on a connection of its own, so that every pooled connection can work.
    with psycopg.connect(target.url, autocommit=True, **connection_kwargs()) as holder:
        if not holder.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()[0]:
            raise BenchmarkBusy("a benchmark is already running on this database")
        today = dt.date.today()
        with pool.connection() as conn:
            conn.execute("DELETE FROM mtm_bench.snapshots WHERE track_id = %s", (TRACK_ID,))

        def write_one(rank: int) -> None:
            with pool.connection() as conn:
                conn.autocommit = True  # one statement, one transaction, one round trip
                try:
                    conn.execute(UPSERT, (TRACK_ID, today, TIME_RANGE, rank))
                finally:
                    if not conn.closed:
                        conn.autocommit = False

        before = pool.get_stats()
        latencies, errors, elapsed = run_workload(write_one, writes, workers, progress)
        after = pool.get_stats()
        result = summarise("PostgreSQL", writes, workers, latencies, errors, elapsed)
        result.pool = {key: after.get(key, 0) - before.get(key, 0)
                       for key in ("requests_num", "requests_queued", "requests_wait_ms",
                                   "requests_errors", "connections_num")}
        result.pool["pool_size"] = after.get("pool_size", 0)
        with pool.connection() as conn:
            ranks = [r[0] for r in conn.execute(
                "SELECT rank FROM mtm_bench.snapshots WHERE track_id = %s AND snapshot_date = %s"
                " AND time_range = %s", (TRACK_ID, today, TIME_RANGE))]
        result.rows_for_key = len(ranks)
        result.final_rank_valid = len(ranks) == 1 and 1 <= ranks[0] <= writes
        holder.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return result


SQLITE_SCHEMA = """
CREATE TABLE tracks (track_id TEXT PRIMARY KEY, name TEXT NOT NULL, artist_name TEXT);
CREATE TABLE snapshots (
    track_id TEXT NOT NULL REFERENCES tracks (track_id),
    snapshot_date TEXT NOT NULL,
    time_range TEXT NOT NULL,
    rank INTEGER NOT NULL CHECK (rank > 0),
    UNIQUE (track_id, snapshot_date, time_range)
);
INSERT INTO tracks VALUES ('track_1', 'Concurrency Test Track', 'Test Artist');
"""
SQLITE_UPSERT = """
INSERT INTO snapshots (track_id, snapshot_date, time_range, rank) VALUES (?, ?, ?, ?)
ON CONFLICT (track_id, snapshot_date, time_range) DO UPDATE SET rank = excluded.rank
"""


def run_sqlite_benchmark(writes: int = 500, workers: int = 10, busy_timeout_s: float = 5.0,
                         progress: Progress | None = None) -> BenchmarkResult:
    """The same workload against a throwaway SQLite file in WAL mode, one connection per
    worker thread (as a SQLite app would have). ``busy_timeout_s`` is how long a writer waits
    for the file's write lock: Python's default is 5 s; 0 fails at once."""
    check_bounds(writes, workers, MAX_WORKERS_SQLITE)
    folder = tempfile.mkdtemp(prefix="mtm-sqlite-bench-")
    path = f"{folder}/bench.sqlite3"
    try:
        with sqlite3.connect(path) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.executescript(SQLITE_SCHEMA)
        local = threading.local()
        opened: list[sqlite3.Connection] = []
        today = dt.date.today().isoformat()

        def write_one(rank: int) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = sqlite3.connect(path, timeout=busy_timeout_s, check_same_thread=False)
                local.conn = conn
                opened.append(conn)
            try:
                conn.execute(SQLITE_UPSERT, (TRACK_ID, today, TIME_RANGE, rank))
                conn.commit()
            except sqlite3.Error:
                conn.rollback()
                raise

        latencies, errors, elapsed = run_workload(write_one, writes, workers, progress)
        for conn in opened:
            conn.close()
        label = f"SQLite (WAL, busy timeout {busy_timeout_s:g} s)"
        result = summarise(label, writes, workers, latencies, errors, elapsed)
        with sqlite3.connect(path) as check:
            ranks = [r[0] for r in check.execute("SELECT rank FROM snapshots")]
        result.rows_for_key = len(ranks)
        result.final_rank_valid = len(ranks) == 1 and 1 <= ranks[0] <= writes
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
