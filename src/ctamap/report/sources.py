"""Event files as DuckDB will read them: stdin spooled to a file, gzip noticed, layout sniffed.

Only the first records of a file are looked at here (to choose the container layout and, with
`--format auto`, the provider); DuckDB reads the whole file afterwards, once.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from ctamap.errors import InputError

_SNIFF_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


class Layout(StrEnum):
    """How records sit in a file."""

    CSV = "csv"
    JSON_LINES = "jsonl"
    JSON_ARRAY = "array"
    JSON_DOCUMENTS = "documents"
    """One or more (pretty-printed) JSON values, e.g. a Mailgun `{"items": [...]}` page."""


@dataclass(frozen=True)
class Source:
    """One event file ready for DuckDB."""

    name: str
    """As the user gave it (`-` for stdin), for messages."""
    path: Path
    """The file DuckDB reads (a spooled copy for stdin)."""
    gzipped: bool
    layout: Layout
    sample: Mapping[str, Any] | None
    """First JSON record after unwrapping pages and webhook envelopes; None for CSV."""
    delimiter: str = ","
    """CSV delimiter, sniffed from the header line."""
    header: tuple[str, ...] = ()
    """CSV column names. Read here and given to DuckDB with auto-detection off: its sniffer
    gives up on files with a short or long row, and such a row must only be one malformed row."""


def _spool_stdin(stack: ExitStack) -> Path:
    """Copy stdin to a temporary file: DuckDB needs a seekable path, and stdin is read once."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ctamap-")))
    stream: BinaryIO = sys.stdin.buffer
    head = stream.read(2)
    target = folder / ("stdin.gz" if head == _GZIP_MAGIC else "stdin")
    with target.open("wb") as out:
        out.write(head)
        shutil.copyfileobj(stream, out)
    return target


def _head(path: Path, gzipped: bool, name: str) -> str:
    try:
        if gzipped:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(_SNIFF_BYTES)
        else:
            with path.open("rb") as fh:
                raw = fh.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read events file ({exc})", path=name) from None
    text = raw.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def unwrap(record: Any) -> Any:
    """The event inside a page or webhook envelope (mirrors the SQL in `readers`)."""
    while True:
        if isinstance(record, list):
            record = record[0] if record else None
        elif isinstance(record, dict):
            if isinstance(record.get("items"), list):
                record = record["items"][0] if record["items"] else None
            elif isinstance(record.get("results"), list):
                record = record["results"][0] if record["results"] else None
            elif isinstance(record.get("event-data"), dict):
                record = record["event-data"]
            elif isinstance(record.get("msys"), dict) and record["msys"]:
                record = next(iter(record["msys"].values()))
            elif record.get("Type") == "Notification" and isinstance(record.get("Message"), str):
                try:
                    record = json.loads(record["Message"])
                except json.JSONDecodeError:
                    return record
            else:
                return record
        else:
            return record


def _first_json(text: str) -> tuple[Layout, Any]:
    decoder = json.JSONDecoder()
    stripped = text.lstrip()
    if stripped.startswith("["):
        body = stripped[1:].lstrip()
        try:
            first, _ = decoder.raw_decode(body)
        except json.JSONDecodeError:
            first = None
        return Layout.JSON_ARRAY, first
    first_line = stripped.split("\n", 1)[0].strip()
    try:
        first = json.loads(first_line)
        return Layout.JSON_LINES, first
    except json.JSONDecodeError:
        pass
    try:
        first, _ = decoder.raw_decode(stripped)
    except json.JSONDecodeError:
        first = None
    return Layout.JSON_DOCUMENTS, first


def _csv_header(text: str) -> tuple[str, tuple[str, ...]]:
    import csv

    line = text.split("\n", 1)[0].rstrip("\r")
    try:
        delimiter = str(csv.Sniffer().sniff(line, delimiters=",;\t|").delimiter)
    except csv.Error:
        delimiter = ","
    cells = next(csv.reader([line], delimiter=delimiter), [])
    names: list[str] = []
    for n, cell in enumerate(cells, 1):
        name = cell.strip() or f"column{n}"
        # DuckDB needs distinct names; a repeated header gets a suffix.
        while name in names:
            name = f"{name}_{n}"
        names.append(name)
    return delimiter, tuple(names)


def _describe(name: str, path: Path) -> Source:
    if not path.is_file():
        raise InputError("no such events file", path=name)
    try:
        with path.open("rb") as fh:
            gzipped = fh.read(2) == _GZIP_MAGIC
    except OSError as exc:
        raise InputError(f"cannot read events file ({exc})", path=name) from None
    text = _head(path, gzipped, name)
    if not text.strip():
        raise InputError("events file is empty", path=name)
    if text.lstrip()[:1] in ("[", "{"):
        layout, first = _first_json(text)
        sample = unwrap(first)
        return Source(name, path, gzipped, layout, sample if isinstance(sample, Mapping) else None)
    delimiter, header = _csv_header(text)
    return Source(name, path, gzipped, Layout.CSV, None, delimiter, header)


def open_sources(names: tuple[str, ...], stack: ExitStack) -> Iterator[Source]:
    """Describe every input; stdin (`-`) is spooled into a folder `stack` removes."""
    if not names:
        raise InputError("no events files given (pass one or more files, or - for stdin)")
    for name in names:
        path = _spool_stdin(stack) if name == "-" else Path(name)
        yield _describe(name, path)
