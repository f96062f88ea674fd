"""Our concurrent-write benchmark against pgbench, on the same database and statement.

    python scripts/bench_pgbench.py [--writes 5000] [--workers 10] [--rounds 3]

Runs `python -m db bench`'s workload (W threads sharing a pool of W connections, one upsert of one
row per transaction) and `pgbench -c W -j 2 -M prepared` running the same upsert, alternately,
and prints the ratio of their rates. The pgbench half is skipped where pgbench is not
installed. Target: ours >= 0.9 x pgbench.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile

import scratch  # noqa: F401  (first: it puts the project root on sys.path)

# isort: split

import psycopg.conninfo

from db import config, migrations
from db.stress import runner

PGBENCH_SCRIPT = """\\set rank random(1, {writes})
INSERT INTO mtm_bench.snapshots (track_id, snapshot_date, time_range, rank)
VALUES ('track_1', CURRENT_DATE, 'short_term', :rank)
ON CONFLICT (track_id, snapshot_date, time_range) DO UPDATE SET rank = EXCLUDED.rank;
"""


def pgbench(url: str, writes: int, workers: int) -> float | None:
    """Transactions per second, or None where pgbench is missing."""
    binary = shutil.which("pgbench")
    if binary is None:
        return None
    params = psycopg.conninfo.conninfo_to_dict(url)
    env = {**os.environ, "PGHOST": str(params.get("host", "")),
           "PGPORT": str(params.get("port", 5432)), "PGUSER": str(params.get("user", "")),
           "PGDATABASE": str(params.get("dbname", ""))}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(writes=writes))
    try:
        out = subprocess.run(
            [binary, "-n", "-c", str(workers), "-j", "2", "-M", "prepared",
             "-t", str(writes // workers), "-f", script.name],
            capture_output=True, text=True, env=env, check=True).stdout
    finally:
        os.unlink(script.name)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    target = config.resolve()
    migrations.migrate()
    print(f"database: {target.description}; {args.writes:,} upserts of one row, "
          f"{args.workers} workers, {args.rounds} rounds (after one warm-up each)")
    runner.run(min(args.writes, 500), args.workers)  # warm: pool grown, statements prepared
    pgbench(target.url, min(args.writes, 500), args.workers)
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(runner.run(args.writes, args.workers).postgres.writes_per_s)
        rate = pgbench(target.url, args.writes, args.workers)
        if rate is not None:
            theirs.append(rate)
    print(f"python -m db bench: {statistics.median(ours):8,.0f} writes/s  (rounds: "
          + ", ".join(f"{r:,.0f}" for r in ours) + ")")
    if not theirs:
        print("pgbench: not installed; skipped")
        return
    print(f"pgbench -M prepared: {statistics.median(theirs):7,.0f} tps       (rounds: "
          + ", ".join(f"{r:,.0f}" for r in theirs) + ")")
    print(f"ratio: {statistics.median(ours) / statistics.median(theirs):.2f} x pgbench "
          "(target >= 0.90)")


if __name__ == "__main__":
    main()
