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
from collections.abc import Iterator
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
    sample: tuple[Any, ...] = ()
    """The first raw JSON values (lines, array elements, documents); empty for CSV."""
    empty: bool = False
    """The file holds nothing (0 bytes or blanks): 0 rows, not an error."""
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


#: How many raw values detection looks at: enough to get past control messages.
SAMPLE_VALUES = 200


def _line_values(text: str) -> list[Any] | None:
    """The JSON values of the first lines, or None when the text is not JSON lines.

    JSON lines when most sampled non-blank lines are whole JSON values: a corrupt first line
    does not make the file something else, and a line holding a whole `[...]` POST body is
    one line of a JSON-lines file, not the start of one JSON array.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    values: list[Any] = []
    bad = 0
    for line in lines[: SAMPLE_VALUES * 2]:
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
        if len(values) >= SAMPLE_VALUES:
            break
    return values if values and len(values) >= bad else None


def _decoded_values(text: str, position: int, skip: str) -> list[Any]:
    """Up to SAMPLE_VALUES JSON values decoded from `position` on, stepping over the characters
    in `skip` between them; stops at the end, a `]` or the first value that does not decode
    (the sample may end inside a value)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    while len(values) < SAMPLE_VALUES:
        while position < len(text) and text[position] in skip:
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        values.append(value)
    return values


def _document_values(text: str) -> list[Any]:
    """Successive JSON values of a file of (pretty-printed or concatenated) documents."""
    return _decoded_values(text, 0, " \t\r\n")


def _array_values(text: str) -> list[Any]:
    """The first elements of a JSON array (the sample may end inside the array)."""
    return _decoded_values(text, text.index("[") + 1, " \t\r\n,")


def _json_layout(text: str) -> tuple[Layout, list[Any]]:
    values = _line_values(text)
    if values is not None:
        return Layout.JSON_LINES, values
    stripped = text.lstrip()
    if stripped.startswith("["):
        return Layout.JSON_ARRAY, _array_values(stripped)
    return Layout.JSON_DOCUMENTS, _document_values(stripped)


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
    if path.is_dir():
        raise InputError("is a folder, not an events file", path=name)
    if not path.is_file():
        raise InputError("no such events file", path=name)
    try:
        with path.open("rb") as fh:
            gzipped = fh.read(2) == _GZIP_MAGIC
    except OSError as exc:
        raise InputError(f"cannot read events file ({exc.strerror})", path=name) from None
    text = _head(path, gzipped, name)
    if not text.strip():
        return Source(name, path, gzipped, Layout.JSON_LINES, empty=True)
    if text.lstrip()[:1] in ("[", "{"):
        layout, values = _json_layout(text)
        return Source(name, path, gzipped, layout, tuple(values))
    delimiter, header = _csv_header(text)
    return Source(name, path, gzipped, Layout.CSV, delimiter=delimiter, header=header)


def open_sources(names: tuple[str, ...], stack: ExitStack) -> Iterator[Source | InputError]:
    """Describe every input, or say why it cannot be read (one file never stops the others);
    stdin (`-`) is spooled into a folder `stack` removes."""
    if not names:
        raise InputError("no events files given (pass one or more files, or - for stdin)")
    for name in names:
        try:
            path = _spool_stdin(stack) if name == "-" else Path(name)
            yield _describe(name, path)
        except InputError as error:
            yield error
