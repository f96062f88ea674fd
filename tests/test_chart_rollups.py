"""The rollups (chart_months, chart_totals, snapshot_dates from snapshots; track_facets,
track_artists from tracks) stay exactly what a recomputation gives, whatever writes; and
data_version moves on with every write that changes rows, and only then."""

import datetime as dt
import threading

import psycopg
import pytest

from db.errors import InvalidData
from db.ingest.demo import generate_snapshots, generate_tracks
from db.model.snapshots import save_snapshots
from db.model.tracks import save_tracks

from support.rollups import STORED, assert_exact
from support.waits import wait_until

END = dt.date(2026, 3, 10)


def version(conn) -> int:
    return conn.execute("SELECT version FROM data_version").fetchone()[0]


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


def write_concurrently(database_url, batches_per_writer, save):
    """One thread and connection per writer; each batch ``save(batch, conn)`` is committed on
    its own. Returns the exceptions the writers raised."""
    errors = []

    def write(batches):
        try:
            with psycopg.connect(database_url) as own:
                for batch in batches:
                    save(batch, own)
                    own.commit()
        except Exception as exc:  # collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(batches,)) for batches in batches_per_writer]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def batches(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def test_concurrent_writers_to_the_same_month_stay_exact(database_url, conn):
    tracks = generate_tracks(40, seed=9)
    save_tracks(tracks, conn)
    rows = list(generate_snapshots([t["id"] for t in tracks], 28, END, seed=9))
    writers = [batches(rows[i::4], 50) for i in range(4)]
    assert write_concurrently(database_url, writers, save_snapshots) == []
    assert_exact(conn)


def test_track_upserts_updates_and_deletes_keep_facets_and_artists_exact(conn, loaded):
    tracks, _ = loaded
    assert conn.execute("SELECT count(*) FROM track_facets").fetchone()[0] > 3
    changed = [dict(t, artists=[{"id": "x", "name": "Someone New"}], explicit=not t.get("explicit"))
               for t in tracks[:10]]
    save_tracks(changed + [{"id": "fresh", "name": "Fresh"}], conn)  # upsert: updates + insert
    assert_exact(conn)
    conn.execute("UPDATE tracks SET raw_json = jsonb_set(raw_json, '{album,release_date}', "
                 "'\"1969-01-01\"') WHERE track_id = ANY(%s)", ([t["id"] for t in tracks[10:20]],))
    conn.execute("UPDATE tracks SET artist_name = NULL WHERE track_id = %s", (tracks[20]["id"],))
    assert_exact(conn)
    conn.execute("DELETE FROM tracks WHERE track_id = ANY(%s)", ([t["id"] for t in tracks[:40]],))
    assert_exact(conn)
    conn.execute("TRUNCATE tracks CASCADE")
    assert conn.execute("SELECT (SELECT count(*) FROM track_facets) + "
                        "(SELECT count(*) FROM track_artists)").fetchone()[0] == 0


def test_data_version_moves_with_every_change_and_only_then(conn, loaded):
    tracks, rows = loaded
    start = version(conn)
    save_tracks(tracks[:5], conn)  # the same objects again: no row changes
    save_snapshots(rows[:5], conn)
    conn.execute("DELETE FROM snapshots WHERE snapshot_date < '1900-01-01'")
    assert version(conn) == start
    save_tracks([{"id": "new", "name": "New"}], conn)
    assert version(conn) == start + 1
    save_snapshots([("new", END, "short_term", 51)], conn)
    assert version(conn) == start + 2
    with conn.transaction():  # a version moves with its transaction, not before
        save_tracks([{"id": "newer", "name": "Newer"}], conn)
        with psycopg.connect(conn.info.dsn, autocommit=True) as other:
            assert version(other) == start + 2
    assert version(conn) == start + 3
    conn.execute("TRUNCATE snapshots")
    assert version(conn) == start + 4


def test_concurrent_track_and_snapshot_writers_stay_exact(database_url, conn):
    tracks = generate_tracks(400, seed=11)
    save_tracks(tracks[:100], conn)
    rows = list(generate_snapshots([t["id"] for t in tracks[:100]], 20, END, seed=11))

    def save(batch, own):  # a writer's batch: tracks, or snapshot rows (tuples)
        (save_snapshots if isinstance(batch[0], tuple) else save_tracks)(batch, own)

    writers = [batches(tracks[100:250], 25), batches(tracks[250:], 25),
               batches([dict(t, explicit=True) for t in tracks[:100]], 25),  # updates
               batches(rows, 100)]
    assert write_concurrently(database_url, writers, save) == []
    assert_exact(conn)


def test_a_writer_holding_the_lock_meets_a_track_another_is_writing_without_deadlock(
        database_url, conn, loaded):
    """A transaction that already wrote (and so holds the rollups' lock) upserts a track that a
    second writer is upserting at the same moment: both land, one after the other."""
    tracks, _ = loaded
    first = psycopg.connect(database_url)  # not autocommit: its transaction stays open
    second_pid: list[int] = []
    connected = threading.Event()
    second_errors = []
    try:
        first.execute("SELECT 1")  # begin, so that save_snapshots' block is a savepoint
        save_snapshots([(tracks[0]["id"], END + dt.timedelta(days=1), "short_term", 1)], first)

        def second_writer():
            try:
                with psycopg.connect(database_url) as own:
                    second_pid.append(own.info.backend_pid)
                    connected.set()
                    save_tracks([dict(tracks[1], name="From the second writer")], own)
            except Exception as exc:  # collected for the assertion below
                second_errors.append(exc)
            finally:
                connected.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        assert connected.wait(60) and second_pid, second_errors
        # The moment under test: the second writer waits for a lock the first one holds.
        blocked = "SELECT %s = ANY(pg_blocking_pids(%s))"

        def second_blocked() -> bool:
            if conn.execute(blocked, (first.info.backend_pid, second_pid[0])).fetchone()[0]:
                return True
            assert thread.is_alive(), ("the second writer was never blocked by the first",
                                       second_errors)
            return False

        wait_until(second_blocked, lambda: str(("the second writer was never blocked by the first",
                                               second_errors)), every_s=0.01)
        save_tracks([dict(tracks[1], name="From the first writer")], first)
        first.commit()
    finally:
        first.close()
    thread.join()
    assert second_errors == []
    assert conn.execute("SELECT name FROM tracks WHERE track_id = %s",
                        (tracks[1]["id"],)).fetchone()[0] == "From the second writer"
    assert_exact(conn)


def test_migration_backfills_existing_history(empty_database_url):
    from db import migrations

    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        only_first = [m for m in migrations.available() if m.version == 1]
        conn.execute(only_first[0].sql)
        tracks = generate_tracks(30, seed=4)
        save_tracks(tracks, conn)
        # the rows as that schema took them: today's writer names columns it did not have yet
        conn.cursor().executemany(
            "INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)"
            " VALUES (%s, %s, %s, %s)",
            generate_snapshots([t["id"] for t in tracks], 40, END, seed=4))
        conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text "
                     "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'x')")
        assert [m.version for m in migrations.migrate(conn)][0] == 2
        assert_exact(conn)
        assert conn.execute("SELECT count(*) FROM chart_months").fetchone()[0] > 0
