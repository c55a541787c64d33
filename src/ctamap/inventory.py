"""The inventory: every link of every template as link-map records, and how they are shown."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ctamap.ids import SCHEMA
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


def rows(workspace: Workspace) -> list[Row]:
    found: list[Row] = []
    for file, plan in zip(workspace.files, workspace.plans, strict=True):
        for entry in plan.entries:
            for occ in entry.occurrences:
                found.append(
                    Row(
                        file.display, occ.line, occ.column, entry.id, entry.kind, entry.role,
                        entry.text, entry.url, entry.tracked,
                    )
                )  # fmt: skip
    return found


def _json(workspace: Workspace) -> str:
    from dataclasses import asdict

    links = [asdict(e) for plan in workspace.plans for e in plan.entries]
    return json.dumps({"schema": SCHEMA, "links": links}, indent=2, ensure_ascii=False) + "\n"


def _csv(workspace: Workspace) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["template", "line", "column", "id", "kind", "role", "text", "url", "tracked"])
    for r in rows(workspace):
        cells = [r.template, r.line, r.column, r.id, r.kind, r.role, r.text, r.url, r.tracked]
        writer.writerow([_spreadsheet_safe(str(c)) for c in cells])
    return out.getvalue()


def _spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


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
