-- One row per import that wrote (dry runs and refused files write nothing), in the same
-- transaction as its data: a row here means the data is there.
CREATE TABLE imports (
    id                  bigserial PRIMARY KEY,
    imported_at         timestamptz NOT NULL DEFAULT now(),
    kind                text NOT NULL CHECK (kind IN ('json', 'sqlite', 'spotify')),
    source              text NOT NULL,
    tracks_inserted     integer NOT NULL DEFAULT 0,
    tracks_updated      integer NOT NULL DEFAULT 0,
    tracks_unchanged    integer NOT NULL DEFAULT 0,
    snapshots_inserted  integer NOT NULL DEFAULT 0,
    snapshots_updated   integer NOT NULL DEFAULT 0,
    snapshots_unchanged integer NOT NULL DEFAULT 0
);
