"""The rollup tables checked against the same facts recomputed from tracks and list_ranks
(Spotify's snapshots and the derived lists)."""

RECOMPUTED = """
SELECT coalesce(time_range, 'any'), date_trunc('month', snapshot_date)::date, track_id,
       min(rank), count(DISTINCT snapshot_date)::int
FROM list_ranks
GROUP BY GROUPING SETS ((date_trunc('month', snapshot_date)::date, track_id, time_range),
                        (date_trunc('month', snapshot_date)::date, track_id))
ORDER BY 1, 2, 3
"""
STORED = "SELECT time_range, month, track_id, best_rank, days FROM chart_months ORDER BY 1, 2, 3"
TOTALS = """
SELECT coalesce(time_range, 'any'), track_id, min(rank), count(DISTINCT snapshot_date)::int
FROM list_ranks GROUP BY GROUPING SETS ((track_id, time_range), (track_id)) ORDER BY 1, 2
"""
STORED_TOTALS = "SELECT time_range, track_id, best_rank, days FROM chart_totals ORDER BY 1, 2"
DATES = "SELECT DISTINCT time_range, snapshot_date FROM list_ranks ORDER BY 1, 2"
STORED_DATES = "SELECT time_range, snapshot_date FROM snapshot_dates ORDER BY 1, 2"
FACETS = """
SELECT album_release_year, is_explicit, raw_json IS NULL AND NOT not_on_spotify, count(*)
FROM tracks GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
STORED_FACETS = """
SELECT album_release_year, is_explicit, awaiting_details, tracks FROM track_facets
ORDER BY 1, 2, 3
"""
ARTISTS = """
SELECT artist_name, count(*) FROM tracks WHERE artist_name IS NOT NULL GROUP BY 1 ORDER BY 1
"""
STORED_ARTISTS = "SELECT artist_name, tracks FROM track_artists ORDER BY 1"


def assert_exact(conn):
    for stored, recomputed in ((STORED, RECOMPUTED), (STORED_TOTALS, TOTALS), (STORED_DATES, DATES),
                               (STORED_FACETS, FACETS), (STORED_ARTISTS, ARTISTS)):
        assert conn.execute(stored).fetchall() == conn.execute(recomputed).fetchall(), stored
