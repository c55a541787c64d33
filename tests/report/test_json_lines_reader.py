"""JSON lines of flat records are read through DuckDB's typed `read_json` (declared columns):
the rows are the generic reader's rows, every line is still one row, and a whole POST body on a
line far past the sampled first lines is still expanded into its events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctamap.report import ReportOptions, read_events
from ctamap.report.model import Event
from ctamap.report.normalise import declared_read
from ctamap.report.providers import BY_NAME
from ctamap.report.sources import SAMPLE_VALUES, _describe

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LINK_MAP = FIXTURES / "events" / "linkmap.json"
# Each line a whole SendGrid POST body (an array), as SendGrid's docs show the webhook payload.
BATCHES = FIXTURES / "providers" / "sendgrid" / "webhook-batches.jsonl"


def _events() -> list[dict[str, object]]:
    return [event for line in BATCHES.read_text().splitlines() for event in json.loads(line)]


def _read(path: Path) -> list[Event]:
    return read_events(ReportOptions(maps=(LINK_MAP,), logs=(str(path),)))


def _rows(events: list[Event]) -> list[tuple[object, ...]]:
    return sorted((tuple(str(v) for v in event.__dict__.values()) for event in events), key=repr)


def test_one_event_per_line_reads_the_rows_the_batches_give(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in _events()))
    assert declared_read(_describe(log.name, log), BY_NAME["sendgrid"]) is not None
    assert _rows(_read(log)) == _rows(_read(BATCHES))


def test_a_batch_line_past_the_sample_is_expanded_and_a_bad_line_is_one_row(
    tmp_path: Path,
) -> None:
    events = _events()
    plain = [json.dumps(events[n % len(events)]) for n in range(SAMPLE_VALUES + 50)]
    batch = json.dumps(events)
    lines = [*plain[: SAMPLE_VALUES + 10], batch, '{"email": "cut@example.org", "eve', "[]"]
    lines += plain[SAMPLE_VALUES + 10 :]
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(lines) + "\n")
    assert declared_read(_describe(log.name, log), BY_NAME["sendgrid"]) is not None
    read = _read(log)
    # Every plain line one row, the batch line its events, the cut line one malformed row and
    # the empty batch no row.
    assert len(read) == len(plain) + len(events) + 1
    assert sum(event.malformed for event in read) == 1


def test_duckdb_spills_within_the_budget_in_the_system_temp_folder(tmp_path: Path) -> None:
    """`--memory` bounds the process: DuckDB gets the budget less a reserve for the rest of
    the process, and spills into a private folder under the system temp folder, never into
    the folder the user runs ctamap in."""
    import tempfile

    from ctamap.report.engine import connect

    for budget, most in (("1GB", 10**9), ("512MB", 512 * 10**6)):
        con = connect(budget)
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
        assert float(limit.split()[0]) * 2**20 <= most - 200 * 2**20
        assert Path(spill).parent == Path(tempfile.gettempdir())


def test_a_long_query_draws_no_progress_bar_on_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """stdout carries the report (`-o json > report.json`): DuckDB's own bar, drawn once a
    query runs longer than its threshold (here: at once), must not land in it."""
    from ctamap.report.engine import connect

    con = connect()
    con.execute("SET progress_bar_time = 0")
    con.execute("SELECT count(DISTINCT i % 7919) FROM range(20000000) t(i)").fetchall()
    assert capfd.readouterr().out == ""
