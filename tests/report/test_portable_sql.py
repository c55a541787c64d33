"""The report SQL is written once (DuckDB's dialect) and transpiled: every stage-two statement,
over a matrix of options, must carry none of the constructs that silently break elsewhere, and
`report --sql` must print SQL each warehouse dialect parses."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlglot

from ctamap.report.engines import DIALECTS
from ctamap.report.engines.record import RecordingEngine, report_sql
from ctamap.report.engines.sql import transpile
from ctamap.report.linkmap import load_link_maps
from ctamap.report.model import BotMode, ReportOptions
from ctamap.report.pipeline import stage_two

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"

MATRIX = [
    {},
    {"dedupe_window": 10.0},
    {"bots": BotMode.INCLUDE},
    {"bots": BotMode.FLAG, "by": "day"},
    {"by": "template"},
    {"by": "campaign", "since": datetime(2024, 1, 1), "until": datetime(2025, 1, 1)},
    {"by": "part", "link_id_param": "lid"},
    {"by": "customer_tier"},
]

#: DuckDB-only constructs, and the functions whose meaning differs on other engines.
DUCKDB_ONLY = {
    "rowid": re.compile(r"\browid\b", re.I),
    "NOT MATERIALIZED": re.compile(r"\bNOT\s+MATERIALIZED\b", re.I),
    "try(": re.compile(r"\btry\s*\(", re.I),
    "hash( (64-bit here, 32-bit in Spark)": re.compile(r"(?<![\w.])hash\s*\(", re.I),
    "regexp_replace( ('\\1' means '$1' in Java)": re.compile(r"\bregexp_replace\s*\(", re.I),
}


def _statements(options: ReportOptions) -> list[str]:
    """Every statement and query stage two runs, in DuckDB's dialect, as the pipeline runs them."""
    seen: list[str] = []

    class Spy(RecordingEngine):
        def run(self, statement: str, *, progress: bool = False, label: str = "") -> None:
            seen.append(statement)
            super().run(statement)

        def fetch(self, sql: str) -> list[dict[str, object]]:
            seen.append(sql)
            return super().fetch(sql)

    entries = load_link_maps((FIXTURES / "linkmap.json",))
    stage_two(Spy("ctamap_events", "ctamap_links"), entries, options, (options.by,))
    return seen


@pytest.mark.parametrize("overrides", MATRIX, ids=lambda o: ",".join(o) or "defaults")
def test_stage_two_has_no_duckdb_only_construct(overrides: dict[str, object]) -> None:
    options = ReportOptions(maps=(), logs=(), **overrides)  # type: ignore[arg-type]
    statements = _statements(options)
    assert len(statements) > 8
    for statement in statements:
        for trap, pattern in DUCKDB_ONLY.items():
            assert not pattern.search(statement), f"{trap} in:\n{statement[:400]}"


@pytest.mark.parametrize("overrides", MATRIX, ids=lambda o: ",".join(o) or "defaults")
def test_every_statement_transpiles_to_spark_cleanly(
    overrides: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    options = ReportOptions(maps=(), logs=(), **overrides)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="sqlglot"):
        spark = [transpile(statement, "spark") for statement in _statements(options)]
    # sqlglot logs what it cannot translate ("Unsupported TRY function") and goes on.
    assert not [r.getMessage() for r in caplog.records]
    for sql in spark:
        assert "ctamap_" not in sql.replace("ctamap_events", "").replace("ctamap_links", "")
        assert not re.search(r"(?<![\w.])HASH\(", sql), sql[:300]
        # Java's replacement syntax: a `\1` would be inserted literally.
        for replacement in re.findall(r"REGEXP_REPLACE\((?:[^()]|\([^()]*\))*?, '([^']*)'\)", sql):
            assert "\\1" not in replacement


@pytest.mark.parametrize("dialect", DIALECTS)
def test_report_sql_parses_in_its_dialect(dialect: str) -> None:
    entries = load_link_maps((FIXTURES / "linkmap.json",))
    options = ReportOptions(maps=(), logs=(), dedupe_window=10.0, by="day")
    sql = report_sql(options, entries, dialect, events_table="raw.events", map_table="raw.links")
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    # The functions a dialect lacks come first, then one query per result.
    assert len(statements) == sql.count("-- result") + (dialect in ("bigquery", "snowflake"))
    assert "raw.events" in sql and "raw.links" in sql
    assert "ctamap_decode" not in sql and "ctamap_hash64" not in sql


def test_report_sql_refuses_an_input_named_like_its_own_tables() -> None:
    from ctamap.errors import CtamapError

    with pytest.raises(CtamapError, match="--events-table events"):
        RecordingEngine("events", "ctamap_links")


def test_printed_duckdb_sql_gives_the_engines_rows(link_map: Path) -> None:
    """The --sql output run over tables holding the same events gives the rows the engine
    fetched: the printed query is the one that runs, not a copy."""
    from ctamap.report.engines.duckdb import DuckDBEngine

    fetched: list[list[dict[str, object]]] = []

    class Spy(DuckDBEngine):
        def fetch(self, sql: str) -> list[dict[str, object]]:
            rows = super().fetch(sql)
            fetched.append(rows)
            return rows

    logs = (str(FIXTURES / "sendgrid.json"), str(FIXTURES / "postmark.jsonl"))
    options = ReportOptions(maps=(link_map,), logs=logs, dedupe_window=10.0, by="day")
    entries = load_link_maps(options.maps)
    engine = Spy(options)
    stage_two(engine, entries, options, (options.by,))
    engine.con.execute("CREATE TABLE ctamap_events AS SELECT * FROM events")
    engine.con.execute("CREATE TABLE ctamap_links AS SELECT * FROM links")
    sql = report_sql(options, entries, "duckdb", events_table="ctamap_events",
                     map_table="ctamap_links")  # fmt: skip
    queries = [q for q in sql.split(";\n") if "SELECT" in q]
    assert len(queries) == len(fetched)
    for query, rows in zip(queries, fetched, strict=True):
        cursor = engine.con.execute(query)
        names = [d[0] for d in cursor.description]
        got = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        key = repr
        assert sorted(got, key=key) == sorted(rows, key=key)
    assert sum(map(len, fetched)) > 10


def test_the_default_engine_imports_neither_sqlglot_nor_pyspark(link_map: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ctamap.report import ReportOptions, run_report\n"
        f"run_report(ReportOptions(maps=(Path({str(link_map)!r}),), "
        f"logs=({str(FIXTURES / 'sendgrid.json')!r},)))\n"
        "print(sorted({'sqlglot', 'pyspark'} & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cli_prints_the_query_for_a_warehouse(link_map: Path) -> None:
    from typer.testing import CliRunner

    from ctamap.cli import app

    result = CliRunner().invoke(
        app,
        ["report", "--sql", "trino", "--map", str(link_map), "--events-table", "lake.ev",
         "--map-table", "lake.links", "--dedupe-window", "10s"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.stdout, read="trino") if s is not None]
    assert len(statements) == result.stdout.count("-- result") >= 5
    assert "FROM lake.ev" in result.stdout
    bad = CliRunner().invoke(app, ["report", "--sql", "oracle", "--map", str(link_map)])
    assert bad.exit_code == 2
