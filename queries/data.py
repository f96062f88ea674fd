"""The Data page's questions: the imports that wrote, newest first."""

from __future__ import annotations

import pandas as pd

from queries.core import frame

PAST_IMPORTS_SQL = """
SELECT imported_at, kind, source, tracks_inserted, tracks_updated, tracks_unchanged,
       snapshots_inserted, snapshots_updated, snapshots_unchanged, snapshots_removed
FROM imports ORDER BY imported_at DESC, id DESC LIMIT %(limit)s
"""


def past_imports(limit: int = 50) -> pd.DataFrame:
    """Not cached: the page shows an import the moment it has written."""
    return frame(PAST_IMPORTS_SQL, {"limit": limit})
