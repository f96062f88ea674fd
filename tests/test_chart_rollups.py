"""The rollups (chart_months, chart_totals, snapshot_dates) stay exactly what a recomputation
from snapshots gives, whatever writes."""

import datetime as dt
import threading

import psycopg
import pytest

from db.demo import generate_snapshots, generate_tracks
from db.errors import InvalidData
from db.snapshots import save_snapshots
from db.tracks import save_tracks

RECOMPUTED = """
SELECT coalesce(time_range, 'any'), date_trunc('month', snapshot_date)::date, track_id,
       min(rank), count(DISTINCT snapshot_date)::int
FROM snapshots
GROUP BY GROUPING SETS ((date_trunc('month', snapshot_date)::date, track_id, time_range),
                        (date_trunc('month', snapshot_date)::date, track_id))
ORDER BY 1, 2, 3
"""
STORED = "SELECT time_range, month, track_id, best_rank, days FROM chart_months ORDER BY 1, 2, 3"
TOTALS = """
SELECT coalesce(time_range, 'any'), track_id, min(rank), count(DISTINCT snapshot_date)::int
FROM snapshots GROUP BY GROUPING SETS ((track_id, time_range), (track_id)) ORDER BY 1, 2
"""
STORED_TOTALS = "SELECT time_range, track_id, best_rank, days FROM chart_totals ORDER BY 1, 2"
DATES = "SELECT DISTINCT time_range, snapshot_date FROM snapshots ORDER BY 1, 2"
STORED_DATES = "SELECT time_range, snapshot_date FROM snapshot_dates ORDER BY 1, 2"
END = dt.date(2026, 3, 10)


def assert_exact(conn):
    for stored, recomputed in ((STORED, RECOMPUTED), (STORED_TOTALS, TOTALS), (STORED_DATES, DATES)):
        assert conn.execute(stored).fetchall() == conn.execute(recomputed).fetchall()


@pytest.fixture
def loaded(conn):
    tracks = generate_tracks(120, seed=3)
    save_tracks(tracks, conn)
    rows = list(generate_snapshots([t["id"] for t in tracks], 75, END, seed=3))
    save_snapshots(rows[:500], conn)   # pipelined single-row statements
    save_snapshots(rows[500:], conn)   # COPY + one INSERT ... SELECT
    return tracks, rows


def test_bulk_and_row_by_row_inserts(conn, loaded):
    assert_exact(conn)
    assert conn.execute("SELECT count(*) FROM chart_months").fetchone()[0] > 0


def test_rank_updates_and_the_seeds_upsert(conn, loaded):
    _, rows = loaded
    track_id, day, time_range, _ = rows[10]
    save_snapshots([(track_id, day, time_range, 99)], conn)
    conn.execute("INSERT INTO snapshots (track_id, snapshot_date, time_range, rank) "
                 "VALUES (%s, %s, %s, %s) ON CONFLICT (track_id, snapshot_date, time_range) "
                 "DO UPDATE SET rank = EXCLUDED.rank", (rows[20][0], rows[20][1], rows[20][2], 1))
    conn.execute("UPDATE snapshots SET rank = rank + 100 WHERE rank = 7")
    moved = rows[30]
    conn.execute("UPDATE snapshots SET snapshot_date = '2025-01-15' WHERE track_id = %s AND "
                 "snapshot_date = %s AND time_range = %s", moved[:3])  # to another month
    assert_exact(conn)


def test_deletes_track_deletes_and_truncate(conn, loaded):
    tracks, _ = loaded
    conn.execute("DELETE FROM snapshots WHERE snapshot_date < %s", (dt.date(2026, 1, 20),))
    assert_exact(conn)
    conn.execute("DELETE FROM tracks WHERE track_id = ANY(%s)", ([t["id"] for t in tracks[:30]],))
    assert_exact(conn)
    conn.execute("TRUNCATE snapshots")
    assert conn.execute("SELECT (SELECT count(*) FROM chart_months) + (SELECT count(*) FROM "
                        "chart_totals) + (SELECT count(*) FROM snapshot_dates)").fetchone()[0] == 0


def test_a_failed_write_leaves_the_rollup_as_it_was(conn, loaded):
    before = conn.execute(STORED).fetchall()
    with pytest.raises(InvalidData):
        save_snapshots([(loaded[1][0][0], END, "short_term", 3), ("ghost", END, "short_term", 1)],
                       conn)
    assert conn.execute(STORED).fetchall() == before


def test_concurrent_writers_to_the_same_month_stay_exact(database_url, conn):
    tracks = generate_tracks(40, seed=9)
    save_tracks(tracks, conn)
    rows = list(generate_snapshots([t["id"] for t in tracks], 28, END, seed=9))
    chunks = [rows[i::4] for i in range(4)]
    errors = []

    def write(chunk):
        try:
            with psycopg.connect(database_url) as own:
                for start in range(0, len(chunk), 50):
                    save_snapshots(chunk[start:start + 50], own)
                    own.commit()
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_exact(conn)


def test_migration_backfills_existing_history(empty_database_url):
    from db import migrations

    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        only_first = [m for m in migrations.available() if m.version == 1]
        conn.execute(only_first[0].sql)
        tracks = generate_tracks(30, seed=4)
        save_tracks(tracks, conn)
        save_snapshots(generate_snapshots([t["id"] for t in tracks], 40, END, seed=4), conn)
        conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text "
                     "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'x')")
        assert [m.version for m in migrations.migrate(conn)][0] == 2
        assert_exact(conn)
        assert conn.execute("SELECT count(*) FROM chart_months").fetchone()[0] > 0
