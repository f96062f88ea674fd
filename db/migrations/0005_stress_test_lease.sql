-- Who may run the stress test now, across every process and machine that shares this database:
-- one row, leased for a while and renewed by the run's heartbeat. A lease is plain rows and
-- transactions, so it holds behind transaction poolers, where a session advisory lock does not;
-- a run whose process died frees it when the lease runs out. finished_at spaces runs apart.
CREATE TABLE mtm_bench.run_lease (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    holder      text,
    started_at  timestamptz,
    expires_at  timestamptz,
    finished_at timestamptz
);

INSERT INTO mtm_bench.run_lease DEFAULT VALUES;
