-- The concurrent-write benchmark writes here, where no dashboard query reads: the same table
-- definitions as public.tracks and public.snapshots (without the rollup triggers, which
-- belong to the user's history), in a schema of their own.
CREATE SCHEMA mtm_bench;

CREATE TABLE mtm_bench.tracks (LIKE public.tracks INCLUDING ALL);

CREATE TABLE mtm_bench.snapshots (
    LIKE public.snapshots INCLUDING ALL,
    FOREIGN KEY (track_id) REFERENCES mtm_bench.tracks (track_id) ON DELETE CASCADE
);

INSERT INTO mtm_bench.tracks (track_id, name, artist_name)
VALUES ('track_1', 'Concurrency Test Track', 'Test Artist');
