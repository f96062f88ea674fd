"""The files of Spotify's data export, wherever they are: the zip as downloaded (on disk or
uploaded, held in memory), an unpacked folder, or the JSON files. History files are found by name
(history_rows.file_kind), never by folder. Nothing is ever written to disk from a zip: entry
names with ``..`` or absolute paths refuse the whole zip, and what is unpacked is counted
against MTM_IMPORT_MAX_MB as it is read, so a zip bomb stops early.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from db.ingest import ImportRejected, max_file_bytes
from db.ingest import history_rows as rows

CHUNK = 1 << 20


@dataclass(frozen=True)
class Upload:
    """A zip held in memory (the Data page's upload), passed where a path goes."""

    name: str
    data: bytes


def refuse(source: str, problem: str) -> ImportRejected:
    """The refusal of ``source``; a problem that names the source file itself says it once."""
    return ImportRejected(source, [problem.removeprefix(f"{source}: ")])


class Budget:
    """Bytes unpacked so far, against MTM_IMPORT_MAX_MB."""

    def __init__(self, source: str) -> None:
        self.source, self.left, self.limit = source, max_file_bytes(), max_file_bytes()

    def read(self, stream: IO[bytes], name: str) -> bytes:
        parts = []
        while chunk := stream.read(CHUNK):
            self.left -= len(chunk)
            if self.left < 0:
                raise refuse(self.source, f"{name}: the history unpacks to more than "
                                           f"{self.limit / 2**20:,.0f} MB (MTM_IMPORT_MAX_MB)")
            parts.append(chunk)
        return b"".join(parts)


def history_files(paths: list[Path | Upload], source: str
                  ) -> Iterator[tuple[str, str, Callable]]:
    """(name shown, kind, read(budget) -> bytes) for every history file in ``paths``."""
    found = False
    for path in paths:
        if isinstance(path, Upload):
            if not zipfile.is_zipfile(io.BytesIO(path.data)):
                raise refuse(source, f"{path.name}: not a zip file")
            for entry in _zip_entries(io.BytesIO(path.data), path.name, source):
                found = True
                yield entry
            continue
        if not path.exists():
            raise refuse(source, f"{path.name}: no such file or folder")
        if path.is_dir():
            for each in sorted(p for p in path.rglob("*") if p.is_file()):
                if kind := rows.file_kind(each.name):
                    found = True
                    yield str(each.relative_to(path)), kind, _file_reader(each)
        elif zipfile.is_zipfile(path):
            for entry in _zip_entries(path, path.name, source):
                found = True
                yield entry
        elif path.suffix.lower() == ".zip":
            raise refuse(source, f"{path.name}: not a zip file")
        elif kind := rows.file_kind(path.name):
            found = True
            yield path.name, kind, _file_reader(path)
        else:
            raise refuse(source, f"{path.name}: not a zip, a folder or a streaming-history "
                                  "file (Streaming_History_Audio_*.json, endsong_*.json, "
                                  "StreamingHistory_music_*.json)")
    if not found:
        raise refuse(source, "no streaming-history files found (Streaming_History_Audio_*.json,"
                              " endsong_*.json or StreamingHistory_music_*.json)")


def _file_reader(path: Path) -> Callable:
    def read(budget: Budget) -> bytes:
        with open(path, "rb") as stream:
            return budget.read(stream, path.name)
    return read


def _zip_entries(path: Path | IO[bytes], shown: str, source: str
                 ) -> list[tuple[str, str, Callable]]:
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(source, f"{shown}: not a readable zip file ({exc})") from None
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or PurePosixPath(name).is_absolute() or ".." in name.split("/") \
                or (len(name) > 1 and name[1] == ":"):
            raise refuse(source, f"{shown}: entry {info.filename[:80]!r} has an unsafe "
                                  "path (absolute or with ..)")
    entries = []
    for info in infos:
        if info.is_dir() or not (kind := rows.file_kind(info.filename)):
            continue

        def read(budget: Budget, info: zipfile.ZipInfo = info) -> bytes:
            try:
                with archive.open(info) as stream:
                    return budget.read(stream, info.filename)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError,
                    EOFError) as exc:
                raise refuse(source, f"{info.filename}: cannot be unpacked ({exc})") from None
        entries.append((info.filename, kind, read))
    return entries


def parse_file(name: str, data: bytes, source: str) -> list:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(source, f"{name}: not UTF-8 text (byte {exc.start:,})") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(source, f"{name}: not valid JSON at line {exc.lineno}, column "
                              f"{exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise refuse(source, f"{name}: not valid JSON: nested too deeply") from None
    if not isinstance(parsed, list):
        raise refuse(source, f"{name}: expected a JSON array of plays")
    return parsed
