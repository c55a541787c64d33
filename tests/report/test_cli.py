"""`ctamap report` as users run it: through Typer's CliRunner and as the installed command."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_ERROR, EXIT_OK
from ctamap.report import engine


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()  # tests/conftest.py clears GITHUB_ACTIONS, NO_COLOR, CI, FORCE_COLOR


def _json_files(events_dir: Path) -> list[str]:
    return [
        str(events_dir / name)
        for name in (
            "sendgrid.json",
            "sendgrid.jsonl.gz",
            "mailgun-events.json",
            "postmark.jsonl",
            "ses.jsonl",
            "sparkpost-events.json",
            "sparkpost-webhook.json",
        )
    ]


def test_json_output_has_the_design_shape(
    runner: CliRunner, link_map: Path, events_dir: Path
) -> None:
    result = runner.invoke(
        app, ["report", "--map", str(link_map), "--output", "json", *_json_files(events_dir)]
    )
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "schema",
        "time_range",
        "sources",
        "errors",
        "summary",
        "ctas",
        "unmatched",
    }
    assert data["schema"] == "ctamap.report/1"
    summary = data["summary"]
    for key in (
        "rows_read",
        "clicks_counted",
        "delivered",
        "unique_opens",
        "open_rate",
        "unique_clickers",
        "ctr",
        "ctor",
        "ctor_human",
        "unsubscribes",
        "unsubscribe_rate",
    ):
        assert key in summary
    assert set(summary["excluded"]) == {
        "bot",
        "duplicate",
        "unmatched",
        "malformed",
        "out_of_window",
    }
    assert summary["rows_read"] == sum(summary["counted"].values()) + sum(
        summary["excluded"].values()
    )
    assert summary["ctor_human"] is not None  # SendGrid and Mailgun report machine opens
    ids = {cta["id"] for cta in data["ctas"]}
    assert {"welcome.get-started", "welcome.pricing", "welcome.txt.get-started"} <= ids
    # Mimecast hides the destination: honestly unmatched, listed by URL.
    assert any("mimecast" in item["url"] for item in data["unmatched"])
    # Recipients never appear in any output.
    assert "@example.org" not in result.stdout


def test_table_output_and_recipients_never_printed(
    runner: CliRunner, link_map: Path, events_dir: Path
) -> None:
    result = runner.invoke(app, ["report", "--map", str(link_map), *_json_files(events_dir)])
    assert result.exit_code == EXIT_OK, result.output
    assert "welcome.get-started" in result.stdout
    assert "@example.org" not in result.stdout


def test_csv_output_is_spreadsheet_safe(runner: CliRunner, tmp_path: Path) -> None:
    link_map = tmp_path / "map.csv"
    link_map.write_text(
        "id,template,text,kind,role,url,tracked_url,status\n"
        'promo.buy,emails/promo.html,"=HYPERLINK(""http://evil"")",button,cta,'
        "https://shop.example.com/buy,https://shop.example.com/buy?cta_id=promo.buy,active\n"
    )
    log = tmp_path / "clicks.csv"
    log.write_text(
        "email,url,time\na@example.org,https://shop.example.com/buy?cta_id=promo.buy,"
        "2024-05-01T08:00:00Z\n"
    )
    result = runner.invoke(app, ["report", "--map", str(link_map), "--output", "csv", str(log)])
    assert result.exit_code == EXIT_OK, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["text"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["total_clicks"] == "1"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["missing.json"], "no such events file"),
        (["bad.csv"], "no recipient, time column"),
        (["garbage.json"], "unsupported shape (keys email, event)"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    runner: CliRunner, link_map: Path, tmp_path: Path, files: list[str], message: str
) -> None:
    (tmp_path / "bad.csv").write_text("who,where,event\nx,y,click\n")
    (tmp_path / "garbage.json").write_text('[{"email": "a", "event": "click"}, {"oops": ')
    result = runner.invoke(
        app, ["report", "--map", str(link_map), *(str(tmp_path / f) for f in files)]
    )
    assert result.exit_code == EXIT_ERROR
    errors = [line for line in result.stderr.splitlines() if line.startswith("ctamap: error:")]
    assert len(errors) == 1
    assert message in errors[0]
    assert "Traceback" not in result.output


def test_bad_link_map_exits_2(runner: CliRunner, tmp_path: Path, events_dir: Path) -> None:
    link_map = tmp_path / "map.json"
    link_map.write_text('{"schema": "ctamap.linkmap/1", "links": [{"id": "x"}]}')
    result = runner.invoke(
        app, ["report", "--map", str(link_map), str(events_dir / "postmark.jsonl")]
    )
    assert result.exit_code == EXIT_ERROR
    assert 'entry #1 (id "x"): missing field(s) template' in result.stderr


def test_stdin_and_since_until(runner: CliRunner, link_map: Path, events_dir: Path) -> None:
    text = (events_dir / "postmark.jsonl").read_text()
    result = runner.invoke(
        app,
        [
            "report",
            "--map",
            str(link_map),
            "-o",
            "json",
            "--since",
            "2024-05-01T08:02:00Z",
            "--until",
            "2024-05-01T08:30:00",
            "-",
        ],
        input=text,
    )
    assert result.exit_code == EXIT_OK, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["excluded"]["out_of_window"] == 3  # delivery, bounce, unsubscribe
    assert summary["clicks_counted"] == 1


def test_connection_never_installs_or_autoloads_extensions() -> None:
    con = engine.connect()
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    # JSON reading works because the extension is built into the wheel, not downloaded.
    (mode,) = con.execute(
        "SELECT install_mode FROM duckdb_extensions() WHERE extension_name = 'json'"
    ).fetchone() or ("",)
    assert mode == "STATICALLY_LINKED"


@pytest.mark.slow
def test_installed_command_as_a_subprocess(link_map: Path, events_dir: Path) -> None:
    exe = shutil.which("ctamap", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI", "NO_COLOR")}
    done = subprocess.run(
        [
            exe,
            "report",
            "--map",
            str(link_map),
            "--output",
            "json",
            str(events_dir / "sendgrid.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["summary"]["clicks_counted"] == 1
    failed = subprocess.run(
        [exe, "report", "--map", str(link_map), "nope.csv"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert failed.returncode == EXIT_ERROR
    assert failed.stderr.startswith("ctamap: error: nope.csv: no such events file")
