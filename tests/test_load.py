"""Twenty viewers keep refreshing the dashboard while an import and the stress test run: no
errors, nothing lost, and the page latency they saw is reported (test-artifacts/load.txt).

The viewers are real Streamlit sessions of a real `streamlit run` (tests/sessions.py drives the
app's websocket); the stress test is clicked in the app, so its writers share the app's pool
with the viewers. Timing goals are not asserted here: scripts/bench_sessions.py prints them.
"""

import asyncio
import datetime as dt
import os

from db.ingest import demo

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


def test_twenty_sessions_refresh_during_an_import_and_a_stress_test(database_url, conn):
    demo.seed_demo(tracks=1500, days=DAYS, seed=5, end=END, conn=conn)
    seeded_ids = [r[0] for r in conn.execute("SELECT track_id FROM tracks")]
    snapshots_before = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    before = conn.execute(FINGERPRINT, {"ids": seeded_ids, "end": END}).fetchone()

    env = {**os.environ, "DATABASE_URL": database_url}
    new_days = f"start={END}&end={END + dt.timedelta(days=20)}"
    with running_app(env) as url:
        # Cached before the import: these answers must not outlive it.
        assert asyncio.run(view_page(url, "")).metrics["Tracks"] == "1,500"
        assert asyncio.run(view_page(url, new_days)).metrics["Snapshot days"] == "1"
        busy = refresh_during_writes(url, database_url, END - dt.timedelta(days=DAYS - 1), END,
                                     sessions=20, import_tracks=1000, import_days=20,
                                     stress_writes=BENCH_WRITES)
        # Views after the import, through the cache the viewers filled: the imported data shows.
        after_import = asyncio.run(view_page(url, new_days))
        unfiltered = asyncio.run(view_page(url, ""))
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
    assert len(load.views) >= 40
    # The stress test ran in the app, to its end, with every write landing.
    assert view.ok, view.errors
    assert ("SUCCESS", f"{BENCH_WRITES} writes completed in") == (
        view.alerts[0][0], view.alerts[0][1].rsplit(" ", 1)[0]), view.alerts
    assert view.metrics["Failures"] == "0"
    assert conn.execute("SELECT count(*) FROM mtm_bench.snapshots").fetchone()[0] == 1

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
