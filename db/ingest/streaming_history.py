"""Spotify's data export in: every play of a listener's life, then the daily top lists derived
from them (db.derive.top_lists), in one transaction.

Sources (db.ingest.history_files): the zip as downloaded, an unpacked folder, or the JSON files,
read in memory and within MTM_IMPORT_MAX_MB. Every row is checked (db.ingest.history_rows)
before anything is written: one malformed row refuses the import with a line naming its file
and index. The same play is stored once however many files or exports repeat it, so a newer
export adds only the plays that are new.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from db.derive import rollups, top_lists
from db.derive.streams import IS_STREAM
from db.errors import InvalidData, first_line
from db.ingest import history_files as files
from db.ingest import history_rows as rows
from db.model import access, bulk
from db.pool import connection

Progress = Callable[[str, int, int], None]
Upload = files.Upload  # an uploaded zip, passed where a path goes


@dataclass
class HistoryReport:
    source: str
    dry_run: bool = False
    files: int = 0
    rows_read: int = 0
    plays_new: int = 0
    plays_stored: int = 0  # already in the database (an earlier import or export)
    repeated: int = 0  # the same play more than once in this import
    skipped: Counter = field(default_factory=Counter)  # by reason (history_rows.SKIP_*)
    tracks_new: int = 0
    first_play: dt.datetime | None = None
    last_play: dt.datetime | None = None
    lists: top_lists.Derived | None = None

    def line(self) -> str:
        verb = "would add" if self.dry_run else "added"
        span = (f" from {self.first_play:%Y-%m-%d} to {self.last_play:%Y-%m-%d}"
                if self.first_play else "")
        skipped = ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.skipped.items()))
        text = (f"{self.source}: read {self.rows_read:,} rows in {self.files} files{span}; "
                f"{verb} {self.plays_new:,} new plays ({self.plays_stored:,} already stored, "
                f"{self.repeated:,} repeated) and {self.tracks_new:,} new tracks; skipped "
                f"{skipped or 'nothing'}")
        if self.lists is not None:
            text += f"; derived lists: {self.lists.line()}"
        return text


@dataclass
class _Read:
    plays: dict = field(default_factory=dict)  # key -> Play
    account: list = field(default_factory=list)  # AccountPlay
    tracks: dict = field(default_factory=dict)  # track_id -> (name, artist, album)


def read_history(paths: list[Path | str | files.Upload], report: HistoryReport,
                 progress: Progress | None = None) -> _Read:
    """Every play in the sources, checked; ImportRejected at the first malformed row."""
    source = report.source
    budget = files.Budget(source)
    found = list(files.history_files(
        [p if isinstance(p, files.Upload) else Path(p) for p in paths], source))
    now = dt.datetime.now(dt.UTC)
    read = _Read()
    for number, (name, kind, load) in enumerate(found, start=1):
        if progress:
            progress("reading files", number - 1, len(found))
        data = files.parse_file(name, load(budget), source)
        report.files += 1
        report.rows_read += len(data)
        if kind == rows.VIDEO:
            report.skipped[rows.SKIP_VIDEO] += len(data)
            continue
        parse = rows.extended_row if kind == rows.EXTENDED else rows.account_row
        for index, item in enumerate(data):
            try:
                play = parse(item, now)
            except rows.RowProblem as exc:
                raise files.refuse(source, f"{name} row {index}: {exc}") from None
            if isinstance(play, str):
                report.skipped[play] += 1
            elif isinstance(play, rows.AccountPlay):
                read.account.append(play)
            elif play.key in read.plays:
                report.repeated += 1
            else:
                read.plays[play.key] = play
                track_id = play.row[1]
                if track_id not in read.tracks or read.tracks[track_id][0] is None:
                    read.tracks[track_id] = (play.track_name, play.artist_name, play.album_name)
        del data
    if progress:
        progress("reading files", len(found), len(found))
    return read


def import_history(paths: list[Path | str | files.Upload], grant: access.Grant | None, *,
                   dry_run: bool = False, source: str | None = None, progress: Progress | None = None,
                   conn: psycopg.Connection | None = None) -> HistoryReport:
    """Import an export (one transaction, refused whole or stored whole) and derive again the
    daily lists whose windows changed. A dry run counts against the database and rolls back
    without deriving."""
    access.check(grant)
    if not paths:
        raise InvalidData("give the export: the zip, its folder, or its JSON files")
    report = HistoryReport(source or ", ".join(Path(p).name if not isinstance(p, files.Upload)
                                               else p.name for p in paths)[:200],
                           dry_run=dry_run)
    read = read_history(paths, report, progress)
    with connection(conn) as c:
        try:
            with c.transaction(force_rollback=dry_run):
                _write(c, read, report, progress)
                if not dry_run:
                    _record(c, report)
        except psycopg.DataError as exc:
            raise files.refuse(report.source, f"rejected by the database: {first_line(exc)}") from None
    return report


TRACK_COLUMNS = ("track_id", "name", "artist_name", "album_name", "spotify_url")


def _write(c: psycopg.Connection, read: _Read, report: HistoryReport,
           progress: Progress | None) -> None:
    if progress:
        progress("storing plays", 0, 3)
    # A track Spotify already described (a sync, an import, enrichment) keeps its object: the
    # export's names only fill in tracks the database does not have.
    bulk.stage(c, "tracks", TRACK_COLUMNS, (
        (track_id, name or "", artist, album, f"https://open.spotify.com/track/{track_id}")
        for track_id, (name, artist, album) in read.tracks.items()))
    report.tracks_new = c.execute(
        "INSERT INTO tracks (track_id, name, artist_name, album_name, spotify_url)"
        " SELECT track_id, name, artist_name, album_name, spotify_url FROM tracks_incoming"
        " ON CONFLICT (track_id) DO NOTHING").rowcount
    c.execute("DROP TABLE tracks_incoming")
    bulk.stage(c, "plays", rows.PLAY_COLUMNS, (p.row for p in read.plays.values()))
    if read.account:
        _match_account_plays(c, read.account, report)
    if progress:
        progress("storing plays", 1, 3)
    # Days after the last stream stored so far had no list: when new streams come later, the
    # days between (whose windows now hold streams) are derived too.
    stored_last = c.execute(
        f"SELECT max(played_at) FROM plays WHERE {IS_STREAM}").fetchone()[0]
    # The account-data export gives times to the minute: an exact play from the extended export
    # replaces the same play stored from it, and is not added beside it.
    replaced = c.execute("""
        DELETE FROM plays p USING plays_incoming s
        WHERE NOT p.exact_time AND s.exact_time AND p.track_id = s.track_id
          AND p.ms_played = s.ms_played
          AND p.played_at = date_trunc('minute', s.played_at)
        RETURNING p.played_at""").fetchall()
    new = c.execute(f"""
        WITH added AS (
            INSERT INTO plays SELECT * FROM plays_incoming s
            WHERE s.exact_time OR NOT EXISTS (
                SELECT 1 FROM plays p WHERE p.track_id = s.track_id
                  AND p.ms_played = s.ms_played AND p.exact_time
                  AND date_trunc('minute', p.played_at) = s.played_at)
            ON CONFLICT DO NOTHING
            RETURNING played_at, ms_played, incognito)
        SELECT count(*), min(played_at) FILTER (WHERE {IS_STREAM}),
               max(played_at) FILTER (WHERE {IS_STREAM}),
               min(played_at), max(played_at)
        FROM added""").fetchone()
    staged, first, last = c.execute(
        "SELECT count(*), min(played_at), max(played_at) FROM plays_incoming").fetchone()
    c.execute("DROP TABLE plays_incoming")
    report.plays_new, report.plays_stored = new[0], staged - new[0]
    report.first_play, report.last_play = first, last
    if progress:
        progress("storing plays", 2, 3)
    if report.dry_run:
        return
    changed = [t for t in (new[1], new[2], *(r[0] for r in replaced)) if t is not None]
    if changed and stored_last is not None and max(changed) > stored_last:
        changed.append(stored_last)
    report.lists = top_lists.derive(
        c, (min(changed), max(changed)) if changed else None, progress=progress)
    # Every play counts there (a short one is a play, if not a stream), and so does one replaced.
    touched = [t for t in (new[3], new[4], *(r[0] for r in replaced)) if t is not None]
    rollups.refresh(c, (min(touched), max(touched)) if touched else None)


def _match_account_plays(c: psycopg.Connection, account: list, report: HistoryReport) -> None:
    """Stage the account-data rows that name exactly one known track (by track and artist
    name, as Spotify spells them) as plays whose time is to the minute; count the others."""
    c.execute("CREATE TEMP TABLE account_incoming (ended_at timestamptz, artist_name text,"
              " track_name text, ms_played integer) ON COMMIT DROP")
    with c.cursor() as cur, cur.copy("COPY account_incoming FROM STDIN") as copy:
        for a in account:
            copy.write_row((a.ended_at, a.artist_name, a.track_name, a.ms_played))
    matched = c.execute("""
        WITH candidates AS (
            SELECT a.ended_at, a.ms_played, a.artist_name, a.track_name,
                   min(t.track_id) AS track_id, count(t.track_id) AS n
            FROM account_incoming a
            LEFT JOIN tracks t ON t.name = a.track_name AND t.artist_name = a.artist_name
            GROUP BY a.ctid, a.ended_at, a.ms_played, a.artist_name, a.track_name),
        added AS (
            INSERT INTO plays_incoming (played_at, track_id, ms_played, exact_time)
            SELECT DISTINCT ended_at, track_id, ms_played, false FROM candidates WHERE n = 1
            ON CONFLICT DO NOTHING
            RETURNING 1)
        SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n <> 1),
               (SELECT count(*) FROM added) FROM candidates""").fetchone()
    report.skipped[rows.SKIP_UNMATCHED] += matched[1]
    report.repeated += matched[0] - matched[2]
    c.execute("DROP TABLE account_incoming")


def _record(c: psycopg.Connection, report: HistoryReport) -> None:
    lists = report.lists or top_lists.Derived()
    c.execute(
        "INSERT INTO imports (kind, source, tracks_inserted, plays_inserted, plays_unchanged,"
        " snapshots_inserted, snapshots_updated, snapshots_unchanged, snapshots_removed, skipped)"
        " VALUES ('streaming_history', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (report.source[:500], report.tracks_new, report.plays_new, report.plays_stored,
         lists.counts.inserted, lists.counts.updated, lists.counts.unchanged, lists.removed,
         Jsonb(dict(report.skipped))))


def import_history_upload(data: bytes, name: str, grant: access.Grant | None, **options
                          ) -> HistoryReport:
    """An uploaded zip: read from memory, never written to disk."""
    return import_history([files.Upload(name, data)], grant, source=name, **options)
