import threading

import psycopg
import pytest

from db import migrations

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
