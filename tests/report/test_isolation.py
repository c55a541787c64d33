"""Bad input stays local: a bad line is one malformed row, an unreadable file is named and the
others are still reported, and auto-detection never guesses."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_ERROR, InputError
from ctamap.report import ReportOptions, read_events
from ctamap.report.detect import detect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LINK_MAP = FIXTURES / "events" / "linkmap.json"
SENDGRID = FIXTURES / "providers" / "sendgrid" / "webhook-batches.jsonl"


def _sendgrid_lines() -> list[bytes]:
    events = [e for line in SENDGRID.read_text().splitlines() for e in json.loads(line)]
    return [json.dumps(e).encode() for e in events]


def _read(path: Path) -> list[object]:
    return list(read_events(ReportOptions(maps=(LINK_MAP,), logs=(str(path),))))


@pytest.mark.parametrize(
    "bad",
    [
        b'{"email": "x@example.org", "event": "click", \x01 "timestamp": 1}',
        b'{"email": "caf\xe9@example.org", "event": "open", "timestamp": 1714550400}',
        b'{"email": "x@example.org", "event": "op',
    ],
    ids=["control-byte", "latin-1", "truncated"],
)
@pytest.mark.parametrize("where", [0, 4], ids=["first-line", "middle"])
def test_a_bad_line_is_one_malformed_row(tmp_path: Path, bad: bytes, where: int) -> None:
    lines = _sendgrid_lines()
    lines.insert(where, bad)
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"\n".join(lines) + b"\n")
    events = _read(log)
    assert len(events) == len(lines)
    assert sum(e.malformed for e in events) == 1  # type: ignore[attr-defined]


def test_zero_byte_file_is_zero_rows(tmp_path: Path) -> None:
    log = tmp_path / "empty.json"
    log.write_bytes(b"")
    assert _read(log) == []


def test_detection_is_never_first_wins(tmp_path: Path) -> None:
    both = {"email": "a@example.org", "event": "open", "timestamp": 1, "time": 1}
    with pytest.raises(InputError, match="look like both sendgrid and mailjet"):
        detect("tie.json", [both])
    with pytest.raises(InputError, match=r"unsupported shape \(keys recipient_email, what\)"):
        detect("odd.json", [{"recipient_email": "a", "what": "click"}])
    # Control messages are skipped: a capture may start with them.
    ping = [{"msys": {}}]
    click = {"msys": {"track_event": {"type": "click", "rcpt_to": "a@example.org"}}}
    assert detect("sp.jsonl", [ping, ping, [click]]).name == "sparkpost"
    with pytest.raises(InputError, match="control messages only"):
        detect("pings.jsonl", [ping])


def test_unreadable_files_are_all_named_and_the_rest_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(SENDGRID.read_bytes())
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress(SENDGRID.read_bytes() * 50)[:300])
    folder = tmp_path / "a-folder"
    folder.mkdir()
    odd = tmp_path / "odd.json"
    odd.write_text('[{"who": "a", "when": 1}]')
    files = [good, empty, truncated, folder, odd]
    result = CliRunner().invoke(
        app, ["report", "--map", str(LINK_MAP), "-o", "json", *map(str, files)]
    )
    assert result.exit_code == EXIT_ERROR
    errors = [line for line in result.stderr.splitlines() if line.startswith("ctamap: error:")]
    assert [line.split(": ")[2] for line in errors] == [str(truncated), str(folder), str(odd)]
    data = json.loads(result.stdout)
    assert data["summary"]["rows_read"] == 9  # the good file alone; the empty one adds 0
    assert [s["reader"] for s in data["sources"]] == ["sendgrid", "empty"]
    assert len(data["errors"]) == 3
