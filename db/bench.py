"""The concurrent-write benchmark: the earlier app's test_concurrent.py, measured properly.

N upserts of one snapshot row (same track, today's date, short_term, rank varying), each its
own transaction, from W worker threads borrowing connections from the shared pool. Rows live in
the mtm_bench schema, which no dashboard query reads. One run at a time per database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import psycopg
from psycopg import pq

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
_PREPARED_NAME = b"mtm_bench_upsert"
_prepared_on: weakref.WeakSet = weakref.WeakSet()


def execute_prepared(conn: psycopg.Connection, params: tuple[bytes, ...]) -> None:
    """Run UPSERT as a server-side prepared statement through libpq directly.

    psycopg's execute() (adaptation, cursor, result handling) costs about 120 us of Python CPU
    per write; libpq's PQexecPrepared about 40 us, as much as pgbench's client. On a machine
    where the client and ten server backends share two cores, that CPU is what limits the
    rate (scripts/bench_pgbench.py). The statement is prepared once per pooled connection.
    """
    pgconn = conn.pgconn
    if conn not in _prepared_on:
        _check(pgconn.prepare(_PREPARED_NAME, (UPSERT % ("$1", "$2", "$3", "$4")).encode()))
        _prepared_on.add(conn)
    _check(pgconn.exec_prepared(_PREPARED_NAME, params))


def _check(result) -> None:
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        message = result.error_message.decode("utf-8", "replace") or "the statement failed"
        raise psycopg.OperationalError(message)


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

    Each worker takes the next rank until none is left (no per-write future to wait on, whose
    bookkeeping would cost more than a write). Progress is reported from the calling thread,
    which Streamlit can draw from, about every 50 ms.
    """
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    ranks = itertools.count(1)  # next() on it is atomic under the GIL

    def work() -> None:
        while (rank := next(ranks)) <= writes:
            started = time.perf_counter()
            try:
                write_one(rank)
            except Exception as exc:  # every failure is counted by its message, none is fatal
                with lock:
                    errors[first_line(exc)] += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)  # atomic under the GIL

    threads = [threading.Thread(target=work, name=f"mtm-bench-{i}", daemon=True)
               for i in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.05)
            if progress:
                progress(min(len(latencies) + sum(errors.values()), writes), writes)
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

        day = today.isoformat().encode()
        prepared = config.prepared_statements(target.url)

        def write_one(rank: int) -> None:
            # Pooled connections are in autocommit mode: one statement, one transaction.
            with pool.connection() as conn:
                if prepared:
                    execute_prepared(conn, (TRACK_ID.encode(), day, TIME_RANGE.encode(),
                                            str(rank).encode()))
                else:  # behind a transaction pooler
                    conn.execute(UPSERT, (TRACK_ID, today, TIME_RANGE, rank))

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
