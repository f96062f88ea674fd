"""Twenty viewers keep refreshing the dashboard while an import and the stress test run: no
errors, nothing lost, and the page latency they saw is reported (test-artifacts/load.txt).

The viewers are real Streamlit sessions of a real `streamlit run` (tests/support/sessions.py drives the
app's websocket); the stress test is clicked in the app, so its writers share the app's pool
with the viewers. Timing goals are not asserted here: scripts/bench_sessions.py prints them.
"""

import asyncio
import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor

from db.ingest import demo
from db.stress import workload

from support import writes_seen
from support.browser import ARTIFACTS, running_app
from support.rollups import assert_exact
from support.sessions import refresh_during_writes, view_page

END = dt.date(2026, 6, 30)
DAYS = 60
BENCH_WRITES = 1500


FINGERPRINT = """
SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY track_id)) FROM tracks t
        WHERE track_id = ANY(%(ids)s)),
       (SELECT md5(string_agg(s::text, ',' ORDER BY track_id, snapshot_date, time_range))
        FROM snapshots s WHERE snapshot_date <= %(end)s)
"""


def elsewhere(work, *args, **kwargs):
    """Call ``work`` in a thread of its own, which asyncio.run() needs: in this one, the session's
    Chromium (Playwright's sync API, once a browser test has run) leaves its loop marked running."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(work, *args, **kwargs).result()


def open_view(url: str, query_string: str):
    return elsewhere(asyncio.run, view_page(url, query_string))


def test_twenty_sessions_refresh_during_an_import_and_a_stress_test(database_url, conn):
    demo.seed_demo(tracks=1500, days=DAYS, seed=5, end=END, conn=conn)
    seeded_ids = [r[0] for r in conn.execute("SELECT track_id FROM tracks")]
    snapshots_before = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    before = conn.execute(FINGERPRINT, {"ids": seeded_ids, "end": END}).fetchone()
    writes_seen.install(conn, "mtm_bench.snapshots")

    env = {**os.environ, "DATABASE_URL": database_url}
    new_days = f"start={END}&end={END + dt.timedelta(days=20)}"
    with running_app(env) as url:
        # Cached before the import: these answers must not outlive it.
        assert open_view(url, "").metrics["Tracks"] == "1,500"
        assert open_view(url, new_days).metrics["Snapshot days"] == "1"
        busy = elsewhere(refresh_during_writes, url, database_url,
                         END - dt.timedelta(days=DAYS - 1), END, sessions=20, import_tracks=1000,
                         import_days=20, stress_writes=BENCH_WRITES)
        # Views after the import, through the cache the viewers filled: the imported data shows.
        after_import = open_view(url, new_days)
        unfiltered = open_view(url, "")
    load, importing, view = busy.load, busy.importing, busy.stress

    report = (f"20 sessions refreshing during an import ({importing.written['tracks']:,} tracks, "
              f"{importing.written['snapshots']:,} snapshot rows in {importing.seconds:.1f} s) and "
              f"a {BENCH_WRITES:,}-write stress test ({view.metrics.get('Writes/s')} writes/s): "
              f"{load.summary()}")
    print(report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.txt").write_text(report + "\n")

    # No errors: every view finished its page without an error box or exception.
    assert load.views and not load.failed, [(v.query_string, v.status, v.errors) for v in load.failed][:5]
    # And every one of them drew the dashboard's numbers (not a page cut short without an error).
    blank = [v.query_string for v in load.views if not {"Tracks", "Snapshot days"} <= v.metrics.keys()]
    assert not blank, blank[:5]
    # The stress test ran in the app, to its end, with every write landing.
    assert view.ok, view.errors
    assert ("SUCCESS", f"{BENCH_WRITES} writes completed in") == (
        view.alerts[0][0], view.alerts[0][1].rsplit(" ", 1)[0]), view.alerts
    assert view.metrics["Failures"] == "0"
    # Every write reached the table once, and its row holds the one that committed last.
    seen = writes_seen.ranks(conn)
    assert sorted(seen) == list(range(1, BENCH_WRITES + 1))
    assert conn.execute("SELECT track_id, time_range, rank FROM mtm_bench.snapshots").fetchall() \
        == [(workload.TRACK_ID, workload.TIME_RANGE, seen[-1])]

    # Nothing lost: every imported row is stored as written, the earlier rows are unchanged,
    # and the rollups equal a recomputation.
    assert importing.written == {"tracks": 1000, "snapshots": len(importing.rows)}
    assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 2500
    stored = set(conn.execute("SELECT track_id, snapshot_date, time_range, rank FROM snapshots "
                              "WHERE snapshot_date > %s", (END,)).fetchall())
    assert stored == set(importing.rows)
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == \
        snapshots_before + len(importing.rows)
    assert conn.execute(FINGERPRINT, {"ids": seeded_ids, "end": END}).fetchone() == before
    assert_exact(conn)
    # And a viewer sees the imported tracks and days at once.
    assert after_import.ok and after_import.metrics["Snapshot days"] == "21", after_import.metrics
    assert unfiltered.ok and unfiltered.metrics["Tracks"] == "2,500", unfiltered.metrics
