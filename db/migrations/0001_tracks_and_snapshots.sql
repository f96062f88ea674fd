-- The earlier app's two tables, kept compatible with its SQL (see tests/test_seeds_sql.py),
-- plus what the dashboard needs to stay fast at a million tracks.

CREATE TABLE tracks (
    track_id     text PRIMARY KEY,
    name         text NOT NULL,
    artist_name  text,
    album_name   text,
    duration_ms  integer CHECK (duration_ms >= 0),
    spotify_url  text,
    raw_json     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),

    -- Derived from raw_json (the single source of truth) and kept up to date by PostgreSQL
    -- itself. Every reference to raw_json detoasts and decompresses the whole payload; reading
    -- these small columns instead keeps the dashboard's aggregates in milliseconds. Their names
    -- must not shadow the output names of the earlier app's queries ("GROUP BY release_year"
    -- would group by a column of that name, not by the query's own expression).
    --
    -- Release year: the first four characters of album.release_date when they are four digits
    -- other than "0000"; NULL (shown as "Unknown") for anything else, including a missing album,
    -- a missing, null, non-string, "" or "0000" date.
    album_release_year smallint GENERATED ALWAYS AS (
        CASE
            WHEN jsonb_typeof(raw_json -> 'album' -> 'release_date') = 'string'
             AND left(raw_json -> 'album' ->> 'release_date', 4) ~ '^[0-9]{4}$'
             AND left(raw_json -> 'album' ->> 'release_date', 4) <> '0000'
            THEN left(raw_json -> 'album' ->> 'release_date', 4)::smallint
        END
    ) STORED,
    -- Explicit: a JSON boolean, or NULL ("Unknown") when missing, null or of another type.
    is_explicit boolean GENERATED ALWAYS AS (
        CASE
            WHEN jsonb_typeof(raw_json -> 'explicit') = 'boolean'
            THEN (raw_json -> 'explicit')::boolean
        END
    ) STORED
);

-- Small enough to scan whole for the release-year and explicit breakdowns (index-only scans).
CREATE INDEX tracks_release_year_explicit_idx ON tracks (album_release_year, is_explicit);

CREATE TABLE snapshots (
    track_id      text NOT NULL REFERENCES tracks (track_id) ON DELETE CASCADE,
    snapshot_date date NOT NULL,
    time_range    text NOT NULL
                  CHECK (time_range IN ('short_term', 'medium_term', 'long_term')),
    rank          integer NOT NULL CHECK (rank > 0),
    PRIMARY KEY (track_id, snapshot_date, time_range)
);

-- Date-window questions ("which tracks charted between these dates, in this time range",
-- "how many snapshot days") read this index alone.
CREATE INDEX snapshots_date_range_idx
    ON snapshots (snapshot_date, time_range) INCLUDE (track_id);

-- Facts about the database itself, such as whether it holds generated demo data.
CREATE TABLE app_meta (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
