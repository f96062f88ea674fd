"""The dashboard's questions, asked in SQL of the cached Spotify payloads, answered as DataFrames.

Each function takes the filter as plain values (start, end, time_range); ui/state/dashboard.py
says what they mean, and queries/core.py how answers are cached.

Where the answers come from (all derived from raw_json and snapshots by PostgreSQL itself):
- tracks.album_release_year: the first four characters of raw_json -> 'album' ->>
  'release_date' when they are four digits other than "0000", else NULL ("Unknown");
- tracks.is_explicit: raw_json -> 'explicit' when it is a JSON boolean, else NULL ("Unknown");
- chart_months / chart_totals: per (time range, month or all time, track) the best rank and days
  charted; snapshot_dates: the dates with lists. Triggers on snapshots and derived_lists keep
  them exact (db/migrations/0002_chart_rollups.sql, 0013).
- track_facets / track_artists: tracks per (release year, explicit flag, awaiting details) and
  per artist (db/migrations/0004_track_rollups_and_data_version.sql, 0012).
- A track known only from plays has no object yet: "No details yet", not "Unknown", until
  enrichment fetches it (db/ingest/spotify/enrich.py).

With a filter, one query returns the tracks that charted in it (never more than the charts
held: at most 99 a day per time range, whatever the size of the library) and pandas derives the
metrics and charts from that frame. Without one, every row of tracks counts, and small
aggregates over tracks answer.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from psycopg import sql

from db.derive.local_time import whole_months
from db.model.snapshots import TIME_RANGES
from db.model.tracks import AWAITING_COUNT_SQL
from queries.core import cached, frame
from queries.shared import AWAITING_SQL, NO_DETAILS, UNKNOWN

TOP = 20

# The tracks in a filter, each once, with their best rank and number of days charted.
# A date window: its whole months from chart_months, its partial months from list_ranks (Spotify's
# and the derived lists, migration 0013).
WINDOW_CHARTED_SQL = """
WITH charted AS (
    SELECT track_id, min(best_rank) AS best_rank, sum(days)::int AS days_charted
    FROM (
        SELECT track_id, best_rank, days
        FROM chart_months
        WHERE time_range = %(rollup_range)s AND month >= %(first)s AND month < %(stop)s
        UNION ALL
        SELECT track_id, min(rank), count(DISTINCT snapshot_date)
        FROM list_ranks
        WHERE {ranges}
          AND (snapshot_date >= %(start)s AND snapshot_date < %(first)s
               OR snapshot_date >= %(stop)s AND snapshot_date <= %(end)s)
        GROUP BY track_id
    ) AS parts
    GROUP BY track_id
)
SELECT c.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
       t.album_release_year AS year, t.is_explicit AS explicit, {awaiting} AS awaiting,
       c.best_rank, c.days_charted
FROM charted c JOIN tracks t USING (track_id)
"""

# All time (in one time range, or 'any'): chart_totals alone.
ALL_TIME_CHARTED_SQL = """
SELECT c.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
       t.album_release_year AS year, t.is_explicit AS explicit, {awaiting} AS awaiting,
       c.best_rank, c.days AS days_charted
FROM chart_totals c JOIN tracks t USING (track_id)
WHERE c.time_range = %(rollup_range)s
{order_and_limit}
"""

# Every row of tracks, from the trigger-maintained track_facets and track_artists.
UNFILTERED_SQL = """
SELECT coalesce(sum(tracks), 0) AS tracks,
       (SELECT count(*) FROM track_artists) AS artists,
       coalesce(sum(tracks) FILTER (WHERE is_explicit), 0) AS explicit,
       coalesce(sum(tracks) FILTER (WHERE is_explicit IS NOT NULL), 0) AS known_explicit
FROM track_facets
"""

UNFILTERED_FACETS_SQL = """
SELECT album_release_year AS year, is_explicit AS explicit, awaiting_details AS awaiting, tracks
FROM track_facets
"""



SNAPSHOT_DAYS_SQL = """
SELECT count(DISTINCT snapshot_date) AS snapshot_days, max(snapshot_date) AS latest_snapshot
FROM snapshot_dates
WHERE time_range = ANY(%(ranges)s) AND snapshot_date BETWEEN %(start)s AND %(end)s
"""


def charted_query(start, end, time_range, limit: int | None = None
                  ) -> tuple[sql.Composable, dict]:
    params = {"rollup_range": time_range or "any"}
    if start is None:
        order = sql.SQL("")
        if limit is not None:
            order = sql.SQL("ORDER BY c.best_rank, c.days DESC, c.track_id LIMIT %(limit)s")
            params["limit"] = limit
        return sql.SQL(ALL_TIME_CHARTED_SQL).format(order_and_limit=order,
                                                    awaiting=sql.SQL(AWAITING_SQL)), params
    first, stop = whole_months(start, end)
    params.update(start=start, end=end, first=first, stop=stop)
    ranges = sql.SQL("TRUE")
    if time_range:
        ranges = sql.SQL("time_range = %(time_range)s")
        params["time_range"] = time_range
    return sql.SQL(WINDOW_CHARTED_SQL).format(ranges=ranges, awaiting=sql.SQL(AWAITING_SQL)), params


def _best_first(charted: pd.DataFrame) -> pd.DataFrame:
    return charted.sort_values(["best_rank", "days_charted", "track_id"],
                               ascending=[True, False, True], ignore_index=True)


@cached
def charted_tracks(start: dt.date | None, end: dt.date | None, time_range: str | None
                   ) -> pd.DataFrame:
    """Every track with a snapshot in the filter: names, release year, explicit flag, best rank
    and days charted, best first."""
    return _best_first(frame(*charted_query(start, end, time_range)))


@cached
def snapshot_days(start: dt.date | None, end: dt.date | None, time_range: str | None) -> dict:
    """Distinct snapshot dates in the filter, and the latest of them."""
    params = {"ranges": [time_range] if time_range else list(TIME_RANGES),
              "start": start or dt.date.min, "end": end or dt.date.max}
    row = frame(SNAPSHOT_DAYS_SQL, params).iloc[0]
    latest = row["latest_snapshot"]
    return {"snapshot_days": int(row["snapshot_days"]),
            "latest_snapshot": latest if pd.notna(latest) else None}


@cached
def _unfiltered_summary() -> dict:
    return frame(UNFILTERED_SQL).iloc[0].to_dict()


@cached
def _unfiltered_facets() -> pd.DataFrame:
    return frame(UNFILTERED_FACETS_SQL)


@cached  # the page's answers, not only the frames they come from: see release_decades
def summary(start: dt.date | None, end: dt.date | None, time_range: str | None) -> dict:
    """Tracks, artists, explicit share, snapshot days and the latest snapshot in the filter."""
    if start is None and time_range is None:
        numbers = {k: int(v) for k, v in _unfiltered_summary().items()}
    else:
        charted = charted_tracks(start, end, time_range)
        known = charted["explicit"].dropna()
        numbers = {"tracks": len(charted), "artists": charted["artist"].nunique(),
                   "explicit": int(known.astype(bool).sum()), "known_explicit": len(known)}
    known = numbers["known_explicit"]
    numbers["share_explicit"] = numbers["explicit"] / known if known else None
    return numbers | snapshot_days(start, end, time_range)


@cached  # too: three charts ask for it on every page view
def release_facets(start, end, time_range) -> pd.DataFrame:
    """Track counts by (release year, explicit flag): what all three charts are drawn from."""
    if start is None and time_range is None:
        facets = _unfiltered_facets()
    else:
        facets = facet_counts(charted_tracks(start, end, time_range))
    return facets.astype({"tracks": int})


def facet_counts(tracks: pd.DataFrame) -> pd.DataFrame:
    """Tracks per (year, explicit, awaiting details) of a frame of tracks: what the mix charts
    are drawn from."""
    return (tracks.groupby(["year", "explicit", "awaiting"], dropna=False).size()
            .rename("tracks").reset_index())


@cached
def awaiting_everywhere() -> int:
    """Tracks in the whole library still awaiting their details."""
    return int(frame(AWAITING_COUNT_SQL).iloc[0, 0])


@cached
def details_waiting(start, end, time_range) -> dict:
    """Tracks in the filter still awaiting their details ("period", of "tracks" there), and in
    the whole library ("all")."""
    facets = release_facets(start, end, time_range)
    waiting = int(facets.loc[facets["awaiting"].astype(bool), "tracks"].sum())
    everywhere = awaiting_everywhere() if waiting else 0
    return {"period": waiting, "tracks": int(facets["tracks"].sum()), "all": everywhere}


def _label(facets: pd.DataFrame, known) -> pd.Series:
    """Each facet's category: ``known(facet)``, else Unknown (the object lacks the field), or
    No details yet (no object yet)."""
    return pd.Series([NO_DETAILS if awaiting else known(row)
                      for row, awaiting in zip(facets.itertuples(), facets["awaiting"],
                                               strict=True)], index=facets.index, dtype=object)


# The page's answers are cached as well as the frames they come from: a warm view then neither
# derives them again with pandas nor unpickles the charted tracks (docs/performance.md).
@cached
def release_decades(start, end, time_range) -> pd.DataFrame:
    """decade ("1980s", ..., "Unknown" last) and tracks, decades in order."""
    return decades_of(release_facets(start, end, time_range))


def decades_of(facets: pd.DataFrame) -> pd.DataFrame:
    decade = _label(facets, lambda f: UNKNOWN if pd.isna(f.year) else f"{int(f.year) // 10 * 10}s")
    return _ordered(facets.groupby(decade)["tracks"].sum(), "decade", ascending=True)


@cached
def release_years(start, end, time_range) -> pd.DataFrame:
    """Every release year, newest first, then Unknown."""
    facets = release_facets(start, end, time_range)
    year = _label(facets, lambda f: UNKNOWN if pd.isna(f.year) else str(int(f.year)))
    return _ordered(facets.groupby(year)["tracks"].sum(), "year", ascending=False)


@cached
def explicit_breakdown(start, end, time_range) -> pd.DataFrame:
    """Explicit, Clean and Unknown (missing, null or not a JSON boolean), in that order."""
    return explicit_of(release_facets(start, end, time_range))


def explicit_of(facets: pd.DataFrame) -> pd.DataFrame:
    label = _label(facets, lambda f: UNKNOWN if f.explicit is None or pd.isna(f.explicit)
                   else ("Explicit" if f.explicit else "Clean"))
    counts = facets.groupby(label)["tracks"].sum()
    order = [k for k in ("Explicit", "Clean", *UNSURE) if k in counts.index]
    return counts.reindex(order).rename_axis("content").reset_index()


UNSURE = (UNKNOWN, NO_DETAILS)  # the categories that come last, in this order


def _ordered(counts: pd.Series, name: str, ascending: bool) -> pd.DataFrame:
    known = sorted((k for k in counts.index if k not in UNSURE), reverse=not ascending)
    order = known + [k for k in UNSURE if k in counts.index]
    return counts.reindex(order).rename_axis(name).reset_index()


@cached
def _all_time_top(limit: int) -> pd.DataFrame:
    return _best_first(frame(*charted_query(None, None, None, limit)))


@cached
def top_tracks(start, end, time_range, limit: int = TOP) -> pd.DataFrame:
    """The best-ranked tracks in the filter (all time when unfiltered): best rank, days charted."""
    if start is None and time_range is None:  # no need to fetch every track that ever charted
        charted = _all_time_top(limit)
    else:
        charted = charted_tracks(start, end, time_range)
    return charted.head(limit)[["track", "artist", "album", "best_rank", "days_charted"]]
