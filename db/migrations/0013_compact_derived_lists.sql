-- Derived lists out of snapshots, one row per day and time range (issue #25, "Small").
--
-- A decade of history held 1.08 million derived ranks as snapshots rows: 79 MB of rows and 175 MB
-- of the two indexes on them, 60 % of the database. Here a derived list is one row of
-- derived_lists whose track_keys array holds its tracks in rank order (rank n is element n), with
-- tracks.track_key, a 4-byte integer, in place of the 22-character track id: the decade's lists
-- take a few MB (docs/performance.md, "Storage"). Spotify's own lists stay in snapshots, which the
-- earlier app's SQL keeps reading and writing verbatim; snapshots now holds only those
-- (derived is false on every row). list_ranks shows both as the rows snapshots used to hold.
--
-- Existing databases move their derived rows here, in the migration's transaction; running this
-- file again changes nothing (every statement checks what is already there).

-- A compact key for every track, never reused (an identity), for the lists' arrays.
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS track_key integer GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX IF NOT EXISTS tracks_track_key_idx ON tracks (track_key);

CREATE TABLE IF NOT EXISTS derived_lists (
    snapshot_date date NOT NULL,
    time_range    text NOT NULL CHECK (time_range IN ('short_term', 'medium_term', 'long_term')),
    -- tracks.track_key of rank 1, 2, ...; a key whose track was deleted is no rank (NULL elements
    -- only where the snapshots this was moved from had a gap)
    track_keys    integer[] NOT NULL,
    PRIMARY KEY (snapshot_date, time_range)
);

-- Every rank on every list, as snapshots held them before: Spotify's rows, then the derived lists
-- unnested (rank = position). Conditions on snapshot_date and time_range reach both parts.
CREATE OR REPLACE VIEW list_ranks AS
SELECT track_id, snapshot_date, time_range, rank, derived FROM snapshots
UNION ALL
SELECT t.track_id, d.snapshot_date, d.time_range, u.rank::integer, true
FROM derived_lists d
CROSS JOIN LATERAL unnest(d.track_keys) WITH ORDINALITY AS u(track_key, rank)
JOIN tracks t ON t.track_key = u.track_key;

-- The ranks of the given tracks on every list, through snapshots' primary key and the lists' GIN
-- index (a view could not take the tracks to the arrays). Inlined into the calling query.
CREATE OR REPLACE FUNCTION track_list_ranks(p_tracks text[])
RETURNS TABLE (track_id text, snapshot_date date, time_range text, rank integer, derived boolean)
LANGUAGE sql STABLE AS $$
    SELECT s.track_id, s.snapshot_date, s.time_range, s.rank, s.derived
    FROM snapshots s WHERE s.track_id = ANY(p_tracks)
    UNION ALL
    SELECT t.track_id, d.snapshot_date, d.time_range, array_position(d.track_keys, t.track_key),
           true
    FROM tracks t JOIN derived_lists d ON d.track_keys @> ARRAY[t.track_key]
    WHERE t.track_id = ANY(p_tracks)
$$;

-- The rollups (0002, 0004) now read both kinds of list. The ranks of the months touched are read
-- through list_ranks, bounded by the first and last of them so that only those months' derived
-- lists are unnested.
CREATE OR REPLACE FUNCTION chart_rollups_refresh(p_tracks text[], p_dates date[], p_ranges text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_from date;
    v_to date;
BEGIN
    IF p_tracks IS NULL THEN  -- the statement changed no row (an upsert to the same rank)
        RETURN;
    END IF;
    -- Writers of lists take turns here until they commit (see 0002).
    PERFORM pg_advisory_xact_lock(1836345939);
    SELECT date_trunc('month', min(d))::date, (date_trunc('month', max(d)) + INTERVAL '1 month')::date
    INTO v_from, v_to FROM unnest(p_dates) AS u(d);

    DELETE FROM chart_months c
    USING (SELECT DISTINCT t, date_trunc('month', d)::date FROM unnest(p_tracks, p_dates) AS u(t, d))
        AS k(track_id, month)
    WHERE c.track_id = k.track_id AND c.month = k.month;

    INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
    SELECT coalesce(s.time_range, 'any'), k.month, k.track_id, min(s.rank),
           count(DISTINCT s.snapshot_date)
    FROM (SELECT DISTINCT t, date_trunc('month', d)::date FROM unnest(p_tracks, p_dates) AS u(t, d))
        AS k(track_id, month)
    JOIN list_ranks s
      ON s.track_id = k.track_id
     AND s.snapshot_date >= k.month
     AND s.snapshot_date < (k.month + INTERVAL '1 month')::date
    WHERE s.snapshot_date >= v_from AND s.snapshot_date < v_to
    GROUP BY GROUPING SETS ((k.month, k.track_id, s.time_range), (k.month, k.track_id));

    DELETE FROM chart_totals c
    WHERE c.track_id IN (SELECT unnest(p_tracks));

    INSERT INTO chart_totals (time_range, track_id, best_rank, days)
    SELECT time_range, track_id, min(best_rank), sum(days)
    FROM chart_months
    WHERE track_id IN (SELECT unnest(p_tracks))
    GROUP BY time_range, track_id;

    DELETE FROM snapshot_dates sd
    USING (SELECT DISTINCT r, d FROM unnest(p_ranges, p_dates) AS u(r, d)) AS k(time_range, day)
    WHERE sd.time_range = k.time_range AND sd.snapshot_date = k.day
      AND NOT EXISTS (SELECT 1 FROM list_ranks s
                      WHERE s.time_range = k.time_range AND s.snapshot_date = k.day);

    INSERT INTO snapshot_dates (time_range, snapshot_date)
    SELECT DISTINCT k.time_range, k.day
    FROM unnest(p_ranges, p_dates) AS k(time_range, day)
    WHERE EXISTS (SELECT 1 FROM list_ranks s
                  WHERE s.time_range = k.time_range AND s.snapshot_date = k.day)
    ON CONFLICT DO NOTHING;
END
$$;

-- Every rollup of the lists made again from list_ranks (a truncated snapshots or derived_lists).
CREATE OR REPLACE FUNCTION chart_rollups_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1836345939);
    TRUNCATE chart_months, chart_totals, snapshot_dates;
    INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
    SELECT coalesce(time_range, 'any'), date_trunc('month', snapshot_date)::date, track_id,
           min(rank), count(DISTINCT snapshot_date)
    FROM list_ranks
    GROUP BY GROUPING SETS ((date_trunc('month', snapshot_date)::date, track_id, time_range),
                            (date_trunc('month', snapshot_date)::date, track_id));
    INSERT INTO chart_totals (time_range, track_id, best_rank, days)
    SELECT time_range, track_id, min(best_rank), sum(days) FROM chart_months GROUP BY 1, 2;
    INSERT INTO snapshot_dates (time_range, snapshot_date)
    SELECT DISTINCT time_range, snapshot_date FROM list_ranks;
END
$$;

CREATE OR REPLACE FUNCTION chart_rollups_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM data_changed();
    PERFORM chart_rollups_rebuild();
    RETURN NULL;
END
$$;

-- Writing Spotify's list of a day and time range removes the derived list of that day and range
-- (replaces 0009's, which deleted derived snapshots rows).
CREATE OR REPLACE FUNCTION spotify_lists_win() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM derived_lists d
    USING (SELECT DISTINCT snapshot_date, time_range FROM written_rows) AS k
    WHERE d.snapshot_date = k.snapshot_date AND d.time_range = k.time_range;
    RETURN NULL;
END
$$;
-- No derived row is ever updated in snapshots now (0009's upsert onto a derived row).
DROP TRIGGER IF EXISTS snapshot_rank_from_spotify ON snapshots;
DROP FUNCTION IF EXISTS snapshot_rank_from_spotify();

-- Today's derived rows move: the lists, then snapshots emptied of them. Rebuilt by TRUNCATE and
-- the Spotify rows put back (a DELETE of a million rows would leave the table and its indexes
-- their full size until a VACUUM FULL, which cannot run in a transaction). The rollups already
-- count exactly these ranks, so their triggers stay out of it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM snapshots WHERE derived) THEN
        RETURN;
    END IF;
    INSERT INTO derived_lists (snapshot_date, time_range, track_keys)
    SELECT l.snapshot_date, l.time_range,
           CASE WHEN l.ranks = l.last_rank THEN l.keys  -- ranks 1..n without a gap
                ELSE (SELECT array_agg(s.track_key ORDER BY n)
                      FROM generate_series(1, l.last_rank) AS n
                      LEFT JOIN (SELECT x.rank, t.track_key
                                 FROM snapshots x JOIN tracks t USING (track_id)
                                 WHERE x.derived AND x.snapshot_date = l.snapshot_date
                                   AND x.time_range = l.time_range) AS s ON s.rank = n) END
    FROM (SELECT s.snapshot_date, s.time_range, count(*) AS ranks, max(s.rank) AS last_rank,
                 array_agg(t.track_key ORDER BY s.rank) AS keys
          FROM snapshots s JOIN tracks t USING (track_id)
          WHERE s.derived
          GROUP BY s.snapshot_date, s.time_range) AS l
    ON CONFLICT (snapshot_date, time_range) DO NOTHING;

    CREATE TEMP TABLE spotify_ranks ON COMMIT DROP AS
    SELECT track_id, snapshot_date, time_range, rank FROM snapshots WHERE NOT derived;
    ALTER TABLE snapshots DISABLE TRIGGER chart_rollups_truncate;
    ALTER TABLE snapshots DISABLE TRIGGER chart_rollups_insert;
    ALTER TABLE snapshots DISABLE TRIGGER spotify_lists_win_insert;
    TRUNCATE snapshots;
    INSERT INTO snapshots (track_id, snapshot_date, time_range, rank)
    SELECT track_id, snapshot_date, time_range, rank FROM spotify_ranks
    ORDER BY snapshot_date, time_range, rank;
    ALTER TABLE snapshots ENABLE TRIGGER chart_rollups_truncate;
    ALTER TABLE snapshots ENABLE TRIGGER chart_rollups_insert;
    ALTER TABLE snapshots ENABLE TRIGGER spotify_lists_win_insert;
    DROP TABLE spotify_ranks;
    PERFORM data_changed();
END
$$;

-- A track's ranks on derived lists (rank history, a track's page, the rollups of a deleted track):
-- the lists that hold its key, found without reading every list. Made after the move above: built
-- in one go it is half the size of one grown by inserts (3 MB against 6 MB for the decade).
CREATE INDEX IF NOT EXISTS derived_lists_tracks_idx ON derived_lists USING gin (track_keys);

-- snapshots holds Spotify's lists only.
ALTER TABLE snapshots DROP CONSTRAINT IF EXISTS snapshots_spotify_only;
ALTER TABLE snapshots ADD CONSTRAINT snapshots_spotify_only CHECK (NOT derived);
-- 0009's partial index on Spotify's rows is now the whole table: snapshots_date_range_idx
-- answers the same questions ("does Spotify have a list on these days").
DROP INDEX IF EXISTS snapshots_spotify_days_idx;

-- The rollups follow derived_lists like snapshots: the ranks of the lists a statement wrote or
-- removed are refreshed, the data version moves on, writers take the rollups' lock first.
CREATE OR REPLACE FUNCTION derived_lists_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_lists) THEN
        PERFORM data_changed();
        PERFORM chart_rollups_refresh(array_agg(t.track_id), array_agg(l.snapshot_date),
                                      array_agg(l.time_range))
        FROM changed_lists l
        CROSS JOIN LATERAL unnest(l.track_keys) AS u(track_key)
        JOIN tracks t ON t.track_key = u.track_key;
        -- a list whose tracks are all gone still had its day
        PERFORM chart_rollups_refresh(ARRAY[]::text[], array_agg(snapshot_date),
                                      array_agg(time_range))
        FROM changed_lists;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION derived_lists_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_lists) THEN
        PERFORM data_changed();
        PERFORM chart_rollups_refresh(array_agg(t.track_id), array_agg(l.snapshot_date),
                                      array_agg(l.time_range))
        FROM (SELECT snapshot_date, time_range, track_keys FROM new_lists
              UNION ALL
              SELECT snapshot_date, time_range, track_keys FROM old_lists) AS l
        CROSS JOIN LATERAL unnest(l.track_keys) AS u(track_key)
        JOIN tracks t ON t.track_key = u.track_key;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS rollups_lock ON derived_lists;
CREATE TRIGGER rollups_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON derived_lists FOR EACH STATEMENT EXECUTE FUNCTION rollups_lock();
DROP TRIGGER IF EXISTS derived_lists_insert ON derived_lists;
CREATE TRIGGER derived_lists_insert AFTER INSERT ON derived_lists
    REFERENCING NEW TABLE AS changed_lists
    FOR EACH STATEMENT EXECUTE FUNCTION derived_lists_after_write();
DROP TRIGGER IF EXISTS derived_lists_update ON derived_lists;
CREATE TRIGGER derived_lists_update AFTER UPDATE ON derived_lists
    REFERENCING OLD TABLE AS old_lists NEW TABLE AS new_lists
    FOR EACH STATEMENT EXECUTE FUNCTION derived_lists_after_update();
DROP TRIGGER IF EXISTS derived_lists_delete ON derived_lists;
CREATE TRIGGER derived_lists_delete AFTER DELETE ON derived_lists
    REFERENCING OLD TABLE AS changed_lists
    FOR EACH STATEMENT EXECUTE FUNCTION derived_lists_after_write();
DROP TRIGGER IF EXISTS derived_lists_truncate ON derived_lists;
CREATE TRIGGER derived_lists_truncate AFTER TRUNCATE ON derived_lists
    FOR EACH STATEMENT EXECUTE FUNCTION chart_rollups_after_truncate();

-- A deleted track leaves the derived lists (their arrays keep its key, which no track has again,
-- so it is no rank): its rollups are refreshed as a cascade on snapshots would have done.
CREATE OR REPLACE FUNCTION derived_ranks_of_deleted_tracks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_rollups_refresh(array_agg(o.track_id), array_agg(d.snapshot_date),
                                  array_agg(d.time_range))
    FROM deleted_tracks o JOIN derived_lists d ON d.track_keys @> ARRAY[o.track_key];
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS derived_ranks_of_deleted_tracks ON tracks;
CREATE TRIGGER derived_ranks_of_deleted_tracks AFTER DELETE ON tracks
    REFERENCING OLD TABLE AS deleted_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION derived_ranks_of_deleted_tracks();
