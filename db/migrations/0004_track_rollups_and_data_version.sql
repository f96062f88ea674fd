-- Rollups of tracks, kept exact by triggers, so that the unfiltered dashboard (which counts
-- every row of tracks) reads a few hundred small rows instead of a million tracks: at a million
-- tracks, count(*) and count(DISTINCT artist_name) took 520 ms and the release-year breakdown
-- 100 ms (scripts/bench_dashboard.py).
--
-- track_facets: tracks per (release year, explicit flag), NULLs included ("Unknown");
-- track_artists: tracks per artist name (NULL names are not artists);
-- data_version: one row, moved on by every statement that changes tracks or snapshots, so that
--   a cache of answers (Streamlit's, in every process of every replica) can tell it is stale.

CREATE TABLE track_facets (
    album_release_year smallint,
    is_explicit        boolean,
    -- 0 only between a removal and the DELETE that follows it
    tracks             bigint NOT NULL CHECK (tracks >= 0)
);
-- One row per pair, NULLs included (UNIQUE NULLS NOT DISTINCT needs PostgreSQL 15).
CREATE UNIQUE INDEX track_facets_key
    ON track_facets ((coalesce(album_release_year, -1)), (coalesce(is_explicit::int, -1)));

CREATE TABLE track_artists (
    artist_name text PRIMARY KEY,
    tracks      bigint NOT NULL CHECK (tracks >= 0)
);

CREATE TABLE data_version (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version    bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (version) VALUES (1);

-- Writers of tracks and snapshots take the rollups' lock before their statement writes a row, not
-- only after (in the AFTER triggers). Otherwise a transaction holding the lock from an earlier
-- statement could meet a row that another writer has written but not yet rolled up, and wait
-- for that writer, which waits for the lock: a deadlock. The lock is held to commit either way.
CREATE FUNCTION rollups_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1836345939);
    RETURN NULL;
END
$$;
CREATE TRIGGER rollups_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON tracks
    FOR EACH STATEMENT EXECUTE FUNCTION rollups_lock();
CREATE TRIGGER rollups_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION rollups_lock();

-- Every writer of tracks or snapshots calls this once per statement that changed rows, holding
-- the rollups' lock (taking it again costs nothing), so that the version row is always locked
-- second. The new version becomes visible with the data, at commit.
CREATE FUNCTION data_changed() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1836345939);
    UPDATE data_version SET version = version + 1, changed_at = now();
END
$$;

-- Add (sign 1) or remove (sign -1) rows' contributions. Called under the rollups' lock.
CREATE FUNCTION track_rollups_apply(p_years smallint[], p_explicit boolean[], p_artists text[],
                                    p_sign int)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_sign > 0 THEN
        INSERT INTO track_facets AS f (album_release_year, is_explicit, tracks)
        SELECT y, e, count(*) FROM unnest(p_years, p_explicit) AS u(y, e) GROUP BY y, e
        ON CONFLICT ((coalesce(album_release_year, -1)), (coalesce(is_explicit::int, -1)))
        DO UPDATE SET tracks = f.tracks + EXCLUDED.tracks;

        INSERT INTO track_artists AS a (artist_name, tracks)
        SELECT n, count(*) FROM unnest(p_artists) AS u(n) WHERE n IS NOT NULL GROUP BY n
        ON CONFLICT (artist_name) DO UPDATE SET tracks = a.tracks + EXCLUDED.tracks;
    ELSE
        UPDATE track_facets f SET tracks = f.tracks - d.n
        FROM (SELECT y, e, count(*) FROM unnest(p_years, p_explicit) AS u(y, e) GROUP BY y, e)
            AS d(y, e, n)
        WHERE coalesce(f.album_release_year, -1) = coalesce(d.y, -1)
          AND coalesce(f.is_explicit::int, -1) = coalesce(d.e::int, -1);
        DELETE FROM track_facets WHERE tracks = 0;

        UPDATE track_artists a SET tracks = a.tracks - d.n
        FROM (SELECT n, count(*) FROM unnest(p_artists) AS u(n) WHERE n IS NOT NULL GROUP BY n)
            AS d(name, n)
        WHERE a.artist_name = d.name;
        DELETE FROM track_artists WHERE artist_name = ANY(p_artists) AND tracks = 0;
    END IF;
END
$$;

-- INSERT and DELETE: both triggers name their one transition table changed_rows, TG_OP says
-- which way to count.
CREATE FUNCTION track_rollups_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM data_changed();
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(artist_name),
                                    CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END)
        FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION track_rollups_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM data_changed();
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(artist_name), -1)
        FROM old_rows;
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(artist_name), 1)
        FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION track_rollups_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM data_changed();
    TRUNCATE track_facets, track_artists;
    RETURN NULL;
END
$$;

CREATE TRIGGER track_rollups_insert AFTER INSERT ON tracks
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION track_rollups_after_write();
CREATE TRIGGER track_rollups_update AFTER UPDATE ON tracks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION track_rollups_after_update();
CREATE TRIGGER track_rollups_delete AFTER DELETE ON tracks
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION track_rollups_after_write();
CREATE TRIGGER track_rollups_truncate AFTER TRUNCATE ON tracks
    FOR EACH STATEMENT EXECUTE FUNCTION track_rollups_after_truncate();

-- Snapshots' rollup triggers now also move the data version (when rows changed).
CREATE OR REPLACE FUNCTION chart_rollups_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM data_changed();
        PERFORM chart_rollups_refresh(array_agg(track_id), array_agg(snapshot_date),
                                      array_agg(time_range))
        FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chart_rollups_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM data_changed();
        PERFORM chart_rollups_refresh(array_agg(track_id), array_agg(snapshot_date),
                                      array_agg(time_range))
        FROM (SELECT track_id, snapshot_date, time_range FROM new_rows
              UNION ALL
              SELECT track_id, snapshot_date, time_range FROM old_rows) AS changed;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chart_rollups_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM data_changed();
    TRUNCATE chart_months, chart_totals, snapshot_dates;
    RETURN NULL;
END
$$;

-- Existing tracks (a database that had tracks before this migration).
INSERT INTO track_facets (album_release_year, is_explicit, tracks)
SELECT album_release_year, is_explicit, count(*) FROM tracks GROUP BY 1, 2;
INSERT INTO track_artists (artist_name, tracks)
SELECT artist_name, count(*) FROM tracks WHERE artist_name IS NOT NULL GROUP BY 1;
