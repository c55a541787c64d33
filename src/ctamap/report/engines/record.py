"""`ctamap report --sql DIALECT`: run the pipeline against a recorder instead of an engine.

Every statement the pipeline would run is kept (`sql.Script`), so the printed SQL is the very
query the engines run, over the user's warehouse tables: the normalised events (columns of
`EVENT_SCHEMA`) and the link map (`LINK_SCHEMA`). The email catalogue, built from the link
map and templates, is inlined as rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ctamap.errors import CtamapError
from ctamap.report.engines.sql import Script, rows_select
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import EVENT_SCHEMA, ReportOptions, Schema, SourceNote, column_names

#: Names the report's own tables use; an input table may not be called one of them.
_RESERVED = frozenset({"events", "links", "url_links", "classified"})


class RecordingEngine:
    """An engine that runs nothing and remembers everything (for `--sql`)."""

    name = "record"

    def __init__(self, events_table: str, map_table: str) -> None:
        for option, table in (("--events-table", events_table), ("--map-table", map_table)):
            if table.lower() in _RESERVED:
                raise CtamapError(f"{option} {table}: that name is the report's own; rename it")
        self.script = Script({})
        order = ", ".join(column_names(EVENT_SCHEMA))
        # A row id from the row itself, so every reference numbers the rows alike (identical
        # rows are interchangeable). The warehouse has no row id of its own to lend.
        self.script.table(
            "events",
            f"SELECT *, row_number() OVER (ORDER BY {order}) AS rid FROM {events_table}",
        )
        self.script.table("links", f"SELECT * FROM {map_table}")

    def load_events(
        self, options: ReportOptions, unread: frozenset[str] = frozenset()
    ) -> tuple[tuple[SourceNote, ...], tuple[CtamapError, ...]]:
        return (), ()

    def load_links(self, entries: list[LinkMapEntry]) -> None:
        return None

    def load_table(self, name: str, schema: Schema, rows: Sequence[tuple[object, ...]]) -> None:
        self.script.table(name, rows_select(schema, rows))

    def run(self, statement: str, *, progress: bool = False, label: str = "") -> None:
        self.script.statement(statement)

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        self.script.query(sql)
        return []

    def count(self, table: str) -> int:
        return 0

    def write_parquet(self, target: str, sql: str) -> None:
        raise CtamapError("--sql prints the query; it writes no tables")

    def close(self) -> None:
        return None


def report_sql(
    options: ReportOptions,
    entries: list[LinkMapEntry],
    dialect: str,
    *,
    events_table: str,
    map_table: str,
) -> str:
    """The whole report as `dialect` SQL over the named tables."""
    from ctamap.report.pipeline import stage_two

    recorder = RecordingEngine(events_table, map_table)
    stage_two(recorder, entries, options, (options.by,))
    title = (
        f"ctamap report ({dialect}): normalised events in {events_table}, the link map in "
        f"{map_table}. One query per result; the rates are divided from them (docs/"
        "spark-and-warehouses.md)."
    )
    return recorder.script.render(dialect, title=title)
