"""The README's pictures: the dashboard and the time machine, drawn by the real app in Chromium
over demo data, written to docs/img/dashboard.png and docs/img/time_machine.png (1400 px wide,
the whole page).

    python scripts/screenshots.py [--tracks 2000] [--days 365] [--end 2026-11-30]

The demo data goes into a scratch database beside the configured one (the embedded PostgreSQL
when nothing is configured, else the server DATABASE_URL names), which is dropped afterwards:
your own data is never read or written. Needs Debian's Chromium (/usr/bin/chromium); with
`apt-get install fonts-noto-color-emoji fonts-wqy-zenhei` the page icons and the demo's CJK
names are drawn instead of empty boxes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

from scratch import scratch_database  # first: it puts the project root on sys.path

# isort: split

from db.ingest import demo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import browser  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
VIEWPORT = {"width": 1400, "height": 1000}


def shoot(chrome, url: str, name: str, charts: int) -> Path:
    """Open ``url`` on a new page, wait until the script has finished and ``charts`` Plotly
    charts are drawn, and write the whole page to docs/img/<name>.png."""
    page = chrome.new_page(viewport=VIEWPORT)
    try:
        page.goto(url)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                               timeout=120_000)
        browser.wait_until_ready(page, charts=charts, timeout_ms=120_000)
        page.wait_for_timeout(1500)  # tables' canvases and charts' transitions settle
        taken = browser.screenshot(page, f"screenshot-{name}")  # the whole page, in test-artifacts/
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / f"{name}.png"
        shutil.move(taken, target)
        return target
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=2000, help="demo tracks (default 2000)")
    parser.add_argument("--days", type=int, default=365, help="days of snapshots (default 365)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30),
                        help="the last snapshot date (default 2026-11-30, so that the pictures "
                             "do not change from one day to the next)")
    args = parser.parse_args()
    with scratch_database() as url:
        demo.seed_demo(tracks=args.tracks, days=args.days, end=args.end)
        env = browser.app_env(DATABASE_URL=url)
        with browser.running_app(env, timeout=120) as app, browser.chromium() as chrome:
            written = [
                shoot(chrome, app + "/", "dashboard", charts=3),
                shoot(chrome, f"{app}/time_machine?date={args.end}&time_range=short_term"
                              "&window=182", "time_machine", charts=0),
            ]
    for path in written:
        print(path.relative_to(OUT.parent.parent))


if __name__ == "__main__":
    main()
