-- Details of tracks known only from plays, fetched within a daily budget of Spotify requests.
--
-- tracks.not_on_spotify replaces tracks_unavailable: a track Spotify answered 404 for (or whose
-- id Spotify could not have) never gets details, so it is Unknown, not "no details yet"; being a
-- column of tracks, marking it moves the rollups and the data version like any other change.
ALTER TABLE tracks ADD COLUMN not_on_spotify boolean NOT NULL DEFAULT false;
UPDATE tracks t SET not_on_spotify = true FROM tracks_unavailable u WHERE u.track_id = t.track_id;
DROP TABLE tracks_unavailable;
DROP INDEX tracks_not_enriched_idx;
CREATE INDEX tracks_awaiting_details_idx ON tracks (track_id)
    WHERE raw_json IS NULL AND NOT not_on_spotify;
CREATE INDEX tracks_not_on_spotify_idx ON tracks (track_id) WHERE not_on_spotify;

-- track_facets also says whether its tracks still await their details, so that the charts tell
-- "no details yet" (they will come) from "Unknown" (Spotify's object lacks the field).
DROP FUNCTION track_rollups_apply(smallint[], boolean[], text[], int);
DROP TABLE track_facets;
CREATE TABLE track_facets (
    album_release_year smallint,
    is_explicit        boolean,
    awaiting_details   boolean NOT NULL,
    tracks             bigint NOT NULL CHECK (tracks >= 0)
);
CREATE UNIQUE INDEX track_facets_key
    ON track_facets ((coalesce(album_release_year, -1)), (coalesce(is_explicit::int, -1)),
                     awaiting_details);

CREATE FUNCTION track_rollups_apply(p_years smallint[], p_explicit boolean[],
                                    p_awaiting boolean[], p_artists text[], p_sign int)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_sign > 0 THEN
        INSERT INTO track_facets AS f (album_release_year, is_explicit, awaiting_details, tracks)
        SELECT y, e, w, count(*) FROM unnest(p_years, p_explicit, p_awaiting) AS u(y, e, w)
        GROUP BY y, e, w
        ON CONFLICT ((coalesce(album_release_year, -1)), (coalesce(is_explicit::int, -1)),
                     awaiting_details)
        DO UPDATE SET tracks = f.tracks + EXCLUDED.tracks;

        INSERT INTO track_artists AS a (artist_name, tracks)
        SELECT n, count(*) FROM unnest(p_artists) AS u(n) WHERE n IS NOT NULL GROUP BY n
        ON CONFLICT (artist_name) DO UPDATE SET tracks = a.tracks + EXCLUDED.tracks;
    ELSE
        UPDATE track_facets f SET tracks = f.tracks - d.n
        FROM (SELECT y, e, w, count(*) FROM unnest(p_years, p_explicit, p_awaiting) AS u(y, e, w)
              GROUP BY y, e, w) AS d(y, e, w, n)
        WHERE coalesce(f.album_release_year, -1) = coalesce(d.y, -1)
          AND coalesce(f.is_explicit::int, -1) = coalesce(d.e::int, -1)
          AND f.awaiting_details = d.w;
        DELETE FROM track_facets WHERE tracks = 0;

        UPDATE track_artists a SET tracks = a.tracks - d.n
        FROM (SELECT n, count(*) FROM unnest(p_artists) AS u(n) WHERE n IS NOT NULL GROUP BY n)
            AS d(name, n)
        WHERE a.artist_name = d.name;
        DELETE FROM track_artists WHERE artist_name = ANY(p_artists) AND tracks = 0;
    END IF;
END
$$;

-- "Awaiting details", defined here once for the rollups; queries/dashboard.py reads it from
-- track_facets, and db/ingest/spotify/enrich.py asks for exactly these tracks.
CREATE OR REPLACE FUNCTION track_rollups_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM data_changed();
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(raw_json IS NULL AND NOT not_on_spotify),
                                    array_agg(artist_name),
                                    CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END)
        FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION track_rollups_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM data_changed();
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(raw_json IS NULL AND NOT not_on_spotify),
                                    array_agg(artist_name), -1)
        FROM old_rows;
        PERFORM track_rollups_apply(array_agg(album_release_year), array_agg(is_explicit),
                                    array_agg(raw_json IS NULL AND NOT not_on_spotify),
                                    array_agg(artist_name), 1)
        FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;

INSERT INTO track_facets (album_release_year, is_explicit, awaiting_details, tracks)
SELECT album_release_year, is_explicit, raw_json IS NULL AND NOT not_on_spotify, count(*)
FROM tracks GROUP BY 1, 2, 3;

-- Every request made to Spotify's Web API as this app, by every process (the app's buttons, the
-- CLI, a cron job), so that a daily budget holds across all of them (db/ingest/spotify/budget.py).
CREATE TABLE spotify_requests (
    requested_at timestamptz NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN ('account', 'lists', 'details', 'saved', 'recent'))
);
CREATE INDEX spotify_requests_at_idx ON spotify_requests (requested_at);

-- One row: the time before which Spotify asked this app to send nothing (a quota 429, or a
-- Retry-After too long to wait out). Also the lock that makes taking a request atomic.
CREATE TABLE spotify_quota (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    not_before timestamptz,
    reason     text
);
INSERT INTO spotify_quota DEFAULT VALUES;

-- Take one request of the budget: true and recorded when Spotify has not asked for quiet until
-- after p_at and fewer than p_limit (NULL: no limit) were made in the 24 hours before p_at. Each
-- statement of a plpgsql function sees what committed before it, so the count after the lock
-- includes every request taken by a process that held the lock before.
CREATE FUNCTION spotify_request_take(p_at timestamptz, p_purpose text, p_limit integer,
                                     OUT taken boolean, OUT used bigint,
                                     OUT not_before timestamptz, OUT reason text)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT q.not_before, q.reason INTO not_before, reason FROM spotify_quota q
    WHERE only_row FOR UPDATE;
    SELECT count(*) INTO used FROM spotify_requests
    WHERE requested_at > p_at - interval '24 hours';
    taken := (not_before IS NULL OR not_before <= p_at) AND (p_limit IS NULL OR used < p_limit);
    IF taken THEN
        INSERT INTO spotify_requests (requested_at, purpose) VALUES (p_at, p_purpose);
        used := used + 1;
        DELETE FROM spotify_requests WHERE requested_at < p_at - interval '48 hours';
    END IF;
END
$$;

-- Reading the saved library (GET /v1/me/tracks, newest first, 50 a request): the offset an
-- unfinished pass reached and the newest track it saw; the newest saved time finished passes
-- saw (a later pass stops there) and when the last one finished (tracks awaiting details since
-- then, from a newer export, are looked for in the whole library again). Reset when another
-- account connects.
ALTER TABLE spotify_account ADD COLUMN library_offset integer;
ALTER TABLE spotify_account ADD COLUMN library_pass_newest timestamptz;
ALTER TABLE spotify_account ADD COLUMN library_seen_until timestamptz;
ALTER TABLE spotify_account ADD COLUMN library_read_at timestamptz;
