"""The earlier app's PostgreSQL code (../shared/seeds/) runs verbatim on our schema under
psycopg 3. The SQL strings below are copied character for character from the seeds."""

from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date

from psycopg.types.json import Jsonb

from db.ingest.demo import generate_tracks
from db.pool import get_pool

from support import writes_seen

SAVE_TRACK = """
                INSERT INTO tracks (
                    track_id, name, artist_name, album_name,
                    duration_ms, spotify_url, raw_json
                )
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (track_id) DO UPDATE SET
                    name = EXCLUDED.name,
                    artist_name = EXCLUDED.artist_name,
                    album_name = EXCLUDED.album_name,
                    duration_ms = EXCLUDED.duration_ms,
                    spotify_url = EXCLUDED.spotify_url,
                    raw_json = EXCLUDED.raw_json,
                    updated_at = NOW()
            """

GET_TRACK_DETAIL = """
                SELECT
                    track_id,
                    name,
                    artist_name,
                    album_name,
                    duration_ms,
                    spotify_url,
                    raw_json->'album'->>'release_date' AS release_date,
                    raw_json->'external_ids'->>'isrc' AS isrc
                FROM tracks
                WHERE track_id = %s
            """

SAVE_SNAPSHOT_ROW = """
            INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (track_id, snapshot_date, time_range)
            DO UPDATE SET rank = EXCLUDED.rank
        """

DASHBOARD_TRACK_COUNT = "SELECT COUNT(*) FROM tracks"
DASHBOARD_SNAPSHOT_COUNT = "SELECT COUNT(DISTINCT snapshot_date) FROM snapshots"
DASHBOARD_RELEASE_YEARS = """
                SELECT
                    LEFT(raw_json->'album'->>'release_date', 4) AS release_year,
                    COUNT(*) AS track_count
                FROM tracks
                WHERE raw_json ? 'album'
                  AND raw_json->'album' ? 'release_date'
                GROUP BY release_year
                ORDER BY release_year DESC
                LIMIT 10
            """
DASHBOARD_EXPLICIT = """
                SELECT
                    CASE
                        WHEN (raw_json->>'explicit')::boolean THEN 'Explicit'
                        ELSE 'Clean'
                    END AS explicit_label,
                    COUNT(*) AS track_count
                FROM tracks
                WHERE raw_json ? 'explicit'
                GROUP BY explicit_label
                ORDER BY track_count DESC
            """
DECADES = """
                SELECT
                    (LEFT(raw_json->'album'->>'release_date', 4)::integer / 10 * 10) AS decade,
                    COUNT(*) AS count
                FROM tracks
                WHERE raw_json ? 'album'
                  AND raw_json->'album' ? 'release_date'
                GROUP BY decade
                ORDER BY decade
            """
ENSURE_TRACK = """
                INSERT INTO tracks (track_id, name, artist_name)
                VALUES (%s, %s, %s)
                ON CONFLICT (track_id) DO NOTHING
            """
WRITE_SNAPSHOT = """
                INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (track_id, snapshot_date, time_range)
                DO UPDATE SET rank = EXCLUDED.rank
            """


def seeds_save_track(conn, track):
    """The seeds' save_track body, with psycopg 3's Jsonb for psycopg2's Json."""
    with conn.cursor() as cursor:
        cursor.execute(SAVE_TRACK, (
            track['id'],
            track['name'],
            track['artists'][0]['name'],
            track['album']['name'],
            track['duration_ms'],
            track.get('external_urls', {}).get('spotify'),
            Jsonb(track),
        ))


def well_formed_tracks(count):
    """Demo tracks the seeds' code can digest (it crashes on a missing album or a "" date)."""
    tracks = []
    for track in generate_tracks(count * 2, seed=7):
        date_ = track.get("album", {}).get("release_date")
        if isinstance(date_, str) and date_[:4].isdigit() and "explicit" in track:
            tracks.append(track)
    return tracks[:count]


def test_save_track_and_get_track_detail(conn):
    track = well_formed_tracks(1)[0]
    seeds_save_track(conn, track)
    seeds_save_track(conn, {**track, "name": "Renamed"})  # the upsert path
    row = conn.execute(GET_TRACK_DETAIL, (track["id"],)).fetchone()
    assert row == (
        track["id"], "Renamed", track["artists"][0]["name"], track["album"]["name"],
        track["duration_ms"], track["external_urls"]["spotify"],
        track["album"]["release_date"], track["external_ids"]["isrc"],
    )


def test_save_snapshot_row_is_idempotent(conn):
    track = well_formed_tracks(1)[0]
    seeds_save_track(conn, track)
    for rank in (5, 3, 3):
        with conn.cursor() as cursor:
            cursor.execute(SAVE_SNAPSHOT_ROW, (track["id"], date(2026, 1, 2), "short_term", rank))
    assert conn.execute("SELECT rank FROM snapshots").fetchall() == [(3,)]


def test_dashboard_route_queries_and_decade_query(conn):
    tracks = well_formed_tracks(60)
    for track in tracks:
        seeds_save_track(conn, track)
    for day in (1, 2, 2):
        with conn.cursor() as cursor:
            cursor.execute(SAVE_SNAPSHOT_ROW, (tracks[0]["id"], date(2026, 3, day), "long_term", 1))
    assert conn.execute(DASHBOARD_TRACK_COUNT).fetchone()[0] == 60
    assert conn.execute(DASHBOARD_SNAPSHOT_COUNT).fetchone()[0] == 2

    years = conn.execute(DASHBOARD_RELEASE_YEARS).fetchall()
    expected_years = sorted({t["album"]["release_date"][:4] for t in tracks}, reverse=True)[:10]
    assert [y for y, _ in years] == expected_years

    explicit = dict(conn.execute(DASHBOARD_EXPLICIT).fetchall())
    assert explicit.get("Explicit", 0) == sum(t["explicit"] for t in tracks)
    assert explicit.get("Clean", 0) == sum(not t["explicit"] for t in tracks)

    decades = dict(conn.execute(DECADES).fetchall())
    assert sum(decades.values()) == 60
    assert list(decades) == sorted(decades)
    # Our generated column agrees with the seeds' arithmetic on well-formed data.
    ours = dict(conn.execute(
        "SELECT album_release_year / 10 * 10, count(*) FROM tracks GROUP BY 1").fetchall())
    assert ours == decades



def test_concurrent_writes_through_the_shared_pool(use_database, conn):
    """test_concurrent.py's workload: 500 overlapping upserts of one row from 10 threads (on a
    fixed day: the seeds' date.today() is another day for writes after midnight)."""
    writes_seen.install(conn, "snapshots")
    day = date(2026, 5, 4)
    pool = get_pool()

    def ensure_track():
        with pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute(ENSURE_TRACK, ('track_1', 'Concurrency Test Track', 'Test Artist'))

    def write_snapshot(rank):
        with pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute(WRITE_SNAPSHOT, ('track_1', day, 'short_term', rank))
        return True

    ensure_track()
    with ThreadPoolExecutor(max_workers=10) as executor:
        futures = [executor.submit(write_snapshot, rank) for rank in range(1, 501)]
        successes = sum(1 for f in as_completed(futures) if f.result())
    assert successes == 500
    # Every write landed once, and the row holds the one that committed last.
    seen = writes_seen.ranks(conn)
    assert sorted(seen) == list(range(1, 501))
    assert conn.execute("SELECT track_id, snapshot_date, time_range, rank FROM snapshots"
                        ).fetchall() == [("track_1", day, "short_term", seen[-1])]
