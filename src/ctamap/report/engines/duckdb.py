"""The default engine: embedded DuckDB, reading the files itself (stage one in
`pipeline.load_events`), running stage two as written.

The report SQL is DuckDB's dialect already; the only rewrites are DuckDB-only hints that the
portable SQL leaves out (they would pass untouched through sqlglot into other dialects).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ctamap.errors import CtamapError, InputError
from ctamap.report import engine as connection
from ctamap.report.engines.base import split_create
from ctamap.report.engines.portable import duckdb_macros
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import ReportOptions, Schema, SourceNote, column_names, create_table

#: DuckDB-only rewrites of the portable SQL: every table has a `rowid`, so the row id other
#: engines assign at load (`rid`) is free here; `clicks` (filter.py) is read four times and is
#: cheaper recomputed from the compressed `events` than materialised (5 M rows: classified
#: 4.4 -> 3.9 s cpu). `classified` (one row per event, written once, read by every figure) is
#: a temporary table: kept in memory as written (spilled past the budget like any buffer)
#: instead of compressed into the database file, which cost more than all its readers save
#: (process CPU, SendGrid JSONL: 5 M 12.8 -> 12.1 s, 20 M 71.8 -> 56.1 s; peak 861 MB at 20 M).
_REWRITES = (
    (re.compile(r"\be\.rid\b"), "e.rowid"),
    (re.compile(r"\bclicks AS \("), "clicks AS NOT MATERIALIZED ("),
    (
        re.compile(r"\bCREATE OR REPLACE TABLE classified AS\b"),
        "CREATE OR REPLACE TEMP TABLE classified AS",
    ),
)


def duckdb_sql(statement: str) -> str:
    """The statement as DuckDB runs it."""
    for pattern, replacement in _REWRITES:
        statement = pattern.sub(replacement, statement)
    return statement


class DuckDBEngine:
    """Stage two on one in-memory DuckDB connection."""

    name = "duckdb"

    def __init__(self, options: ReportOptions) -> None:
        self.con = connection.connect(options.memory_limit)
        for macro in duckdb_macros():
            self.con.execute(macro)

    def load_events(
        self, options: ReportOptions, unread: frozenset[str] = frozenset()
    ) -> tuple[tuple[SourceNote, ...], tuple[CtamapError, ...]]:
        from ctamap.report.pipeline import load_events

        return load_events(self.con, options, unread)

    def load_links(self, entries: list[LinkMapEntry]) -> None:
        from ctamap.report.attribute import load_links

        load_links(self.con, entries)

    def load_table(self, name: str, schema: Schema, rows: Sequence[tuple[object, ...]]) -> None:
        # One statement: one list parameter per column.
        self.con.execute(create_table(name, schema))
        columns = [[row[i] for row in rows] for i in range(len(schema))]
        unnested = ", ".join(f"unnest(?::{kind}[]) AS {column}" for column, kind in schema)
        names = ", ".join(column_names(schema))
        self.con.execute(f"INSERT INTO {name} ({names}) SELECT {unnested}", columns)

    def run(self, statement: str, *, progress: bool = False, label: str = "") -> None:
        connection.execute(
            self.con, duckdb_sql(statement), progress=progress, label=label or "working"
        )

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(duckdb_sql(sql))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def write_parquet(self, target: str, sql: str) -> None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con.execute(f"COPY ({duckdb_sql(sql)}) TO '{_quoted(target)}' (FORMAT parquet)")
        except duckdb.Error as exc:
            raise InputError(f"cannot write parquet ({exc})", path=target) from None

    def close(self) -> None:
        self.con.close()


def _quoted(path: str) -> str:
    return str(path).replace("'", "''")


def write_rows_parquet(target: Path, schema: Schema, rows: Sequence[tuple[object, ...]]) -> None:
    """A table of rows as one Parquet file (`linkmap export`)."""
    engine = DuckDBEngine(ReportOptions(maps=(), logs=()))
    try:
        engine.load_table("ctamap_rows", schema, rows)
        engine.write_parquet(str(target), "SELECT * FROM ctamap_rows")
    finally:
        engine.close()


def create(options: ReportOptions) -> DuckDBEngine:
    """A DuckDB engine with the options' memory budget."""
    return DuckDBEngine(options)


__all__ = ["DuckDBEngine", "create", "duckdb_sql", "split_create"]
