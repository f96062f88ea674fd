"""`python -m db`: the database from the command line, resolved exactly as the app resolves it.

Exit 0 on success; on an expected failure, one line on stderr and exit 1 (2 for a bad argument).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import psycopg

from db import config, ingest, migrations, redact, status
from db.derive import local_time, top_lists
from db.errors import ConfigurationError, DatabaseError, first_line
from db.ingest import demo, json_files, legacy_sqlite, streaming_history
from db.ingest.spotify import enrich, sync
from db.model import access
from db.model.snapshots import TIME_RANGES
from db.stress import runner

PROG = "python -m db"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        print(f"{PROG}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Music Time Machine database tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("migrate", help="apply pending schema migrations")
    seed = commands.add_parser("seed-demo", help="fill an empty database with demo data")
    seed.add_argument("--tracks", type=_whole_number, default=2000, help="tracks (default 2000)")
    seed.add_argument("--days", type=_whole_number, default=90, help="days of snapshots (default 90)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    commands.add_parser("status", help="where the database is, schema version, row counts")
    bench = commands.add_parser("bench", help="the concurrent-write benchmark (its own schema)")
    bench.add_argument("--writes", type=_whole_number, default=500, help="upserts (default 500)")
    bench.add_argument("--workers", type=_whole_number, default=10,
                       help="worker threads sharing the pool (default 10)")
    bench.add_argument("--sqlite", action="store_true",
                       help="also run the workload on a throwaway SQLite file, for comparison")
    bench.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    json_import = commands.add_parser(
        "import-json", help="import Spotify API payloads saved as JSON files")
    json_import.add_argument("paths", nargs="+", metavar="PATH", help="JSON files")
    json_import.add_argument("--snapshot-date", metavar="YYYY-MM-DD",
                             help="with --time-range: a top-tracks response's order becomes "
                                  "that day's ranks")
    json_import.add_argument("--time-range", choices=list(TIME_RANGES))
    json_import.add_argument("--dry-run", action="store_true",
                             help="check and count, write nothing")
    sqlite_import = commands.add_parser(
        "import-sqlite", help="migrate the earlier app's SQLite file (tracks, then snapshots)")
    sqlite_import.add_argument("path", metavar="PATH", help="the earlier app's .db file")
    sqlite_import.add_argument("--dry-run", action="store_true",
                               help="check and count, write nothing")
    history = commands.add_parser(
        "import-history", help="import Spotify's data export (extended streaming history): "
                               "plays, and the daily top lists derived from them")
    history.add_argument("paths", nargs="+", metavar="PATH",
                         help="the zip as downloaded, its unpacked folder, or its JSON files")
    history.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    commands.add_parser("derive-lists", help="derive every daily top list from the stored plays "
                                             "again (after changing MTM_TIMEZONE)")
    sync_spotify = commands.add_parser(
        "sync-spotify", help="record today's top tracks of the connected Spotify account "
                             "(connect it on the app's Data page first), then fetch details of "
                             "tracks known only from the data export within the daily budget")
    sync_spotify.add_argument("--no-details", action="store_true",
                              help="record the top lists only; fetch no track details")
    enrich_tracks = commands.add_parser(
        "enrich-tracks", help="fetch from Spotify the details (track object: release year, "
                              "explicit flag) of tracks known only from the data export: saved "
                              "and recently played tracks 50 a request, then one a request, most "
                              "listened first, within MTM_ENRICH_DAILY_REQUESTS a day (default "
                              "1000); resumable")
    enrich_tracks.add_argument("--limit", type=_whole_number, metavar="N",
                               help="ask for at most N tracks one by one in this run")
    # How the app runs it (db.stress.runner.start_in_background): under the lease the app took, at a
    # lower CPU priority, progress as machine-readable lines, every latency in the JSON.
    bench.add_argument("--app-run", metavar="LEASE_HOLDER", help=argparse.SUPPRESS)
    return parser


def _progress(stage: str, done: int, total: int) -> None:
    print(f"  {stage}: {done:,} / {total:,}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> None:
    target = config.resolve()
    quiet = getattr(args, "json", False) or getattr(args, "app_run", None)  # stdout: JSON alone
    print(f"database: {target.description} ({target.source})",
          file=sys.stderr if quiet else sys.stdout)
    if args.command == "migrate":
        applied = migrations.migrate()
        for migration in applied:
            print(f"applied {migration.version:04d}_{migration.name}")
        print(f"schema is at version {migrations.current_version()}"
              + ("" if applied else " (already up to date)"))
    elif args.command == "seed-demo":
        access.operator()  # it writes tracks and snapshots: refused when read-only
        migrations.migrate()
        summary = demo.seed_demo(args.tracks, args.days, args.seed, progress=_progress)
        print(f"wrote {summary['tracks']:,} demo tracks and {summary['snapshots']:,} snapshot "
              f"rows ({summary['days']} days to {summary['end']}, seed {summary['seed']})")
    elif args.command == "status":
        _print_status(status.database_status())
    elif args.command == "bench":
        _bench(args)
    elif args.command == "import-json":
        _import_json(args)
    elif args.command == "import-sqlite":
        _import_sqlite(args)
    elif args.command == "derive-lists":
        migrations.migrate()
        result = top_lists.derive_again(access.operator(), progress=_progress)
        print(f"derived lists in {local_time.zone_name()}: {result.line()}")
    elif args.command == "import-history":
        migrations.migrate()
        report = streaming_history.import_history(args.paths, access.operator(),
                                                  dry_run=args.dry_run, progress=_progress)
        print(report.line())
    elif args.command == "sync-spotify":
        migrations.migrate()
        report = sync.sync_spotify(access.operator(), progress=_step)
        print(report.line())
        if not args.no_details:
            _enrich_tracks(args, limit=None)
    elif args.command == "enrich-tracks":
        migrations.migrate()
        _enrich_tracks(args, limit=args.limit)


def _step(stage: str, done: int, total: int) -> None:
    print(f"  [{done}/{total}] {stage}", file=sys.stderr, flush=True)


class _StoppedBySpotify(DatabaseError):
    """Spotify asked the run to stop for a while: what was fetched is kept; run it again later."""


def _enrich_tracks(args: argparse.Namespace, limit: int | None) -> None:
    shown: set[tuple[str, int]] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if (stage, done // 100) not in shown or done == total:  # a line per 100 tracks
            shown.add((stage, done // 100))
            _step(stage, done, total)

    report = enrich.enrich_tracks(access.operator(), progress=progress, limit=limit)
    print(report.line())
    if report.reconnect:
        print(sync.RECONNECT_FOR_DETAILS)
    if report.stopped:  # not done: exit 1 so that a script knows to run it again later
        raise _StoppedBySpotify(f"stopped early: {report.stopped}; then run `{PROG} "
                                f"{args.command}` again")


class _SomeFilesRefused(DatabaseError):
    """Some files were imported, others refused (each said why)."""


def _import_json(args: argparse.Namespace) -> None:
    migrations.migrate()
    grant = access.operator()
    refused = 0
    for path in args.paths:
        try:
            report = json_files.import_json(path, grant, snapshot_date=args.snapshot_date,
                                         time_range=args.time_range, dry_run=args.dry_run)
        except ingest.ImportRejected as exc:
            if len(args.paths) == 1:
                raise
            refused += 1
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            continue
        print(report.line())
    if refused:
        raise _SomeFilesRefused(f"{refused} of {len(args.paths)} files refused; nothing of "
                                "those was written")


def _import_sqlite(args: argparse.Namespace) -> None:
    migrations.migrate()
    shown: set[tuple[str, int]] = set()

    def progress(table: str, done: int, total: int) -> None:
        step = (table, done * 10 // max(total, 1))
        if step not in shown:
            shown.add(step)
            print(f"  {table}: {done:,} / {total:,} rows read", file=sys.stderr, flush=True)

    report = legacy_sqlite.import_sqlite(args.path, access.operator(), dry_run=args.dry_run,
                                         progress=progress)
    verb = "would write" if args.dry_run else "wrote"
    print(f"{report.source}: read {report.read['tracks']:,} tracks and "
          f"{report.read['snapshots']:,} snapshot rows; {verb} tracks: {report.tracks}; "
          f"snapshots: {report.snapshots}; 0 rejected")


def _bench(args: argparse.Namespace) -> None:
    migrations.migrate()
    steps: set[int] = set()
    stages: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        if args.app_run:
            print(f"{runner.PROGRESS_PREFIX}{stage}\t{done}\t{total}", file=sys.stderr, flush=True)
            return
        if not stages or stages[-1] != stage:
            stages.append(stage)
            steps.clear()
            print(f"  {stage}", file=sys.stderr, flush=True)
        step = done * 10 // total
        if step not in steps:
            steps.add(step)
            print(f"  {done:,} / {total:,} writes", file=sys.stderr, flush=True)

    lease = None
    if args.app_run:
        if hasattr(os, "nice"):
            os.nice(runner.APP_RUN_NICENESS)  # viewers of the app that started it come first
        lease = runner.Lease.adopt(args.app_run)
    outcome = runner.run(args.writes, args.workers, args.sqlite, progress=progress, lease=lease)
    result, others = outcome.postgres, outcome.sqlite
    if args.json or args.app_run:
        latencies = bool(args.app_run)
        data = result.as_dict(with_latencies=latencies)
        if others:
            data["sqlite"] = [other.as_dict(with_latencies=latencies) for other in others]
        print(json.dumps(data))
        return
    for each in [*others, result]:  # PostgreSQL last: the output ends with its sentence
        print(f"{each.engine}: {each.writes:,} upserts of one row from {each.workers} workers")
        print(f"  failures: {each.failures:,}"
              + "".join(f"\n    {n:,} x {message}" for message, n in each.errors.items()))
        print(f"  {each.writes_per_s:,.0f} writes/s; latency p50 {each.p50_ms:.2f} ms, "
              f"p95 {each.p95_ms:.2f} ms, p99 {each.p99_ms:.2f} ms, max {each.max_ms:.2f} ms")
        print(f"  rows for the benchmark key: {each.rows_for_key}")
        if each.pool:
            print(f"  pool: {each.pool['requests_queued']:,} of {each.pool['requests_num']:,} "
                  f"requests waited, {each.pool['requests_wait_ms']:,} ms in all; "
                  f"{each.pool['connections_num']} connections opened")
        print(each.summary_line)


def _print_status(info: dict) -> None:
    print(f"server: PostgreSQL {info['server_version']}")
    version, latest = info["schema_version"], info["latest_schema_version"]
    if version == 0:
        print(f"schema: none (run `{PROG} migrate`)")
        return
    state = "up to date" if version >= latest else f"{latest - version} pending; run `{PROG} migrate`"
    print(f"schema: version {version} ({state})")
    print(f"tracks: {info['tracks']:,}")
    print(f"snapshots: {info['snapshots']:,}")
    if info["snapshot_days"]:
        print(f"snapshot dates: {info['first_snapshot']} to {info['last_snapshot']} "
              f"({info['snapshot_days']:,} days)")
    if info["derived_snapshots"]:
        print(f"  of which derived from the streaming history: {info['derived_snapshots']:,}")
    if info["plays"] is not None:
        span = (f" ({info['first_play']:%Y-%m-%d} to {info['last_play']:%Y-%m-%d})"
                if info["plays"] else f" (import Spotify's data export: `{PROG} import-history`)")
        print(f"plays: {info['plays']:,}{span}")
    if info["demo"]:
        print(f"demo data: yes (seed {info['demo'].get('seed')})")
    if info["details_waiting"]:
        print(f"tracks waiting for details: {info['details_waiting']:,} (`{PROG} "
              "enrich-tracks`, or the daily sync-spotify)")
    standing = info["budget"]
    if isinstance(standing, ConfigurationError):
        print(f"spotify requests: {standing}")
    elif standing is not None and standing.used:
        print(f"spotify requests in the last 24 h: {standing.used:,} of {standing.daily:,}"
              + (f"; Spotify asked for quiet until {standing.not_before:%Y-%m-%d %H:%M} UTC"
                 if standing.quiet else ""))
    account = info.get("spotify")
    if account is None:
        print(f"spotify: not connected (connect on the app's Data page; then `{PROG} "
              "sync-spotify`)")
    else:
        last = f"{account.last_sync_at:%Y-%m-%d %H:%M %Z}" if account.last_sync_at else "never"
        print(f"spotify: connected as {account.name} (scope {account.scope}); last sync: {last}")


def main(argv: list[str] | None = None) -> int:
    redact.install_log_scrubber()
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except DatabaseError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"{PROG}: error: database error: {first_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
