-- Plays from Spotify's data export (Account privacy -> "Extended streaming history"), and daily
-- top lists derived from them. See db/ingest/streaming_history.py and db/derived_lists.py.

-- One row per play of a music track. The same play (end time, track, milliseconds played) is
-- stored once however many files or exports repeat it. The export's ip_addr is personal data
-- the app has no use for: it is never read into a row. Names live once, on tracks.
CREATE TABLE plays (
    played_at    timestamptz NOT NULL,  -- the export's ts: UTC, the END of the play
    track_id     text NOT NULL REFERENCES tracks (track_id) ON DELETE CASCADE,
    ms_played    integer NOT NULL CHECK (ms_played >= 0),
    reason_start text,
    reason_end   text,
    shuffle      boolean,
    skipped      boolean,
    offline      boolean,
    offline_at   timestamptz,           -- offline_timestamp, read as seconds or milliseconds
    incognito    boolean,
    platform     text,
    country      text,                  -- conn_country
    -- false for the short "Account data" export, whose times are to the minute
    exact_time   boolean NOT NULL DEFAULT true,
    PRIMARY KEY (played_at, track_id, ms_played)
);
CREATE INDEX plays_track_idx ON plays (track_id, played_at);

-- A derived list is a snapshot that says so. Spotify's own list for a day and range always wins:
-- writing one removes the derived rows of that day and range (below), and derivation skips them.
ALTER TABLE snapshots ADD COLUMN derived boolean NOT NULL DEFAULT false;
CREATE INDEX snapshots_spotify_days_idx ON snapshots (snapshot_date, time_range) WHERE NOT derived;

CREATE FUNCTION spotify_lists_win() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM snapshots s
    USING (SELECT DISTINCT snapshot_date, time_range FROM written_rows WHERE NOT derived) AS k
    WHERE s.derived AND s.snapshot_date = k.snapshot_date AND s.time_range = k.time_range;
    RETURN NULL;
END
$$;
CREATE TRIGGER spotify_lists_win_insert AFTER INSERT ON snapshots
    REFERENCING NEW TABLE AS written_rows
    FOR EACH STATEMENT EXECUTE FUNCTION spotify_lists_win();
CREATE TRIGGER spotify_lists_win_update AFTER UPDATE ON snapshots
    REFERENCING NEW TABLE AS written_rows
    FOR EACH STATEMENT EXECUTE FUNCTION spotify_lists_win();

-- A writer that upserts a rank onto a derived row without naming the column (the earlier app's
-- SQL does) is writing Spotify's list: the row stops being derived. Derivation says it is
-- deriving, so its own updates keep the flag.
CREATE FUNCTION snapshot_rank_from_spotify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.derived := false;
    RETURN NEW;
END
$$;
CREATE TRIGGER snapshot_rank_from_spotify BEFORE UPDATE ON snapshots
    FOR EACH ROW
    WHEN (OLD.derived AND NEW.derived
          AND current_setting('mtm.deriving', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION snapshot_rank_from_spotify();

-- Tracks known only from plays have no Spotify object yet (raw_json IS NULL) until enrichment
-- fetches it; one Spotify no longer has (404) is recorded here, so it is never asked for again.
CREATE TABLE tracks_unavailable (
    track_id   text PRIMARY KEY REFERENCES tracks (track_id) ON DELETE CASCADE,
    checked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracks_not_enriched_idx ON tracks (track_id) WHERE raw_json IS NULL;

ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('json', 'sqlite', 'spotify', 'streaming_history'));
ALTER TABLE imports ADD COLUMN plays_inserted integer NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN plays_unchanged integer NOT NULL DEFAULT 0;
-- rows read but not stored as plays, by reason ({"podcast": 12, "no track URI": 3, ...})
ALTER TABLE imports ADD COLUMN skipped jsonb NOT NULL DEFAULT '{}';

-- Plays are data the pages read: a statement that changed some moves the data version on (and
-- takes the rollups' lock first, like every writer of tracks and snapshots).
CREATE FUNCTION plays_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM data_changed();
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollups_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON plays
    FOR EACH STATEMENT EXECUTE FUNCTION rollups_lock();
CREATE TRIGGER plays_changed_insert AFTER INSERT ON plays
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION plays_changed();
CREATE TRIGGER plays_changed_update AFTER UPDATE ON plays
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION plays_changed();
CREATE TRIGGER plays_changed_delete AFTER DELETE ON plays
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION plays_changed();
