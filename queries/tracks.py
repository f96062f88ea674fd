"""The tracks page's questions: search by track or artist name, one track's details from its
payload, the plays of a track or an artist (from the listening rollups, never the plays), and
the explorer's questions about payloads asked with JSONB operators.

Search: case-insensitive, any Unicode. Tracks that were on a list match any part of their
name or their artist's (ILIKE over the few thousand charted tracks) and come first, best rank
first; the rest of the library matches words that start with what was typed, through a
full-text index (tracks_search_idx), so that a million tracks answer in milliseconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
from psycopg import sql
from psycopg.types.json import Jsonb

from db.derive.streams import minutes
from db.model.snapshots import TIME_RANGES
from queries.core import cached, frame, frames

SEARCH_LIMIT = 50
EXPLORE_LIMIT = 100

# The words of a search, as the full-text parser would find them in a name.
_WORD = re.compile(r"\w+")

CHARTED_MATCHES_SQL = """
SELECT t.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
       c.best_rank
FROM chart_totals c JOIN tracks t USING (track_id)
WHERE c.time_range = 'any'
  AND (t.name ILIKE %(pattern)s OR t.artist_name ILIKE %(pattern)s)
ORDER BY c.best_rank, c.days DESC, t.track_id
LIMIT %(limit)s
"""

# The expression must be the index's own (db/migrations/0007_track_search.sql).
LIBRARY_MATCHES_SQL = """
SELECT t.track_id, t.name AS track, t.artist_name AS artist, t.album_name AS album,
       NULL::int AS best_rank
FROM tracks t
WHERE to_tsvector('simple', coalesce(t.name, '') || ' ' || coalesce(t.artist_name, ''))
      @@ to_tsquery('simple', %(words)s)
  AND NOT (t.track_id = ANY(%(exclude)s))
LIMIT %(limit)s
"""

# The successor of the earlier app's get_track_detail: the same columns, plus what else the
# payload holds. JSON values are tested for their type: an import may hold anything.
DETAIL_SQL = """
SELECT track_id, name, artist_name, album_name, duration_ms, spotify_url,
       raw_json->'album'->>'release_date' AS release_date,
       raw_json->'external_ids'->>'isrc' AS isrc,
       raw_json->'album'->>'release_date_precision' AS release_date_precision,
       is_explicit AS explicit,
       raw_json->'album'->>'album_type' AS album_type,
       CASE WHEN jsonb_typeof(raw_json->'artists') = 'array'
            THEN jsonb_path_query_array(raw_json, '$.artists[*].name') END AS artists,
       raw_json #>> '{album,images,0,url}' AS album_art,
       raw_json
FROM tracks
WHERE track_id = %(track_id)s
"""

CHART_SUMMARY_SQL = """
SELECT time_range, min(rank) AS best_rank, count(*) AS days,
       count(*) FILTER (WHERE derived) AS derived_days,
       min(snapshot_date) AS first_on_list, max(snapshot_date) AS last_on_list
FROM track_list_ranks(ARRAY[%(track_id)s]::text[])
GROUP BY time_range
ORDER BY array_position(%(time_ranges)s::text[], time_range)
"""

# Plays, from the rollups of migration 0010 (db/derive/rollups.py): a stream and its day are those of
# db/derive/streams.py. Each reads a few rows by index, whatever the number of plays.
TRACK_MONTHS_SQL = """
SELECT month, streams, ms FROM listening_track_months
WHERE track_id = %(track_id)s
ORDER BY month
"""

TRACK_SPAN_SQL = """
SELECT first_at, last_at FROM listening_track_firsts WHERE track_id = %(track_id)s
"""

# Every track of the artist (artists are told apart by name, as elsewhere): its streams and
# milliseconds, first and last stream, and best rank on any list. tracks_artist_name_idx
# (migration 0011) finds the tracks, the rollups' track indexes the rest.
ARTIST_TRACKS_SQL = """
SELECT t.track_id, t.name AS track, t.album_name AS album,
       coalesce(p.streams, 0) AS streams, coalesce(p.ms, 0) AS ms,
       f.first_at, f.last_at, c.best_rank
FROM tracks t
LEFT JOIN LATERAL (SELECT sum(m.streams)::bigint AS streams, sum(m.ms)::bigint AS ms
                   FROM listening_track_months m WHERE m.track_id = t.track_id) p ON true
LEFT JOIN listening_track_firsts f ON f.track_id = t.track_id
LEFT JOIN chart_totals c ON c.track_id = t.track_id AND c.time_range = 'any'
WHERE t.artist_name = %(artist)s
"""

ARTIST_MONTHS_SQL = """
SELECT m.month, sum(m.streams)::bigint AS streams, sum(m.ms)::bigint AS ms
FROM tracks t JOIN listening_track_months m ON m.track_id = t.track_id
WHERE t.artist_name = %(artist)s
GROUP BY m.month
ORDER BY m.month
"""

ANY_PLAYS_SQL = "SELECT EXISTS (SELECT 1 FROM listening_track_firsts) AS any"

# The explorer's questions: each a fixed SQL condition on raw_json with one bound parameter.
# No index answers them (a GIN index on raw_json is slow to build and slows every import:
# docs/decisions.md); the scan stops one past the first EXPLORE_LIMIT matches, no count, no order.
QUESTIONS = {
    "explicit": ("Explicit", "raw_json @> %(explicit)s", Jsonb({"explicit": True})),
    "clean": ("Clean (explicit is false)", "raw_json @> %(clean)s", Jsonb({"explicit": False})),
    "single": ("Album type: single", "raw_json @> %(single)s",
               Jsonb({"album": {"album_type": "single"}})),
    "album": ("Album type: album", "raw_json @> %(album)s",
              Jsonb({"album": {"album_type": "album"}})),
    "compilation": ("Album type: compilation", "raw_json @> %(compilation)s",
                    Jsonb({"album": {"album_type": "compilation"}})),
    "day_precision": ("Release date to the day", "raw_json @> %(day_precision)s",
                      Jsonb({"album": {"release_date_precision": "day"}})),
    "year_precision": ("Release date: year only", "raw_json @> %(year_precision)s",
                       Jsonb({"album": {"release_date_precision": "year"}})),
    "has_isrc": ("Has an ISRC", "raw_json -> 'external_ids' ? %(has_isrc)s", "isrc"),
    "has_popularity": ("Has popularity (cached before Spotify removed it)",
                       "raw_json ? %(has_popularity)s", "popularity"),
    "has_markets": ("Has available markets", "raw_json ? %(has_markets)s", "available_markets"),
    "no_album": ("Has no album", "NOT raw_json ? %(no_album)s", "album"),
    "no_explicit": ("Has no explicit flag", "NOT raw_json ? %(no_explicit)s", "explicit"),
    "local": ("Local file", "raw_json @> %(local)s", Jsonb({"is_local": True})),
}

EXPLORE_SQL = """
SELECT track_id, name AS track, artist_name AS artist, album_name AS album,
       album_release_year AS year, is_explicit AS explicit
FROM tracks
WHERE {conditions}
LIMIT %(limit)s
"""

def search_words(text: str) -> str | None:
    """The full-text query for a search: every word as a prefix ('heart':* & 'riv':*), or None
    when there are no words. Words are letters, digits and underscores only, so they need no
    quoting beyond the quotes around each."""
    words = _WORD.findall(text.lower())
    return " & ".join(f"'{word}':*" for word in words) or None


def like_pattern(text: str) -> str:
    """ILIKE pattern for `text` anywhere: its own % _ and \\ match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@cached
def search(text: str, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """Up to `limit` tracks for a search: charted matches first (best rank first), then other
    matches in the library, by name."""
    text = text.strip()
    charted = frame(CHARTED_MATCHES_SQL, {"pattern": like_pattern(text), "limit": limit})
    words = search_words(text)
    if len(charted) >= limit or words is None:
        return charted
    more = frame(LIBRARY_MATCHES_SQL, {"words": words, "exclude": charted["track_id"].tolist(),
                                       "limit": limit - len(charted)})
    more = more.sort_values(["track", "artist", "track_id"], ignore_index=True)
    return pd.concat([charted, more], ignore_index=True) if not charted.empty else more


@cached
def track_detail(track_id: str) -> dict | None:
    """Everything the track view shows, or None when the library has no such track."""
    rows = frame(DETAIL_SQL, {"track_id": track_id})
    if rows.empty:
        return None
    return rows.iloc[0].to_dict()


@cached
def chart_summary(track_id: str) -> pd.DataFrame:
    """Per time range the track was on lists of: best rank, days, of them on lists derived from
    the streaming history (derived_days), first and last day."""
    return frame(CHART_SUMMARY_SQL, {"track_id": track_id, "time_ranges": list(TIME_RANGES)})


def explore_statement(keys: tuple[str, ...]) -> tuple[sql.Composed, dict]:
    """The explorer's SQL for the chosen questions (all must hold) and its parameters. Only the
    fixed conditions above are ever put into the statement."""
    chosen = [QUESTIONS[key] for key in keys] or [("Every track", "TRUE", None)]
    conditions = sql.SQL("\n  AND ").join(sql.SQL(condition) for _, condition, _ in chosen)
    params = {key: QUESTIONS[key][2] for key in keys}
    return sql.SQL(EXPLORE_SQL).format(conditions=conditions), params


def explore_sql_text(keys: tuple[str, ...]) -> str:
    """The statement as shown to learn from: placeholders, then their values."""
    statement, params = explore_statement(keys)
    text = statement.as_string(None).strip()
    values = "\n".join(f"--   {name} = {_shown(value)}" for name, value in params.items())
    limit = f"--   limit = {EXPLORE_LIMIT + 1}  (one more than shown: are there more?)"
    return f"{text}\n-- with\n{values + chr(10) if values else ''}{limit}"


def _shown(value) -> str:
    if isinstance(value, Jsonb):
        return f"'{json.dumps(value.obj)}'::jsonb"
    return f"'{value}'"


@cached
def explore(keys: tuple[str, ...]) -> tuple[pd.DataFrame, bool]:
    """The first EXPLORE_LIMIT tracks found for which every chosen question holds (by name), and
    whether there are more."""
    statement, params = explore_statement(keys)
    found = frame(statement, params | {"limit": EXPLORE_LIMIT + 1})
    more = len(found) > EXPLORE_LIMIT
    return found.head(EXPLORE_LIMIT).sort_values(["track", "track_id"], ignore_index=True), more


@dataclass(frozen=True)
class Plays:
    """The streams of a track or an artist: first and last (UTC; None without any), how many,
    their milliseconds, and per month (month, streams, ms; local months of the rollups)."""
    first_at: pd.Timestamp | None
    last_at: pd.Timestamp | None
    streams: int
    ms: int
    months: pd.DataFrame

    @property
    def minutes(self) -> float:
        return minutes(self.ms)


def _months(months: pd.DataFrame) -> pd.DataFrame:
    return months.astype({"streams": "int64", "ms": "int64"})


@cached
def track_plays(track_id: str) -> Plays:
    months, span = frames((TRACK_MONTHS_SQL, {"track_id": track_id}),
                          (TRACK_SPAN_SQL, {"track_id": track_id}))
    months = _months(months)
    first, last = span.iloc[0] if not span.empty else (None, None)
    return Plays(first, last, int(months["streams"].sum()), int(months["ms"].sum()), months)


@cached
def artist_tracks(artist: str) -> pd.DataFrame:
    """The artist's tracks (those whose artist_name is exactly `artist`), most streamed first
    (then most milliseconds, name, id): streams, ms, first_at, last_at, best_rank (None: never
    on a list)."""
    found = frame(ARTIST_TRACKS_SQL, {"artist": artist})
    found = found.astype({"streams": "int64", "ms": "int64"})
    return found.sort_values(["streams", "ms", "track", "track_id"],
                             ascending=[False, False, True, True], ignore_index=True)


@cached
def artist_plays(artist: str) -> Plays:
    months = _months(frame(ARTIST_MONTHS_SQL, {"artist": artist}))
    spans = artist_tracks(artist)
    first = spans["first_at"].min() if spans["first_at"].notna().any() else None
    last = spans["last_at"].max() if spans["last_at"].notna().any() else None
    return Plays(first, last, int(months["streams"].sum()), int(months["ms"].sum()), months)


@cached
def any_plays() -> bool:
    """Whether the database holds any stream at all."""
    return bool(frame(ANY_PLAYS_SQL).iloc[0, 0])
