-- A monthly rollup of snapshots, kept exact by triggers, so that the dashboard answers "which
-- tracks charted in this period, how high, on how many days" from a few thousand rows
-- instead of scanning two years of daily ranks (about 110,000 rows) per chart.
--
-- One row per (time range, month, track): its best rank and the number of days it charted in
-- that month. time_range 'any' counts distinct days across the three ranges. A period's
-- answer is the whole months it covers from here plus its partial months from snapshots.

CREATE TABLE chart_months (
    time_range text NOT NULL
               CHECK (time_range IN ('short_term', 'medium_term', 'long_term', 'any')),
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    track_id   text NOT NULL,
    best_rank  integer NOT NULL,
    days       integer NOT NULL CHECK (days > 0),
    PRIMARY KEY (time_range, month, track_id)
);

-- Counting distinct snapshot dates by skipping through this index, one probe per date.
CREATE INDEX snapshots_time_range_date_idx ON snapshots (time_range, snapshot_date);

-- Recompute the rollup rows of the given (track, month) pairs from snapshots.
CREATE FUNCTION chart_months_refresh(p_tracks text[], p_months date[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m date;
BEGIN
    -- Two transactions refreshing the same month take turns, and each statement below runs
    -- after the lock is granted, so (under READ COMMITTED) it sees every row committed by the
    -- transaction it waited for: the rollup never misses a concurrent writer's rows. Months
    -- are locked in order, so that two bulk writers cannot deadlock.
    FOR m IN SELECT DISTINCT u FROM unnest(p_months) AS u ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(1836345939, (m - DATE '2000-01-01'));
    END LOOP;

    DELETE FROM chart_months c
    USING (SELECT DISTINCT t, mo FROM unnest(p_tracks, p_months) AS u(t, mo)) AS p(track_id, month)
    WHERE c.track_id = p.track_id AND c.month = p.month;

    INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
    SELECT coalesce(s.time_range, 'any'), p.month, p.track_id, min(s.rank),
           count(DISTINCT s.snapshot_date)
    FROM (SELECT DISTINCT t, mo FROM unnest(p_tracks, p_months) AS u(t, mo)) AS p(track_id, month)
    JOIN snapshots s
      ON s.track_id = p.track_id
     AND s.snapshot_date >= p.month
     AND s.snapshot_date < (p.month + INTERVAL '1 month')::date
    GROUP BY GROUPING SETS ((p.month, p.track_id, s.time_range), (p.month, p.track_id));
END
$$;

CREATE FUNCTION chart_months_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_months_refresh(array_agg(track_id), array_agg(month))
    FROM (SELECT DISTINCT track_id, date_trunc('month', snapshot_date)::date AS month
          FROM new_rows) AS changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION chart_months_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_months_refresh(array_agg(track_id), array_agg(month))
    FROM (SELECT track_id, date_trunc('month', snapshot_date)::date AS month FROM new_rows
          UNION
          SELECT track_id, date_trunc('month', snapshot_date)::date FROM old_rows) AS changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION chart_months_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chart_months_refresh(array_agg(track_id), array_agg(month))
    FROM (SELECT DISTINCT track_id, date_trunc('month', snapshot_date)::date AS month
          FROM old_rows) AS changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION chart_months_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE chart_months;
    RETURN NULL;
END
$$;

CREATE TRIGGER chart_months_insert AFTER INSERT ON snapshots
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_months_after_insert();
CREATE TRIGGER chart_months_update AFTER UPDATE ON snapshots
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_months_after_update();
CREATE TRIGGER chart_months_delete AFTER DELETE ON snapshots
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chart_months_after_delete();
CREATE TRIGGER chart_months_truncate AFTER TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION chart_months_after_truncate();

-- Existing history (a database that had snapshots before this migration).
INSERT INTO chart_months (time_range, month, track_id, best_rank, days)
SELECT coalesce(time_range, 'any'), date_trunc('month', snapshot_date)::date, track_id,
       min(rank), count(DISTINCT snapshot_date)
FROM snapshots
GROUP BY GROUPING SETS ((date_trunc('month', snapshot_date)::date, track_id, time_range),
                        (date_trunc('month', snapshot_date)::date, track_id));
