"""Run the real app (`streamlit run`) on a free port and drive it with Debian's Chromium.

Used by the browser tests and by scripts/bench_startup.py. Never downloads a browser.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg.conninfo

from support.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MTM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checkout(into: Path | None = None) -> Path:
    """The app as a clone of the repository holds it: the files git tracks, plus new ones it
    does not ignore (so work not yet committed is tested), and nothing else. No
    .streamlit/secrets.toml of the developer's, which Streamlit would read from the working
    directory and let override the test's DATABASE_URL. One shared copy per process unless
    ``into`` is given."""
    return _copy_of_the_repository(into) if into else _shared_checkout()


@functools.cache
def _shared_checkout() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="mtm-checkout-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return _copy_of_the_repository(directory)


def _copy_of_the_repository(into: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not there
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


@contextmanager
def running_app(env: dict[str, str], timeout: float = 60, started: list | None = None,
                cwd: Path | None = None, script: str = "streamlit_app.py",
                port: int | None = None) -> Iterator[str]:
    """Start `streamlit run streamlit_app.py` in ``cwd`` (default: the shared checkout()) with
    ``env``; yield its URL once healthy; stop it with SIGTERM (as a terminal's Ctrl+C would) so
    that it shuts down cleanly. The process is appended to ``started`` when one is given; it
    listens on ``port`` when one is given (an address a test must know before it starts).

    Unless ``env`` names a HOME, the app gets an empty one: no ~/.streamlit/secrets.toml can
    point it elsewhere. With a DATABASE_URL, it must use that database (MTM_EXPECT_DATABASE):
    it refuses to start rather than use another one that secrets name."""
    cwd = cwd or checkout()
    env = dict(env)
    if "HOME" not in env:
        env["HOME"] = tempfile.mkdtemp(prefix="mtm-home-")
    if env.get("DATABASE_URL") and "MTM_EXPECT_DATABASE" not in env:
        env["MTM_EXPECT_DATABASE"] = str(
            psycopg.conninfo.conninfo_to_dict(env["DATABASE_URL"]).get("dbname", ""))
    port = port or free_port()
    log = open(ARTIFACTS.parent / ".streamlit-test.log", "ab")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    if started is not None:
        started.append(process)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(url, process), "streamlit did not become healthy", timeout,
                   every_s=0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def healthy(url: str, process: subprocess.Popen) -> bool:
    """Whether the app at ``url`` answers its health check; its process must not have ended."""
    if process.poll() is not None:
        raise RuntimeError(f"streamlit exited with {process.returncode}")
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_until_ready(page, charts: int = 0, timeout_ms: float = 60_000) -> None:
    """The app has finished its run: metrics drawn, Streamlit no longer running the script, and
    at least ``charts`` Plotly charts drawn (their component loads after the script ends)."""
    page.wait_for_selector("[data-testid='stMetric']", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)
    # Plotly draws after the script has finished: wait for every chart's SVG. A chart holds
    # several .main-svg layers, so count the charts that have one, not the layers.
    page.wait_for_function(
        """n => Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
                    .filter(chart => chart.querySelector(".main-svg")).length >= n""",
        arg=charts, timeout=timeout_ms)


_METRICS_JS = """root => Array.from(root.querySelectorAll("[data-testid='stMetric']"), m => [
    m.querySelector("[data-testid='stMetricLabel']")?.innerText.trim() ?? "",
    m.querySelector("[data-testid='stMetricValue']")?.innerText.trim() ?? ""])"""


def metric_values(within, timeout_s: float = 30) -> dict[str, str]:
    """Every metric's label and value (of the page, or of the part a locator names), read in one
    pass over the DOM, once the app is not running and two readings agree. Read one locator at a
    time, a rerun that redrew the metrics between a label and its value paired one metric's label
    with another's value (a CI run saw "Share explicit": "150")."""
    from playwright.sync_api import Locator

    page = within.page if isinstance(within, Locator) else within
    read = (lambda: within.evaluate(_METRICS_JS)) if isinstance(within, Locator) else (
        lambda: page.evaluate(f"() => ({_METRICS_JS})(document)"))
    seen: list[list[tuple]] = []

    def the_same_twice() -> bool:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                               timeout=timeout_s * 1000)
        seen.append([tuple(pair) for pair in read()])
        return len(seen) > 1 and seen[-1] == seen[-2]

    wait_until(the_same_twice,
               lambda: "the metrics kept changing: " + " then ".join(map(str, seen[-2:])),
               timeout_s, every_s=0.2)
    return dict(seen[-1])


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main area, so the window is made as tall as
    that content for the picture, then put back."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(...Array.from(
        document.querySelectorAll("[data-testid='stMain'], [data-testid='stMain'] *"),
        el => el.scrollHeight))""")
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height, 6000)})
        page.wait_for_timeout(300)  # charts re-layout
    page.screenshot(path=str(path), full_page=True)
    if size:
        page.set_viewport_size(size)
    return path


def plotly_charts(page) -> dict[str, dict]:
    """Each drawn Plotly chart's first trace, by title: x/y or labels/values as plain lists."""
    raw = page.evaluate("""() => {
        const charts = {};
        for (const el of document.querySelectorAll('.js-plotly-plot')) {
            const t = el.data[0];
            const plain = v => (v && !v.bdata) ? Array.from(v) : (v || null);
            // Streamlit's theme wraps titles in <b>.
            charts[el.layout.title.text.replace(/<[^>]+>/g, '')] = {
                x: plain(t.x), y: plain(t.y), labels: plain(t.labels), values: plain(t.values)};
        }
        return charts;
    }""")
    return {title: {k: None if v is None else plotly_values(v) for k, v in trace.items()}
            for title, trace in raw.items()}


def plotly_values(values) -> list:
    """Plotly sends numeric arrays base64-encoded ({"dtype", "bdata"})."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def app_env(**settings):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MTM_DATA_DIR")}
    env.update(settings)
    return env


def open_data_page(chrome, url):
    page = chrome.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url + "/data")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.get_by_role("heading", name="Data").wait_for()
    return page


def settled(page, timeout_ms=60_000):
    """The script has run: not running, then, after a pause long enough for a rerun that a click
    or a reload has started to show as running, still not running (the page offers no count of
    runs to wait on instead)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)


def page_text(page) -> str:
    """The page's text with the cells of its tables: they are drawn on a canvas, only once on
    screen, and their cells are also in the grid's accessible markup (filled in as they draw)."""
    cells = []
    for grid in page.locator("[data-testid='stDataFrame']").all():
        if grid.is_visible():  # not in a tab that is not shown
            grid.scroll_into_view_if_needed()
            cells += grid.locator("[role='gridcell']").all_text_contents()
    return page.inner_text("[data-testid='stMain']").replace("\u2060", "") + "\n" + \
        "\n".join(cells)


def shown(page, charts, expected, timeout_s=30.0):
    """The page's text once the script has run, its charts are drawn and every expected piece of
    text is there (tables fill their cells after the script has finished, so they are asked
    again until they hold what is expected, or the time is up and the test says what is
    missing)."""
    settled(page)
    page.wait_for_function(
        """n => document.querySelectorAll("[data-testid='stPlotlyChart'] .main-svg").length >= n""",
        arg=charts, timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    seen: list[str] = []

    def all_there() -> bool:
        seen[:] = [page_text(page)]
        return all(words in seen[-1] for words in expected)

    wait_until(all_there, lambda: f"{page.url} lacks {[w for w in expected if w not in seen[-1]]}:"
                                  f"\n{seen[-1]}", timeout_s, every_s=0.2)
    return seen[-1]
