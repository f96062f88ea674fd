"""How long a newcomer waits: the app's first start on a new embedded data directory (initdb,
migrations, demo data) and a second start on the same directory, each measured from
`streamlit run` to a browser showing the drawn dashboard.

    python scripts/bench_startup.py [--data-dir DIR]

Needs Debian's Chromium (/usr/bin/chromium). Targets: first start <= 30 s, second <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support import browser  # noqa: E402


def one_start(env: dict[str, str]) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    with browser.running_app(env, timeout=180) as url, browser.chromium() as chrome:
        page = chrome.new_page()
        page.goto(url)
        browser.wait_until_ready(page, charts=1, timeout_ms=180_000)
        elapsed = time.perf_counter() - started
        return elapsed, browser.metric_values(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="embedded data directory (default: a new temporary one)")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="mtm-startup-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HOME")}
    env["MTM_DATA_DIR"] = data_dir
    print(f"data directory: {data_dir}")
    first, first_metrics = one_start(env)
    print(f"first start:  {first:5.1f} s  (target <= 30 s)  {first_metrics}")
    second, second_metrics = one_start(env)
    print(f"second start: {second:5.1f} s  (target <= 10 s)  {second_metrics}")
    print("same data after restart:", "yes" if first_metrics == second_metrics else "NO")


if __name__ == "__main__":
    main()
