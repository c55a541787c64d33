"""The inventory: every link of every template as link-map records, and how they are shown."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from ctamap.ids import SCHEMA, LinkMapEntry, Occurrence
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


def records(workspace: Workspace) -> list[LinkMapEntry]:
    """The link-map records of every CTA, at the positions the links have now (the map keeps
    the positions they will have once instrumented)."""
    found: list[LinkMapEntry] = []
    for plan in workspace.plans:
        for entry, cta in zip(plan.entries, plan.template.ctas, strict=True):
            now = tuple(Occurrence(o.line, o.column, o.tag) for o in cta.occurrences)
            found.append(replace(entry, occurrences=now))
    return found


def rows(workspace: Workspace) -> list[Row]:
    shown = {p.key: f.display for f, p in zip(workspace.files, workspace.plans, strict=True)}
    return [
        Row(shown[e.template], o.line, o.column, e.id, e.kind, e.role, e.text, e.url, e.tracked)
        for e in records(workspace)
        for o in e.occurrences
    ]


def _json(workspace: Workspace) -> str:
    links = [asdict(e) for e in records(workspace)]
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
