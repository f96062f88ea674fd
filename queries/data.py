"""The Data page's questions: the imports that wrote, newest first; what the streaming-history
export has brought in so far; and the tracks still waiting for their Spotify details.

The imports and the tracks waiting are not cached: the page shows an import the moment it has
written, and a track Spotify no longer has (tracks_unavailable) does not move the data version."""

from __future__ import annotations

import pandas as pd

from db.ingest.spotify import enrich
from queries.core import cached, frame

# Plays and skipped rows belong to streaming-history imports only: NULL (an empty cell) for the
# other kinds, whose 0 would read as "nothing added" rather than "not applicable".
PAST_IMPORTS_SQL = """
SELECT imported_at, kind, source,
       CASE WHEN kind = 'streaming_history' THEN plays_inserted END AS plays_inserted,
       CASE WHEN kind = 'streaming_history' THEN plays_unchanged END AS plays_unchanged,
       CASE WHEN kind = 'streaming_history' THEN
           (SELECT coalesce(sum(n.value::bigint), 0) FROM jsonb_each_text(skipped) AS n)
       END AS rows_skipped,
       tracks_inserted, tracks_updated, tracks_unchanged,
       snapshots_inserted, snapshots_updated, snapshots_unchanged, snapshots_removed
FROM imports ORDER BY imported_at DESC, id DESC LIMIT %(limit)s
"""

PLAYS_SO_FAR_SQL = """
SELECT count(*) AS plays, count(DISTINCT track_id) AS tracks,
       min(played_at) AS first_play, max(played_at) AS last_play
FROM plays
"""

# Tracks known only from the export (no Spotify object yet) that Spotify has not already said
# it no longer has: what enrichment would ask for, by enrichment's own definition.
TRACKS_TO_ENRICH_SQL = "SELECT count(*) " + enrich.TODO


def past_imports(limit: int = 50) -> pd.DataFrame:
    return frame(PAST_IMPORTS_SQL, {"limit": limit})


@cached
def plays_so_far() -> dict:
    """plays, tracks, first_play, last_play (None when there are no plays)."""
    return frame(PLAYS_SO_FAR_SQL).iloc[0].to_dict()


def tracks_to_enrich() -> int:
    return int(frame(TRACKS_TO_ENRICH_SQL).iloc[0, 0])
