"""Many viewers at once: Streamlit sessions driven over the app's own websocket, no browser.

A browser that opens (or refreshes) the app connects a websocket to /_stcore/stream, which makes
a new session, and asks the server to run the page with the URL's query string; the server
streams the page's elements and ends with `script_finished`. `view_page` does exactly that with
the protobuf messages Streamlit itself defines, so that twenty viewers cost twenty sessions on
the server, not twenty Chromiums on the test machine. A view's `seconds` is what its viewer
waits for on the server: the page's queries and turning their answers into elements (the
browser's drawing comes after and is not included).

`refresh_during` runs N viewers that keep refreshing with random filters (random filters miss
Streamlit's cache, so that every view asks PostgreSQL) while other work runs; `import_history`
is that other work's import: new tracks, then new days of snapshots, one transaction per batch,
through the same save_tracks/save_snapshots an importer uses. Used by tests/test_load.py and
scripts/bench_sessions.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import psycopg

from db.ingest.demo import generate_snapshots, generate_tracks
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks
from db.stress.workload import percentile

VIEW_TIMEOUT_S = 120


@dataclass
class PageView:
    query_string: str
    seconds: float = 0.0
    status: str = ""
    errors: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)
    widgets: dict[str, str] = field(default_factory=dict)  # button/number input label -> id
    expanders: dict[str, str] = field(default_factory=dict)  # label -> id (state-tracking ones)
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (format, body)

    @property
    def ok(self) -> bool:
        return self.status == "FINISHED_SUCCESSFULLY" and not self.errors


async def view_page(base_url: str, query_string: str = "", click: str | None = None,
                    numbers: dict[str, int] | None = None, opening: str | None = None,
                    timeout: float = VIEW_TIMEOUT_S,
                    until: Callable[[PageView], bool] | None = None,
                    page: str = "") -> PageView:
    """Open the app as a browser would (one new session) and wait for its page to finish;
    ``page``: the page's URL path ("time_machine"; "" the default page).

    With ``opening``, the view then opens the expander of that label, as a click on it would
    (an expander that draws its content only while open reruns the page), and keeps it open.
    With ``click``, the view then presses the button of that label, with the number inputs
    named in ``numbers`` set, and waits for that run too (the returned view describes it).
    With ``until``, it then reruns the page every half second, as a fragment that polls
    would, until ``until(view)`` holds (work the click started in the background)."""
    import websockets
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    opened: list[str] = []  # the ids of the expanders kept open, sent with every rerun

    async def run(ws, widgets: dict[str, str] | None = None) -> PageView:
        view = PageView(query_string)
        back = BackMsg()
        back.rerun_script.query_string = query_string
        back.rerun_script.page_name = page
        for expander in opened:
            back.rerun_script.widget_states.widgets.add(id=expander, bool_value=True)
        if widgets:
            for label, value in (numbers or {}).items():
                state = back.rerun_script.widget_states.widgets.add(id=widgets[label])
                state.int_value = value
            back.rerun_script.widget_states.widgets.add(id=widgets[click], trigger_value=True)
        started = time.perf_counter()
        await ws.send(back.SerializeToString())
        async for raw in ws:
            msg = ForwardMsg.FromString(raw)
            kind = msg.WhichOneof("type")
            delta = msg.delta.WhichOneof("type") if kind == "delta" else None
            if kind == "script_finished":
                view.seconds = time.perf_counter() - started
                view.status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if view.status != "FINISHED_EARLY_FOR_RERUN":
                    return view
            elif delta == "add_block" and msg.delta.add_block.WhichOneof("type") == "expandable":
                expandable = msg.delta.add_block.expandable
                view.expanders[expandable.label] = expandable.id
            elif delta == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                if what == "exception":
                    view.errors.append(f"{element.exception.type}: {element.exception.message}")
                elif what == "alert":
                    level = Alert.Format.Name(element.alert.format)
                    view.alerts.append((level, element.alert.body))
                    if level == "ERROR":
                        view.errors.append(element.alert.body)
                elif what == "metric":
                    view.metrics[element.metric.label] = element.metric.body
                elif what in ("button", "number_input"):
                    widget = getattr(element, what)
                    view.widgets[widget.label] = widget.id
        raise ConnectionError(f"the server closed the session before the page finished ({query_string!r})")

    ws_url = "ws" + base_url.removeprefix("http") + "/_stcore/stream"
    async with asyncio.timeout(timeout):
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=base_url,
                                      max_size=None) as ws:
            view = await run(ws)
            if opening is not None and view.ok:
                if opening not in view.expanders:
                    raise LookupError(f"no expander {opening!r} on the page ({sorted(view.expanders)})")
                opened.append(view.expanders[opening])
                view = await run(ws)
            if click is None or not view.ok:
                return view
            missing = {click, *(numbers or {})} - view.widgets.keys()
            if missing:
                raise LookupError(f"no widget {sorted(missing)} on the page ({sorted(view.widgets)})")
            view = await run(ws, view.widgets)
            while until is not None and view.ok and not until(view):
                await asyncio.sleep(0.5)
                view = await run(ws)
            return view


def random_query(rng: random.Random, first: dt.date, last: dt.date) -> str:
    """A dashboard link with a random date window and time range (now and then: no filter)."""
    if rng.random() < 0.1:
        return ""
    params = {}
    if rng.random() < 0.85:
        span = (last - first).days
        start = first + dt.timedelta(days=rng.randint(0, span))
        end = start + dt.timedelta(days=rng.randint(0, (last - start).days))
        params = {"start": start.isoformat(), "end": end.isoformat()}
    time_range = rng.choice([None, "short_term", "medium_term", "long_term"])
    if time_range:
        params["time_range"] = time_range
    return urlencode(params)


@dataclass
class LoadResult:
    views: list[PageView]
    seconds: float

    @property
    def failed(self) -> list[PageView]:
        return [v for v in self.views if not v.ok]

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful views' seconds (as the stress test's)."""
        times = sorted(v.seconds for v in self.views if v.ok)
        return percentile(times, p) if times else float("nan")

    def summary(self) -> str:
        ok = [v for v in self.views if v.ok]
        return (f"{len(self.views):,} page views in {self.seconds:.1f} s, {len(self.failed)} failed; "
                f"page latency p50 {self.percentile(50) * 1000:,.0f} ms, "
                f"p95 {self.percentile(95) * 1000:,.0f} ms, "
                f"max {max((v.seconds for v in ok), default=float('nan')) * 1000:,.0f} ms")


def refresh_during(base_url: str, busy: Callable[[], bool], first: dt.date, last: dt.date,
                   sessions: int = 20, min_views: int = 2, seed: int = 0) -> LoadResult:
    """``sessions`` viewers refresh the dashboard with random filters, each at least
    ``min_views`` times and for as long as ``busy()`` says the other work is running."""

    async def viewer(number: int) -> list[PageView]:
        rng = random.Random(seed * 1000 + number)
        views: list[PageView] = []
        while len(views) < min_views or busy():
            query = random_query(rng, first, last)
            try:
                views.append(await view_page(base_url, query))
            except Exception as exc:  # noqa: BLE001 (a failed view is a result, not a crash)
                views.append(PageView(query, status="no answer",
                                      errors=[f"{type(exc).__name__}: {exc}"]))
        return views

    async def everyone() -> list[PageView]:
        done = await asyncio.gather(*(viewer(n) for n in range(sessions)))
        return [view for views in done for view in views]

    started = time.perf_counter()
    views = asyncio.run(everyone())
    return LoadResult(views, time.perf_counter() - started)


@dataclass
class Import:
    """An import running in a thread: ``tracks`` new tracks in batches, then ``days`` new days of
    snapshots after ``after``, one transaction per batch."""

    url: str
    tracks: int
    days: int
    after: dt.date
    seed: int = 7
    batch: int = 500
    written: dict[str, int] = field(default_factory=lambda: {"tracks": 0, "snapshots": 0})
    rows: list[tuple] = field(default_factory=list)
    error: BaseException | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="import", daemon=True)

    def start(self) -> Import:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            objects = generate_tracks(self.tracks, self.seed)
            self.rows = list(generate_snapshots([t["id"] for t in objects], self.days,
                                                self.after + dt.timedelta(days=self.days),
                                                self.seed))
            with psycopg.connect(self.url, autocommit=True) as conn:
                for start in range(0, len(objects), self.batch):
                    with conn.transaction():
                        self.written["tracks"] += save_tracks(objects[start:start + self.batch], conn)
                for _, day in itertools.groupby(self.rows, key=lambda row: row[1]):
                    with conn.transaction():
                        self.written["snapshots"] += save_snapshots(list(day), conn)
        except BaseException as exc:  # noqa: BLE001 (reported by join)
            self.error = exc
        finally:
            self.seconds = time.perf_counter() - started


@dataclass
class Busy:
    """What the viewers refreshed during: the import, and the stress test's page view (None
    when there was none)."""

    load: LoadResult
    importing: Import | None
    stress: PageView | None


def refresh_during_writes(base_url: str, database_url: str, first: dt.date, last: dt.date,
                          sessions: int = 20, import_tracks: int = 1000, import_days: int = 20,
                          stress_writes: int = 1500, seed: int = 0) -> Busy:
    """``sessions`` viewers refresh while an import (new tracks, then ``import_days`` days after
    ``last``) runs and another viewer clicks the sidebar's "Run stress test" with
    ``stress_writes`` writes; either is skipped when its size is 0."""
    importing = None
    if import_tracks:
        importing = Import(database_url, import_tracks, import_days, after=last, seed=seed + 9)
        importing.start()
    stress: dict[str, PageView] = {}

    def click() -> None:
        stress["view"] = asyncio.run(view_page(
            base_url, "", opening="Stress test", click="Run stress test",
            numbers={"Writes": stress_writes},
            until=lambda view: any("writes completed" in body for _, body in view.alerts)))

    clicking = threading.Thread(target=click, name="stress-test")
    if stress_writes:
        clicking.start()
    try:
        load = refresh_during(
            base_url, lambda: bool(importing and importing.running) or clicking.is_alive(),
            first, last, sessions=sessions, seed=seed)
    finally:
        if stress_writes:
            clicking.join()
        if importing:
            importing.join()
    return Busy(load, importing, stress.get("view"))
