-- Rollups of plays for the Listening and year-in-review pages, so that no figure scans plays on
-- a page view. Days are local days in the time zone the rollups were made in (MTM_TIMEZONE; kept
-- in app_meta 'listening_rollups'), and a stream is a play of at least 30,000 ms not in
-- incognito mode, as for the derived lists. They are rebuilt for the days an import changed, in
-- its transaction (db/listening.py).

-- Per local day: streams and their milliseconds; plays of music not in incognito (any length),
-- how many of those say whether they were skipped, and how many were.
CREATE TABLE listening_days (
    day        date PRIMARY KEY,
    streams    integer NOT NULL,
    ms         bigint NOT NULL,
    plays      integer NOT NULL,
    skip_known integer NOT NULL,
    skipped    integer NOT NULL
);

-- Streams per local day and hour of the day (0-23) the stream ended in.
CREATE TABLE listening_hours (
    day     date NOT NULL,
    hour    smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    streams integer NOT NULL,
    ms      bigint NOT NULL,
    PRIMARY KEY (day, hour)
);

-- Streams per local day and track, and per month and track (with the days it was streamed).
CREATE TABLE listening_track_days (
    day      date NOT NULL,
    track_id text NOT NULL REFERENCES tracks (track_id) ON DELETE CASCADE,
    streams  integer NOT NULL,
    ms       bigint NOT NULL,
    PRIMARY KEY (day, track_id)
);
CREATE INDEX listening_track_days_track_idx ON listening_track_days (track_id, day);

CREATE TABLE listening_track_months (
    month    date NOT NULL CHECK (extract(day FROM month) = 1),
    track_id text NOT NULL REFERENCES tracks (track_id) ON DELETE CASCADE,
    streams  integer NOT NULL,
    ms       bigint NOT NULL,
    days     integer NOT NULL,
    PRIMARY KEY (month, track_id)
);
CREATE INDEX listening_track_months_track_idx ON listening_track_months (track_id, month);

-- Each track's first and last stream ("discovered" is the local day of the first), and its
-- streams over all time: an all-time top list reads one row per track, not a decade of months.
CREATE TABLE listening_track_firsts (
    track_id  text PRIMARY KEY REFERENCES tracks (track_id) ON DELETE CASCADE,
    first_at  timestamptz NOT NULL,
    last_at   timestamptz NOT NULL,
    first_day date NOT NULL,
    last_day  date NOT NULL,
    streams   integer NOT NULL,
    ms        bigint NOT NULL
);
CREATE INDEX listening_track_firsts_day_idx ON listening_track_firsts (first_day);

-- Listening sessions: streams that begin (end time minus ms played) less than 20 minutes after
-- the one before ended belong to one session. day: the local day the session began.
-- Keyed by its end: a session's last stream is the latest of its streams, so no two share one.
CREATE TABLE listening_sessions (
    started_at timestamptz NOT NULL,
    ended_at   timestamptz PRIMARY KEY,
    day        date NOT NULL,
    streams    integer NOT NULL,
    ms         bigint NOT NULL
);
CREATE INDEX listening_sessions_day_idx ON listening_sessions (day);
