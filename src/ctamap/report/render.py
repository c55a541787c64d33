"""Renderers for a `Report`, keyed by `--output` name: rich table, JSON, spreadsheet-safe CSV.

Recipients never reach a renderer: the report only holds counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, TextIO

from ctamap.csvfile import csv_writer
from ctamap.csvfile import spreadsheet_safe as safe_cell
from ctamap.report.model import CtaTotals, Report, Summary

_CTA_FIELDS = (
    "id",
    "template",
    "text",
    "url",
    "role",
    "status",
    "total_clicks",
    "unique_clicks",
    "click_share",
    "ctr",
    "ctor",
    # Why `ctr`/`ctor` are null, when they are: JSON and CSV readers get the reason the
    # table prints under its CTAs.
    "note",
)


def _summary_dict(summary: Summary) -> dict[str, Any]:
    return asdict(summary)


def _cta_dict(cta: CtaTotals) -> dict[str, Any]:
    return {name: getattr(cta, name) for name in _CTA_FIELDS}


#: The JSON output's schema name; bump it when a key changes meaning or disappears.
SCHEMA = "ctamap.report/1"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_range(report: Report) -> dict[str, str | None]:
    """The span the events read cover, as ISO 8601 UTC (`null` when nothing was read)."""
    return {"first_event": _time(report.first_event), "last_event": _time(report.last_event)}


def to_json_data(report: Report) -> dict[str, Any]:
    """The design's JSON shape; `by` and `groups` are added when `--by` is used."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "time_range": time_range(report),
        "sources": [
            {"file": note.name, "reader": note.reader, "rows": note.rows} for note in report.sources
        ],
        "errors": list(report.errors),
        "summary": _summary_dict(report.summary),
        "ctas": [_cta_dict(cta) for cta in report.ctas],
        "unmatched": [{"url": u.url, "clicks": u.clicks} for u in report.unmatched],
    }
    if report.by:
        data["by"] = report.by
        data["groups"] = [
            {
                "key": group.key,
                "summary": _summary_dict(group.summary),
                "ctas": [_cta_dict(cta) for cta in group.ctas],
            }
            for group in report.groups
        ]
    return data


def render_json(report: Report, out: TextIO, **_: str) -> None:
    json.dump(to_json_data(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _span_cells(report: Report) -> list[str | None]:
    """The time range the events cover, as the last two cells of every CSV row."""
    span = time_range(report)
    return [span["first_event"], span["last_event"]]


_SPAN_HEADER = ["first_event", "last_event"]


def _csv_ctas(report: Report, writer: Any) -> None:
    span = _span_cells(report)
    if report.by:
        writer.writerow([report.by, *_CTA_FIELDS, *_SPAN_HEADER])
        for group in report.groups:
            for cta in group.ctas:
                values = (safe_cell(v) for v in _cta_dict(cta).values())
                writer.writerow([safe_cell(group.key), *values, *span])
        return
    writer.writerow([*_CTA_FIELDS, *_SPAN_HEADER])
    for cta in report.ctas:
        writer.writerow([*(safe_cell(v) for v in _cta_dict(cta).values()), *span])


def _flat_summary(summary: Summary) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in asdict(summary).items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _csv_summary(report: Report, writer: Any) -> None:
    """One row for the whole report (`group` empty), then one per `--by` group."""
    span = _span_cells(report)
    rows = [("", _flat_summary(report.summary))]
    rows += [(group.key or "(unknown)", _flat_summary(group.summary)) for group in report.groups]
    names: list[str] = []
    for _, flat in rows:
        names.extend(name for name in flat if name not in names)
    writer.writerow(["group", *names, *_SPAN_HEADER])
    for key, flat in rows:
        writer.writerow([safe_cell(key), *(safe_cell(flat.get(name, 0)) for name in names), *span])


def _csv_unmatched(report: Report, writer: Any) -> None:
    span = _span_cells(report)
    writer.writerow(["url", "clicks", *_SPAN_HEADER])
    for item in report.unmatched:
        writer.writerow([safe_cell(item.url), item.clicks, *span])


#: `--csv-table` name -> writer of that table.
CSV_TABLES: dict[str, Callable[[Report, Any], None]] = {
    "ctas": _csv_ctas,
    "summary": _csv_summary,
    "unmatched": _csv_unmatched,
}


def render_csv(report: Report, out: TextIO, csv_table: str = "ctas", **_: str) -> None:
    """One table as CSV: per CTA (per group with `--by`, the default), the summary or the
    unmatched URLs."""
    CSV_TABLES[csv_table](report, csv_writer(out))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _span(report: Report) -> str:
    span = time_range(report)
    if span["first_event"] is None:
        return "no events"
    return f"{span['first_event']} to {span['last_event']}"


def _summary_table(summary: Summary, title: str, span: str | None = None) -> Any:
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    excluded = ", ".join(f"{k} {v:,}" for k, v in summary.excluded.items())
    counted = ", ".join(f"{k} {v:,}" for k, v in summary.counted.items()) or "none"
    delivered = "unknown" if summary.delivered is None else f"{summary.delivered:,}"
    rows = [
        ("rows read", f"{summary.rows_read:,}"),
        ("counted", counted),
        ("excluded", excluded),
        ("clicks counted", f"{summary.clicks_counted:,}"),
        ("delivered", delivered),
        ("unique opens", f"{summary.unique_opens:,} ({_pct(summary.open_rate)})"),
        ("unique clickers", f"{summary.unique_clickers:,}"),
        ("CTR", _pct(summary.ctr)),
        ("CTOR", _pct(summary.ctor)),
        ("CTOR (human opens)", _pct(summary.ctor_human)),
        ("unsubscribes", f"{summary.unsubscribes:,} ({_pct(summary.unsubscribe_rate)})"),
    ]
    if summary.flagged_bot:
        rows.insert(4, ("clicks flagged as bot", f"{summary.flagged_bot:,}"))
    if span is not None:
        rows.insert(0, ("time range", span))
    for name, value in rows:
        table.add_row(name, value)
    return table


_FIGURES = ("clicks", "unique", "share", "CTR", "CTOR")


def _cta_table(ctas: tuple[CtaTotals, ...], title: str, width: int) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    labels = [cta.id if cta.status == "active" else f"{cta.id} (retired)" for cta in ctas]
    figures = [
        (
            f"{cta.total_clicks:,}",
            f"{cta.unique_clicks:,}",
            _pct(cta.click_share),
            _pct(cta.ctr),
            _pct(cta.ctor),
        )
        for cta in ctas
    ]
    widths = [
        max([len(name), *(len(row[n]) for row in figures)]) for n, name in enumerate(_FIGURES)
    ]
    # A column costs its width + 3 (padding, left border), the table 1 more (right border).
    room = width - sum(w + 3 for w in widths) - 1
    longest_id = max([len("CTA"), *map(len, labels)])
    longest_text = max([len("text"), *(len(cta.text) for cta in ctas)])
    # The link ID is what users grep for: kept on one line whenever it fits. Figures never
    # wrap. When ID and text do not fit side by side (80 columns), the text goes under the ID.
    side_by_side = longest_id + longest_text + 3 <= room
    table.add_column("CTA" if side_by_side else "CTA / text", overflow="fold")
    if side_by_side:
        table.add_column("text", overflow="fold")
    for name, figure in zip(_FIGURES, widths, strict=True):
        table.add_column(name, justify="right", no_wrap=True, min_width=figure)
    for label, cta, row in zip(labels, ctas, figures, strict=True):
        # Text, not markup: a CTA reading "[Sale]" is shown as written.
        if side_by_side:
            table.add_row(Text(label), Text(cta.text), *row)
        else:
            table.add_row(Text.assemble(label, "\n", (cta.text, "dim")), *row)
    # A rate shown as "—" is unknown, never zero: say why under the table.
    notes = dict.fromkeys(cta.note for cta in ctas if cta.note)
    if notes:
        from rich.markup import escape

        table.caption = "\n".join(escape(f"CTR/CTOR: {note}") for note in notes)
        table.caption_justify = "left"
    return table


def render_table(report: Report, out: TextIO, **_: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's own handling exits 1 ("findings"); the CLI ends a closed pipe quietly.
            raise BrokenPipeError

    console = _Console(file=out, soft_wrap=False)
    console.print(_summary_table(report.summary, "Summary", _span(report)))
    console.print(_cta_table(report.ctas, "CTAs", console.width))
    for group in report.groups:
        summary = _summary_table(group.summary, f"{report.by}: {group.key or '(unknown)'}")
        if group.note:
            from rich.markup import escape

            summary.caption, summary.caption_justify = escape(f"rates —: {group.note}"), "left"
        console.print(summary)
        if group.ctas:
            title = f"CTAs, {report.by} {group.key or '(unknown)'}"
            console.print(_cta_table(group.ctas, title, console.width))
    if report.unmatched:
        table = Table(title="Unmatched clicks by URL", title_justify="left")
        table.add_column("URL", overflow="fold")
        table.add_column("clicks", justify="right")
        for item in report.unmatched:
            table.add_row(Text(item.url), f"{item.clicks:,}")
        console.print(table)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)


#: `--output` name -> renderer.
RENDERERS: dict[str, Callable[..., None]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
}
