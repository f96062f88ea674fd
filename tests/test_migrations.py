import threading

import psycopg
import pytest

from db import migrations
from db.errors import DatabaseError

from support.rollups import assert_exact

SCHEMA_SHAPE = """
SELECT table_name, column_name, data_type, is_nullable, coalesce(generation_expression, '')
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', ''
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2, 3
"""


def test_migrate_creates_schema_on_an_empty_database(empty_database_url):
    with psycopg.connect(empty_database_url) as conn:
        assert migrations.current_version(conn) == 0
        applied = migrations.migrate(conn)
        assert [m.version for m in applied] == [m.version for m in migrations.available()]
        assert migrations.current_version(conn) == migrations.latest_version()
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"tracks", "snapshots", "app_meta", "schema_migrations"} <= tables


def test_migrating_twice_changes_nothing(empty_database_url):
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        migrations.migrate(conn)
        before = conn.execute(SCHEMA_SHAPE).fetchall()
        recorded = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
        assert migrations.migrate(conn) == []
        assert conn.execute(SCHEMA_SHAPE).fetchall() == before
        assert conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall() == recorded


def test_concurrent_migrators_apply_each_migration_once(empty_database_url):
    results, errors = [], []

    def run():
        try:
            with psycopg.connect(empty_database_url, autocommit=True) as conn:
                results.append(len(migrations.migrate(conn)))
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [0, 0, 0, len(migrations.available())]


def test_the_migration_lock_wait_is_bounded_and_names_the_holder(use_database, monkeypatch):
    monkeypatch.setenv("MTM_MIGRATION_LOCK_WAIT_S", "1")
    with psycopg.connect(use_database, application_name="stuck-migrator") as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (migrations._LOCK_KEY,))
        pid = holder.info.backend_pid
        with pytest.raises(DatabaseError) as caught:
            migrations.migrate()
    message = str(caught.value)
    assert "waiting 1 s for the schema-migration lock" in message
    assert f"process {pid} (stuck-migrator" in message and "\n" not in message
    assert migrations.migrate() == []  # released with the holder's transaction


def test_a_failing_migration_leaves_no_trace(empty_database_url, tmp_path, monkeypatch):
    real_latest = migrations.latest_version()
    bad = tmp_path / "migrations"
    bad.mkdir()
    for m in migrations.available():
        (bad / m.path.name).write_text(m.sql)
    (bad / "9999_broken.sql").write_text("CREATE TABLE half_done (id int); SELECT 1/0;")
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", bad)
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrations.migrate(conn)
        assert migrations.current_version(conn) == real_latest
        assert conn.execute("SELECT to_regclass('half_done')").fetchone()[0] is None


def test_migration_files_are_numbered_in_order():
    versions = [m.version for m in migrations.available()]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


def test_details_of_an_existing_database_migrate_in_place(empty_database_url, tmp_path,
                                                          monkeypatch):
    """0012 on a database with tracks: those Spotify no longer has (tracks_unavailable) become
    not_on_spotify, the others without an object await their details, and the rollups count
    them so."""
    before = tmp_path / "migrations"
    before.mkdir()
    for m in migrations.available():
        if m.version < 12:
            (before / m.path.name).write_text(m.sql)
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        monkeypatch.setattr(migrations, "MIGRATIONS_DIR", before)
        migrations.migrate(conn)
        conn.execute("""INSERT INTO tracks (track_id, name, raw_json) VALUES
            ('a', 'with details', '{"explicit": true, "album": {"release_date": "1999"}}'),
            ('b', 'without', NULL), ('c', 'gone', NULL), ('d', 'no fields', '{}')""")
        conn.execute("INSERT INTO tracks_unavailable (track_id) VALUES ('c')")
        rows = conn.execute("SELECT track_id, name, raw_json FROM tracks ORDER BY 1").fetchall()
        monkeypatch.undo()
        assert [m.version for m in migrations.migrate(conn)][0] == 12
        assert conn.execute("SELECT track_id, name, raw_json FROM tracks ORDER BY 1"
                            ).fetchall() == rows
        assert conn.execute("SELECT track_id FROM tracks WHERE not_on_spotify").fetchall() == \
            [("c",)]
        assert conn.execute("SELECT to_regclass('tracks_unavailable')").fetchone() == (None,)
        assert_exact(conn)
        assert conn.execute("SELECT album_release_year, is_explicit, awaiting_details, tracks"
                            " FROM track_facets ORDER BY 1, 2, 3").fetchall() == [
            (1999, True, False, 1), (None, None, False, 2), (None, None, True, 1)]


RANKS_0012 = "SELECT track_id, snapshot_date, time_range, rank, derived FROM snapshots ORDER BY 1, 2, 3"
RANKS_0013 = "SELECT track_id, snapshot_date, time_range, rank, derived FROM list_ranks ORDER BY 1, 2, 3"
ROLLUPS = ("SELECT * FROM chart_months ORDER BY 1, 2, 3", "SELECT * FROM chart_totals ORDER BY 1, 2",
           "SELECT * FROM snapshot_dates ORDER BY 1, 2")


def test_derived_lists_of_an_existing_database_move_in_place(empty_database_url, tmp_path,
                                                             monkeypatch):
    """0013 on a database at 0012 with Spotify's lists and derived ones (one with a gap where a
    track was deleted): every rank keeps its track, day, range and source, snapshots keeps only
    Spotify's, the rollups are exact and unchanged; the file run again changes nothing."""
    before = tmp_path / "migrations"
    before.mkdir()
    for m in migrations.available():
        if m.version < 13:
            (before / m.path.name).write_text(m.sql)
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        monkeypatch.setattr(migrations, "MIGRATIONS_DIR", before)
        migrations.migrate(conn)
        conn.execute("INSERT INTO tracks (track_id, name) SELECT 't' || n, 'track ' || n"
                     " FROM generate_series(1, 40) AS n")
        # Spotify's lists: three days of short term, one of long term.
        conn.execute("""INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)
            SELECT 't' || (n + d), DATE '2026-01-30' + d, 'short_term', n
            FROM generate_series(1, 10) AS n, generate_series(0, 2) AS d
            UNION ALL
            SELECT 't' || n, DATE '2026-02-01', 'long_term', n FROM generate_series(1, 5) AS n""")
        # Derived lists on other days and ranges, across a month's end; ranks 1..n.
        conn.execute("""INSERT INTO snapshots (track_id, snapshot_date, time_range, rank, derived)
            SELECT 't' || ((n * 7 + d) % 40 + 1), DATE '2026-01-25' + d, r, n, true
            FROM generate_series(1, 12) AS n, generate_series(0, 9) AS d,
                 unnest(ARRAY['short_term', 'medium_term', 'long_term']) AS r
            WHERE NOT (r = 'short_term' AND d BETWEEN 5 AND 7)
              AND NOT (r = 'long_term' AND d = 7)""")
        conn.execute("DELETE FROM tracks WHERE track_id = 't15'")  # gaps in some derived lists
        ranks = conn.execute(RANKS_0012).fetchall()
        assert {r[4] for r in ranks} == {True, False}
        assert any(r[0] == "t14" and r[4] for r in ranks)
        rollups = [conn.execute(q).fetchall() for q in ROLLUPS]
        monkeypatch.undo()

        assert [m.version for m in migrations.migrate(conn)] == [13]
        assert conn.execute(RANKS_0013).fetchall() == ranks
        assert conn.execute("SELECT count(*) FROM snapshots WHERE derived").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM snapshots").fetchone() == (35,)
        assert conn.execute("SELECT count(*) FROM derived_lists").fetchone() == (26,)
        assert [conn.execute(q).fetchall() for q in ROLLUPS] == rollups
        assert_exact(conn)

        shape = conn.execute(SCHEMA_SHAPE).fetchall()
        stored = conn.execute("SELECT * FROM derived_lists ORDER BY 1, 2").fetchall()
        keys = conn.execute("SELECT track_id, track_key FROM tracks ORDER BY 1").fetchall()
        version = conn.execute("SELECT version FROM data_version").fetchone()
        conn.execute(migrations.available()[12].sql)  # 0013 again
        assert conn.execute(SCHEMA_SHAPE).fetchall() == shape
        assert conn.execute("SELECT * FROM derived_lists ORDER BY 1, 2").fetchall() == stored
        assert conn.execute("SELECT track_id, track_key FROM tracks ORDER BY 1").fetchall() == keys
        assert conn.execute(RANKS_0013).fetchall() == ranks
        assert [conn.execute(q).fetchall() for q in ROLLUPS] == rollups
        assert conn.execute("SELECT version FROM data_version").fetchone() == version


def test_lists_written_after_0013_keep_the_rollups_exact(database_url):
    """Derived lists written, changed and removed, Spotify's list winning over one, a track
    deleted: the rollups stay what list_ranks recomputes."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO tracks (track_id, name) SELECT 't' || n, 'track ' || n"
                     " FROM generate_series(1, 30) AS n")
        conn.execute("""INSERT INTO derived_lists (snapshot_date, time_range, track_keys)
            SELECT DATE '2026-03-28' + d, r,
                   (SELECT array_agg(track_key ORDER BY (track_key * 7 + d) % 30) FROM tracks
                    WHERE track_key % 3 <> d % 3)
            FROM generate_series(0, 6) AS d,
                 unnest(ARRAY['short_term', 'medium_term', 'long_term']) AS r""")
        assert_exact(conn)
        conn.execute("UPDATE derived_lists SET track_keys = track_keys[3:] || track_keys[1:2]"
                     " WHERE snapshot_date = '2026-04-01'")
        assert_exact(conn)
        conn.execute("INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)"
                     " VALUES ('t1', '2026-03-31', 'short_term', 1)")
        assert conn.execute("SELECT count(*) FROM derived_lists WHERE snapshot_date = '2026-03-31'"
                            " AND time_range = 'short_term'").fetchone() == (0,)
        assert_exact(conn)
        conn.execute("DELETE FROM tracks WHERE track_id IN ('t2', 't3')")
        assert_exact(conn)
        conn.execute("DELETE FROM derived_lists WHERE time_range = 'medium_term'")
        assert_exact(conn)
        conn.execute("TRUNCATE snapshots")
        assert_exact(conn)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO snapshots (track_id, snapshot_date, time_range, rank,"
                         " derived) VALUES ('t1', '2026-03-30', 'short_term', 1, true)")
