"""The inventory: every link of every template as link-map records, and how they are shown."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ctamap.classify import Cta
from ctamap.csvfile import csv_writer, spreadsheet_safe
from ctamap.linkmap import SCHEMA, LinkMapEntry
from ctamap.workspace import Workspace


@dataclass(frozen=True)
class Row:
    """One occurrence of a CTA, with where it stands."""

    template: str
    line: int
    column: int
    id: str
    kind: str
    role: str
    text: str
    url: str
    tracked: bool


def records(workspace: Workspace) -> Iterator[tuple[LinkMapEntry, Cta]]:
    """The link-map record of every CTA with the CTA itself, whose occurrences say where it
    stands now (the map keeps no positions)."""
    for plan in workspace.plans:
        yield from zip(plan.entries, plan.template.ctas, strict=True)


def rows(workspace: Workspace) -> list[Row]:
    shown = {p.key: f.display for f, p in zip(workspace.files, workspace.plans, strict=True)}
    return [
        Row(shown[e.template], o.line, o.column, e.id, e.kind, e.role, e.text, e.url, e.tracked)
        for e, cta in records(workspace)
        for o in cta.occurrences
    ]


def _record(entry: LinkMapEntry, cta: Cta) -> dict[str, Any]:
    positions = [{"line": o.line, "column": o.column, "tag": o.tag} for o in cta.occurrences]
    return {**entry.as_dict(), "occurrences": positions}


def _json(workspace: Workspace) -> str:
    links = [_record(e, cta) for e, cta in records(workspace)]
    return json.dumps({"schema": SCHEMA, "links": links}, indent=2, ensure_ascii=False) + "\n"


def _csv(workspace: Workspace) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["template", "line", "column", "id", "kind", "role", "text", "url", "tracked"])
    for r in rows(workspace):
        cells = [r.template, r.line, r.column, r.id, r.kind, r.role, r.text, r.url, r.tracked]
        writer.writerow([spreadsheet_safe(str(c)) for c in cells])
    return out.getvalue()


def _table(workspace: Workspace) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows(workspace))} links", title_justify="left")
    for name in ("template", "line:col", "id", "kind", "role", "text", "url", "tracked"):
        table.add_column(name, overflow="fold")
    for r in rows(workspace):
        table.add_row(
            r.template, f"{r.line}:{r.column}", r.id, r.kind, r.role, r.text, r.url,
            "yes" if r.tracked else "no",
        )  # fmt: skip
    # A terminal's own width; a pipe or file gets wide rows rather than folded ones.
    width = shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text(styles=False)


FORMATS: dict[str, Callable[[Workspace], str]] = {"table": _table, "json": _json, "csv": _csv}
