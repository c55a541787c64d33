"""The inventory: every link of every template as link-map records, and how they are shown."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ctamap import boxtable
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


def _width() -> int:
    """A terminal's own width; a pipe or file gets wide rows rather than folded ones."""
    return shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200


def _table(workspace: Workspace) -> str:
    found = rows(workspace)
    cells = [
        [r.template, f"{r.line}:{r.column}", r.id, r.kind, r.role, r.text, r.url,
         "yes" if r.tracked else "no"]
        for r in found
    ]  # fmt: skip
    headers = ("template", "line:col", "id", "kind", "role", "text", "url", "tracked")
    return boxtable.render(f"{len(found)} links", headers, cells, _width())


FORMATS: dict[str, Callable[[Workspace], str]] = {"table": _table, "json": _json, "csv": _csv}


# -- Per email: what a recipient gets ------------------------------------------------------------


def with_layouts(workspace: Workspace) -> Workspace:
    """`workspace` with the layouts and partials its templates use planned too (read from disk
    when the PATHs did not name them), so their links show with their IDs."""
    from ctamap.graph import TemplateGraph
    from ctamap.workspace import load_workspace

    graph = TemplateGraph.of(
        [(f, p.template) for f, p in zip(workspace.files, workspace.plans, strict=True)],
        workspace.config,
    )
    named = {f.path for f in workspace.files}
    extra = {u.path: u for f in workspace.files for u in graph.uses(f) if u.path not in named}
    if not extra:
        return workspace
    files = sorted([*workspace.files, *extra.values()], key=lambda f: f.display)
    more = load_workspace(files, workspace.config, map_path=workspace.map_path)
    return more._replace(errors=(*workspace.errors, *more.errors))


@dataclass(frozen=True)
class EmailRow:
    """One link a recipient of `email` gets, and the template it is written in."""

    email: str
    row: Row  # row.template: the email itself, or the layout/partial the link comes from


def email_rows(workspace: Workspace) -> list[EmailRow]:
    """Each email's composed links: its own, then those of each layout and partial it uses
    (transitively, in the order it uses them). Layouts and partials are not listed as emails."""
    from ctamap.graph import TemplateGraph

    pairs = list(zip(workspace.files, workspace.plans, strict=True))
    graph = TemplateGraph.of([(f, p.template) for f, p in pairs], workspace.config)
    by_path: dict[Any, list[Row]] = {}
    for file, plan in pairs:
        by_path[file.path] = [
            Row(file.display, o.line, o.column, e.id, e.kind, e.role, e.text, e.url, e.tracked)
            for e, cta in zip(plan.entries, plan.template.ctas, strict=True)
            for o in cta.occurrences
        ]
    found: list[EmailRow] = []
    for email in graph.emails():
        for source in (email, *graph.uses(email)):
            found.extend(EmailRow(email.display, r) for r in by_path.get(source.path, []))
    return found


_EMAIL_COLUMNS = ["email", "from", "line", "column", "id", "kind", "role", "text", "url", "tracked"]


def _cells(e: EmailRow) -> list[Any]:
    r = e.row
    return [e.email, r.template, r.line, r.column, r.id, r.kind, r.role, r.text, r.url, r.tracked]


def _json_by_email(workspace: Workspace) -> str:
    emails: dict[str, list[dict[str, Any]]] = {}
    for e in email_rows(workspace):
        record = dict(zip(_EMAIL_COLUMNS[1:], _cells(e)[1:], strict=True))
        emails.setdefault(e.email, []).append(record)
    listed = [{"email": name, "links": links} for name, links in emails.items()]
    return json.dumps({"schema": SCHEMA, "emails": listed}, indent=2, ensure_ascii=False) + "\n"


def _csv_by_email(workspace: Workspace) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(_EMAIL_COLUMNS)
    for e in email_rows(workspace):
        writer.writerow([spreadsheet_safe(str(c)) for c in _cells(e)])
    return out.getvalue()


def _table_by_email(workspace: Workspace) -> str:
    found = email_rows(workspace)
    cells = [
        [e.email, "" if e.row.template == e.email else e.row.template,
         f"{e.row.line}:{e.row.column}", e.row.id, e.row.kind, e.row.role, e.row.text, e.row.url,
         "yes" if e.row.tracked else "no"]
        for e in found
    ]  # fmt: skip
    headers = ("email", "from", "line:col", "id", "kind", "role", "text", "url", "tracked")
    return boxtable.render(f"{len(found)} links by email", headers, cells, _width())


BY_EMAIL: dict[str, Callable[[Workspace], str]] = {
    "table": _table_by_email,
    "json": _json_by_email,
    "csv": _csv_by_email,
}
