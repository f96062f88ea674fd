"""The concurrent-write benchmark: the earlier app's test_concurrent.py, measured properly.

N upserts of one snapshot row (same track, today's date, short_term, rank varying), each its
own transaction, from W worker threads sharing one connection pool of W connections: a pool of
the run's own, so that the app's viewers keep theirs. Rows live in the mtm_bench schema, which no
dashboard query reads. Runs are single-flight per database: see db/stress/runner.py, which every run
goes through.
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
from psycopg_pool import ConnectionPool, PoolTimeout

from db import config
from db.errors import DatabaseUnavailable, InvalidData, first_line
from db.pool import GETCONN_TIMEOUT_S, connection_kwargs

MAX_WRITES = 20_000
MAX_WORKERS = 16
TRACK_ID = "track_1"
TIME_RANGE = "short_term"

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
    """Run UPSERT as a statement prepared once per pooled connection, through libpq directly:
    where the client shares two cores with the server, the client's CPU per write limits the
    rate, and psycopg's execute() costs about three times libpq's (docs/performance.md)."""
    pgconn = conn.pgconn
    if conn not in _prepared_on:
        _check(pgconn.prepare(_PREPARED_NAME, (UPSERT % ("$1", "$2", "$3", "$4")).encode()))
        _prepared_on.add(conn)
    _check(pgconn.exec_prepared(_PREPARED_NAME, params))


def _check(result) -> None:
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        message = result.error_message.decode("utf-8", "replace") or "the statement failed"
        raise psycopg.OperationalError(message)


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
    # When the first writer started and the last one ended (wall clock, seconds since the epoch).
    writers_from: float = 0.0
    writers_until: float = 0.0

    @property
    def summary_line(self) -> str:
        """The earlier app's sentence."""
        return f"{self.successes} writes completed in {self.elapsed_s:.2f}s"

    def as_dict(self, with_latencies: bool = False) -> dict:
        data = asdict(self)
        if not with_latencies:
            data.pop("latencies_ms")
        return data


def bench_day() -> dt.date:
    """The day a run's rows are dated: the date on this machine's clock, never the server's
    current_date (its time zone may be another day). Whatever must name the row a run writes (a
    test that holds it locked, say) asks here."""
    return dt.date.today()


def check_bounds(writes: int, workers: int) -> None:
    if not 1 <= writes <= MAX_WRITES:
        raise InvalidData(f"writes must be between 1 and {MAX_WRITES:,}, not {writes}")
    if not 1 <= workers <= MAX_WORKERS:
        raise InvalidData(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(engine: str, writes: int, workers: int, latencies: list[float],
              errors: Counter, window: tuple[float, float]) -> BenchmarkResult:
    ordered = sorted(latencies)
    elapsed = window[1] - window[0]
    successes = len(latencies)
    return BenchmarkResult(
        engine=engine, writes=writes, workers=workers, successes=successes,
        failures=sum(errors.values()), elapsed_s=round(elapsed, 4),
        writes_per_s=round(successes / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(statistics.median(ordered), 3) if ordered else 0.0,
        p95_ms=round(percentile(ordered, 95), 3), p99_ms=round(percentile(ordered, 99), 3),
        max_ms=round(ordered[-1], 3) if ordered else 0.0, errors=dict(errors),
        latencies_ms=[round(x, 3) for x in latencies], writers_from=window[0],
        writers_until=window[1])


def run_workload(write_one: Callable[[int], None], writes: int, workers: int,
                 progress: Progress | None, stop: threading.Event | None = None
                 ) -> tuple[list[float], Counter, tuple[float, float]]:
    """Call write_one(rank) for rank 1..writes from ``workers`` threads; time each call. Return
    the latencies, the failures by message, and when the writers started and ended (wall clock).

    Each worker takes the next rank until none is left (no per-write future to wait on, whose
    bookkeeping would cost more than a write) or ``stop`` is set. Returns only once every worker
    has ended. Progress is reported from the calling thread about every 50 ms.
    """
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    ranks = itertools.count(1)  # next() on it is atomic under the GIL
    stop = stop or threading.Event()

    def work() -> None:
        while (rank := next(ranks)) <= writes and not stop.is_set():
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
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.05)
            if progress:
                progress(min(len(latencies) + sum(errors.values()), writes), writes)
    return latencies, errors, (started, time.time())


def postgres_part(writes: int, workers: int, progress: Progress | None = None,
                  stop: threading.Event | None = None, day: dt.date | None = None
                  ) -> BenchmarkResult:
    """The workload against PostgreSQL, through a pool of ``workers`` connections of its own,
    writing the row of ``day`` (default: bench_day()). Call it through db.stress.runner, which
    makes sure that no other run's writers are at work."""
    check_bounds(writes, workers)
    target = config.resolve()
    prepared = config.prepared_statements(target.url)
    kwargs = connection_kwargs(target.url) | {"autocommit": True}
    if not prepared:
        kwargs["prepare_threshold"] = None
    pool = ConnectionPool(target.url, min_size=workers, max_size=workers, kwargs=kwargs,
                          name="mtm-stress-test", open=False)
    try:
        pool.open(wait=True, timeout=GETCONN_TIMEOUT_S)
    except PoolTimeout:
        pool.close()
        raise DatabaseUnavailable(f"the stress test could not open {workers} connections "
                                  f"within {GETCONN_TIMEOUT_S} s") from None
    with pool:
        today = day or bench_day()
        with pool.connection() as conn:
            conn.execute("DELETE FROM mtm_bench.snapshots WHERE track_id = %s", (TRACK_ID,))
        day_text = today.isoformat().encode()

        def write_one(rank: int) -> None:
            # Autocommit connections: one statement, one transaction.
            with pool.connection() as conn:
                if prepared:
                    execute_prepared(conn, (TRACK_ID.encode(), day_text, TIME_RANGE.encode(),
                                            str(rank).encode()))
                else:  # behind a transaction pooler
                    conn.execute(UPSERT, (TRACK_ID, today, TIME_RANGE, rank))

        latencies, errors, window = run_workload(write_one, writes, workers, progress, stop)
        stats = pool.get_stats()
        result = summarise("PostgreSQL", writes, workers, latencies, errors, window)
        result.pool = {key: stats.get(key, 0) for key in (
            "requests_num", "requests_queued", "requests_wait_ms", "requests_errors",
            "connections_num", "pool_size")}
        with pool.connection() as conn:
            ranks = [r[0] for r in conn.execute(
                "SELECT rank FROM mtm_bench.snapshots WHERE track_id = %s AND snapshot_date = %s"
                " AND time_range = %s", (TRACK_ID, today, TIME_RANGE))]
    result.rows_for_key = len(ranks)
    result.final_rank_valid = len(ranks) == 1 and 1 <= ranks[0] <= writes
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


def sqlite_part(writes: int = 500, workers: int = 10, busy_timeout_s: float = 5.0,
                progress: Progress | None = None, stop: threading.Event | None = None
                ) -> BenchmarkResult:
    """The same workload against a throwaway SQLite file in WAL mode, one connection per
    worker thread (as a SQLite app would have). ``busy_timeout_s`` is how long a writer waits
    for the file's write lock: Python's default is 5 s; 0 fails at once."""
    check_bounds(writes, workers)
    folder = tempfile.mkdtemp(prefix="mtm-sqlite-bench-")
    path = f"{folder}/bench.sqlite3"
    try:
        with sqlite3.connect(path) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.executescript(SQLITE_SCHEMA)
        local = threading.local()
        opened: list[sqlite3.Connection] = []
        today = bench_day().isoformat()

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

        latencies, errors, window = run_workload(write_one, writes, workers, progress, stop)
        for conn in opened:
            conn.close()
        label = f"SQLite (WAL, busy timeout {busy_timeout_s:g} s)"
        result = summarise(label, writes, workers, latencies, errors, window)
        with sqlite3.connect(path) as check:
            ranks = [r[0] for r in check.execute("SELECT rank FROM snapshots")]
        result.rows_for_key = len(ranks)
        result.final_rank_valid = len(ranks) == 1 and 1 <= ranks[0] <= writes
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
