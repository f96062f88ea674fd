-- Rollups of snapshots, kept exact by triggers, so that the dashboard answers "which tracks
-- charted in this period, how high, on how many days, on how many snapshot days" from a few
-- thousand small rows instead of scanning two years of daily ranks (about 110,000 rows).
--
-- chart_months: per (time range, month, track), its best rank and the number of days it charted
--   that month; time_range 'any' counts distinct days across the three ranges. A period is
--   answered from the whole months it covers plus its partial months read from snapshots.
-- chart_totals: the same over all time, per (time range, track).
-- snapshot_dates: the dates that have snapshots, per time range.

CREATE TABLE chart_months (
    time_range text NOT NULL
               CHECK (time_range IN ('short_term', 'medium_term', 'long_term', 'any')),
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    track_id   text NOT NULL,
    best_rank  integer NOT NULL,
    days       integer NOT NULL CHECK (days > 0),
    PRIMARY KEY (time_range, month, track_id)
);
CREATE INDEX chart_months_track_idx ON chart_months (track_id);

CREATE TABLE chart_totals (
    time_range text NOT NULL
               CHECK (time_range IN ('short_term', 'medium_term', 'long_term', 'any')),
    track_id   text NOT NULL,
    best_rank  integer NOT NULL,
    days       integer NOT NULL CHECK (days > 0),
    PRIMARY KEY (time_range, track_id)
);
CREATE INDEX chart_totals_top_idx ON chart_totals (time_range, best_rank, days DESC, track_id);

CREATE TABLE snapshot_dates (
    time_range    text NOT NULL,
    snapshot_date date NOT NULL,
    PRIMARY KEY (time_range, snapshot_date)
);

-- Recompute the rollup rows that the given snapshot keys touch.
CREATE FUNCTION chart_rollups_refresh(p_tracks text[], p_dates date[], p_ranges text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_tracks IS NULL THEN  -- the statement changed no row (an upsert to the same rank)
        RETURN;
    END IF;
    -- Writers of snapshots take turns here until they commit, and each statement below runs
    -- after the lock is granted, so (under READ COMMITTED) it sees every row committed by the
    -- writer it waited for: a rollup never misses a concurrent writer's rows. Readers never
    -- wait. One lock for all, because a track's totals depend on all its months.
    PERFORM pg_advisory_xact_lock(1836345939);

    DELETE FROM chart_months c
    USING (SELECT DISTINCT t, date_trunc('month', d)::date FROM unnest(p_tracks, p_dates) AS u(t, d))
        AS k(track_id, month)
    WHERE c.track_id = k.track_id AND c.month = k.month;

    INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
    SELECT coalesce(s.time_range, 'any'), k.month, k.track_id, min(s.rank),
           count(DISTINCT s.snapshot_date)
    FROM (SELECT DISTINCT t, date_trunc('month', d)::date FROM unnest(p_tracks, p_dates) AS u(t, d))
        AS k(track_id, month)
    JOIN snapshots s
      ON s.track_id = k.track_id
     AND s.snapshot_date >= k.month
     AND s.snapshot_date < (k.month + INTERVAL '1 month')::date
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
      AND NOT EXISTS (SELECT 1 FROM snapshots s
                      WHERE s.time_range = k.time_range AND s.snapshot_date = k.day);

    INSERT INTO snapshot_dates (time_range, snapshot_date)
    SELECT DISTINCT k.time_range, k.day
    FROM unnest(p_ranges, p_dates) AS k(time_range, day)
    WHERE EXISTS (SELECT 1 FROM snapshots s
                  WHERE s.time_range = k.time_range AND s.snapshot_date = k.day)
    ON CONFLICT DO NOTHING;
END
$$;

-- For INSERT and DELETE: both triggers name their one transition table changed_rows.
CREATE FUNCTION chart_rollups_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_rollups_refresh(array_agg(track_id), array_agg(snapshot_date),
                                  array_agg(time_range))
    FROM changed_rows;
    RETURN NULL;
END
$$;

CREATE FUNCTION chart_rollups_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_rollups_refresh(array_agg(track_id), array_agg(snapshot_date),
                                  array_agg(time_range))
    FROM (SELECT track_id, snapshot_date, time_range FROM new_rows
          UNION ALL
          SELECT track_id, snapshot_date, time_range FROM old_rows) AS changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION chart_rollups_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE chart_months, chart_totals, snapshot_dates;
    RETURN NULL;
END
$$;

CREATE TRIGGER chart_rollups_insert AFTER INSERT ON snapshots
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_rollups_after_write();
CREATE TRIGGER chart_rollups_update AFTER UPDATE ON snapshots
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_rollups_after_update();
CREATE TRIGGER chart_rollups_delete AFTER DELETE ON snapshots
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_rollups_after_write();
CREATE TRIGGER chart_rollups_truncate AFTER TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION chart_rollups_after_truncate();

-- Existing history (a database that had snapshots before this migration).
INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
SELECT coalesce(time_range, 'any'), date_trunc('month', snapshot_date)::date, track_id,
       min(rank), count(DISTINCT snapshot_date)
FROM snapshots
GROUP BY GROUPING SETS ((date_trunc('month', snapshot_date)::date, track_id, time_range),
                        (date_trunc('month', snapshot_date)::date, track_id));
INSERT INTO chart_totals (time_range, track_id, best_rank, days)
SELECT time_range, track_id, min(best_rank), sum(days) FROM chart_months GROUP BY 1, 2;
INSERT INTO snapshot_dates (time_range, snapshot_date)
SELECT DISTINCT time_range, snapshot_date FROM snapshots;
