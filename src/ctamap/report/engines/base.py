"""The engine protocol stage two runs on (ibis's backend shape, kept small).

The pipeline hands an engine DuckDB-dialect statements built by `attribute`, `filter` and
`aggregate`: `CREATE OR REPLACE TABLE name AS SELECT …` to materialise a table, plain SELECTs
to fetch figures. Each engine runs them its own way; nothing here imports an engine library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from ctamap.errors import CtamapError
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import ReportOptions, Schema, SourceNote

_CREATE = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+(\w+)\s+AS\s+", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*", re.IGNORECASE)


class EngineError(CtamapError):
    """The engine cannot run (not installed, cannot start): exit 2 with what to do."""


def split_create(statement: str) -> tuple[str, str] | None:
    """(table, SELECT) of a `CREATE OR REPLACE TABLE t AS SELECT …`; None for other SQL."""
    match = _CREATE.match(statement)
    if match is None:
        return None
    return match.group(1), statement[match.end() :]


def split_insert(statement: str) -> tuple[str, tuple[str, ...], str] | None:
    """(table, columns, SELECT) of an `INSERT INTO t (a, b) SELECT …`; None for other SQL."""
    match = _INSERT.match(statement)
    if match is None:
        return None
    columns = tuple(c.strip() for c in match.group(2).split(","))
    return match.group(1), columns, statement[match.end() :]


class Engine(Protocol):
    """Load the two input tables, materialise stage-two tables, fetch rows by column name."""

    name: str

    def load_events(
        self, options: ReportOptions, unread: frozenset[str] = frozenset()
    ) -> tuple[tuple[SourceNote, ...], tuple[CtamapError, ...]]:
        """Stage one: every readable input into `events`; what was read, what could not be.
        The columns in `unread` are read by no statement of the run: they may be left NULL."""
        ...

    def load_links(self, entries: list[LinkMapEntry]) -> None:
        """The link map as the `links` table."""
        ...

    def load_table(self, name: str, schema: Schema, rows: Sequence[tuple[object, ...]]) -> None:
        """A small table from rows (the email catalogue), replacing any table of that name."""
        ...

    def run(self, statement: str, *, progress: bool = False, label: str = "") -> None:
        """Run one DuckDB-dialect statement: `CREATE OR REPLACE TABLE t AS SELECT …` or
        `INSERT INTO t (columns) SELECT …`."""
        ...

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        """The rows of one DuckDB-dialect SELECT, as dicts by column name."""
        ...

    def count(self, table: str) -> int:
        """How many rows `table` has."""
        ...

    def write_parquet(self, target: str, sql: str) -> None:
        """Write the rows of one DuckDB-dialect SELECT as Parquet at `target`."""
        ...

    def close(self) -> None:
        """Release the engine (a Spark session is stopped by its owner, not here)."""
        ...
