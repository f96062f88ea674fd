"""Import speed and memory: one JSON file of 50,000 tracks, and the earlier app's SQLite file with
100,000 tracks and 300,000 snapshot rows.

    python scripts/bench_imports.py [--json-tracks 50000] [--sqlite-tracks 100000]
                                    [--sqlite-snapshots 300000]

Writes the files (demo tracks, as Spotify objects), then imports each into a scratch database
beside the configured one (dropped afterwards) with `python -m db import-json` / `import-sqlite`
in a process of its own, and prints seconds and that process's peak memory (max RSS), with the
file's size and the memory of a process that only starts the CLI for comparison. Each import
runs twice: the second finds everything unchanged. Targets: JSON ≤ 10 s, SQLite ≤ 60 s; memory
no more than the parse needs (no second copy of the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db.ingest import demo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.old_app import write_old_sqlite  # noqa: E402

# Peak memory from VmHWM, not getrusage's ru_maxrss, which Linux carries over from the parent
# across exec (this script holds the generated tracks, so every child would report its peak).
CHILD = """
import sys, time
from db.__main__ import main
started = time.perf_counter()
code = main(sys.argv[1:])
peak = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(f"@@ {time.perf_counter() - started:.2f} {peak}", file=sys.stderr)
sys.exit(code)
"""


def measured(*args: str) -> tuple[float, int, str]:
    """Seconds and peak RSS (MB) of `python -m db ARGS` in a fresh process, and its output."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    seconds, rss_kb = done.stderr.strip().splitlines()[-1].split()[1:]
    return float(seconds), int(rss_kb) // 1024, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-tracks", type=int, default=50_000)
    parser.add_argument("--sqlite-tracks", type=int, default=100_000)
    parser.add_argument("--sqlite-snapshots", type=int, default=300_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mtm-imports-"))
    json_path = folder / "top.json"
    json_path.write_text(json.dumps({"items": demo.generate_tracks(args.json_tracks, seed=1)}))
    tracks = demo.generate_tracks(args.sqlite_tracks, seed=2)
    ids = [t["id"] for t in tracks]
    days = args.sqlite_snapshots // (3 * 50) + 1
    snapshots = itertools.islice(
        demo.generate_snapshots(ids, days, dt.date(2026, 6, 30), seed=2), args.sqlite_snapshots)
    sqlite_path = write_old_sqlite(folder / "music.db", tracks, list(snapshots))
    del tracks, ids
    parse_only = subprocess.run(
        [sys.executable, "-c", "import json, sys; json.loads(open(sys.argv[1], encoding='utf-8')"
         ".read()); print([l.split()[1] for l in open('/proc/self/status') "
         "if l.startswith('VmHWM:')][0])", str(json_path)],
        capture_output=True, text=True, check=True).stdout
    with scratch_database():
        idle = measured("status")[1]
        print(f"a CLI process that only reports status: {idle} MB; a Python process that only "
              f"parses the JSON file: {int(parse_only) // 1024} MB")
        for label, path, command in (
                (f"JSON, {args.json_tracks:,} tracks", json_path, "import-json"),
                (f"SQLite, {args.sqlite_tracks:,} tracks + {args.sqlite_snapshots:,} snapshots",
                 sqlite_path, "import-sqlite")):
            size = path.stat().st_size / 2**20
            for run in ("first", "again"):
                seconds, peak, line = measured(command, str(path))
                print(f"{label} ({size:,.0f} MB file), {run}: {seconds:.1f} s, peak {peak} MB "
                      f"| {line}", flush=True)


if __name__ == "__main__":
    main()
