"""`report -o parquet --output-dir DIR` and `linkmap export`: tables a BI tool or a warehouse
loads, holding the figures the JSON report shows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from ctamap.cli import app

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "events"


def _rows(path: Path) -> list[dict[str, object]]:
    cursor = duckdb.connect().execute(f"SELECT * FROM '{path}'")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_parquet_tables_hold_the_reports_figures(tmp_path: Path, link_map: Path) -> None:
    logs = [str(EVENTS / "sendgrid.json"), str(EVENTS / "postmark.jsonl")]
    runner = CliRunner()
    shown = runner.invoke(app, ["report", "--map", str(link_map), *logs, "-f", "json"])
    report = json.loads(shown.stdout)
    out = tmp_path / "bi"
    done = runner.invoke(
        app, ["report", "--map", str(link_map), *logs, "-f", "parquet", "--output-dir", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    ctas = {row["id"]: row for row in _rows(out / "ctas.parquet")}
    for cta in report["ctas"]:
        assert ctas[cta["id"]]["total_clicks"] == cta["total_clicks"]
        assert ctas[cta["id"]]["unique_clicks"] == cta["unique_clicks"]
        assert ctas[cta["id"]]["ctr"] == cta["ctr"]
    emails = _rows(out / "emails.parquet")
    assert sum(int(str(e["rows_read"])) for e in emails) <= report["summary"]["rows_read"]
    excluded = _rows(out / "excluded.parquet")
    by_reason: dict[str, int] = {}
    for row in excluded:
        by_reason[str(row["reason"])] = by_reason.get(str(row["reason"]), 0) + 1
    assert by_reason == {k: v for k, v in report["summary"]["excluded"].items() if v}


def test_parquet_needs_a_folder(link_map: Path) -> None:
    done = CliRunner().invoke(
        app, ["report", "--map", str(link_map), str(EVENTS / "sendgrid.json"), "-f", "parquet"]
    )
    assert done.exit_code == 2
    assert "--output-dir" in done.output


def test_linkmap_export_gives_the_table_report_sql_joins(tmp_path: Path, link_map: Path) -> None:
    from ctamap.report.model import LINK_SCHEMA, column_names

    runner = CliRunner()
    for fmt in ("csv", "parquet"):
        target = tmp_path / f"links.{fmt}"
        done = runner.invoke(
            app, ["linkmap", "export", "--map", str(link_map), "-f", fmt, "-o", str(target)]
        )
        assert done.exit_code == 0, done.output
        rows = _rows(target)
        assert len(rows) == len(json.loads(link_map.read_text())["links"])
        assert tuple(rows[0]) == column_names(LINK_SCHEMA)
    bad = runner.invoke(app, ["linkmap", "export", "--map", str(link_map), "-f", "xlsx"])
    assert bad.exit_code == 2
