"""`ctamap report` output as a user reads it: the covered time range in every format, a table
that fits an 80-column terminal whatever the names, the JSON schema name, bad option values as
one-line usage errors, and a pipe closed early (`| head -1`) ending quietly."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_ERROR, EXIT_OK

FIRST, LAST = "2024-05-01T08:00:00Z", "2024-05-01T08:26:40Z"  # of fixtures/events/sendgrid.json

_LONG_ID = "spring-launch-2024-newsletter-for-enterprise-customers.hero-get-started-now"
_LONG_TEMPLATE = "emails/marketing/2024/spring/launch/newsletter-for-enterprise-customers.html"
_LONG_TEXT = "Get started with the enterprise plan today and save twenty percent"


def _invoke(*args: str, columns: int = 200) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def sendgrid(link_map: Path, events_dir: Path) -> list[str]:
    return ["--map", str(link_map), str(events_dir / "sendgrid.json")]


def test_table_states_the_time_range(sendgrid: list[str]) -> None:
    code, stdout, _ = _invoke(*sendgrid)
    assert code == EXIT_OK
    assert f"{FIRST} to {LAST}" in stdout


def test_json_states_schema_and_time_range(sendgrid: list[str]) -> None:
    code, stdout, _ = _invoke(*sendgrid, "-o", "json")
    assert code == EXIT_OK
    data = json.loads(stdout)
    assert data["schema"] == "ctamap.report/1"
    assert data["time_range"] == {"first_event": FIRST, "last_event": LAST}


def test_unknown_rates_say_why_in_json_and_csv(sendgrid: list[str]) -> None:
    # The sample delivers the welcome email only: the receipt's CTA has no known deliveries.
    code, stdout, _ = _invoke(*sendgrid, "-f", "json")
    assert code == EXIT_OK
    ctas = {cta["id"]: cta for cta in json.loads(stdout)["ctas"]}
    assert ctas["welcome.get-started"]["ctr"] == 1.0
    assert ctas["welcome.get-started"]["note"] is None
    receipt = ctas["receipt.view-order"]
    assert receipt["ctr"] is None and receipt["ctor"] is None
    assert receipt["note"] == "no deliveries known for this email"
    code, stdout, _ = _invoke(*sendgrid, "-f", "csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(stdout))}
    assert rows["receipt.view-order"]["ctr"] == ""
    assert rows["receipt.view-order"]["note"] == "no deliveries known for this email"


@pytest.mark.parametrize("table", ["ctas", "summary", "unmatched"])
def test_every_csv_table_states_the_time_range(
    link_map: Path, events_dir: Path, table: str
) -> None:
    # The SparkPost sample has an unmatched (Mimecast) click, so every table has rows.
    code, stdout, _ = _invoke(
        "--map", str(link_map), "-o", "csv", "--csv-table", table,
        str(events_dir / "sparkpost-webhook.json"),
    )  # fmt: skip
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert rows
    spans = {(row["first_event"], row["last_event"]) for row in rows}
    assert len(spans) == 1 and all(value.endswith("Z") for value in spans.pop())


def test_no_events_says_so(link_map: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("")
    code, stdout, _ = _invoke("--map", str(link_map), str(empty))
    assert code == EXIT_OK
    assert "no events" in stdout
    code, stdout, _ = _invoke("--map", str(link_map), "-o", "json", str(empty))
    assert json.loads(stdout)["time_range"] == {"first_event": None, "last_event": None}


@pytest.fixture
def long_names(tmp_path: Path) -> list[str]:
    """A link map and click log with names far wider than a terminal."""
    link_map = tmp_path / "map.csv"
    link_map.write_text(
        "id,template,text,kind,role,url,tracked_url,status\n"
        f"{_LONG_ID},{_LONG_TEMPLATE},{_LONG_TEXT},button,cta,https://shop.example.com/buy,"
        f"https://shop.example.com/buy?cta_id={_LONG_ID},active\n"
        f"w.short,{_LONG_TEMPLATE},[Sale] Buy,text,cta,https://shop.example.com/sale,"
        "https://shop.example.com/sale?cta_id=w.short,active\n"
    )
    long_url = "https://www.example.com/" + "/".join(["a-long-path-segment"] * 12)
    log = tmp_path / "clicks.csv"
    log.write_text(
        "email,url,time,template\n"
        f"a@example.org,https://shop.example.com/buy?cta_id={_LONG_ID},"
        f"2024-05-01T08:00:00Z,{_LONG_TEMPLATE}\n"
        f"b@example.org,https://shop.example.com/sale?cta_id=w.short,"
        f"2024-05-01T09:00:00Z,{_LONG_TEMPLATE}\n"
        f"c@example.org,{long_url}?utm_source=newsletter,2024-05-02T08:00:00Z,{_LONG_TEMPLATE}\n"
    )
    return ["--map", str(link_map), str(log)]


@pytest.mark.parametrize("by", [[], ["--by", "template"], ["--by", "day"]])
def test_table_fits_80_columns(long_names: list[str], by: list[str]) -> None:
    code, stdout, _ = _invoke(*long_names, *by, columns=80)
    assert code == EXIT_OK
    too_wide = [line for line in stdout.splitlines() if len(line) > 80]
    assert not too_wide, "\n".join(too_wide)
    # Nothing is cut short to fit: the long ID and URL are all there, folded in their column.
    first_cells = "".join(
        line.split("│")[1].strip() for line in stdout.splitlines() if line.startswith("│")
    )
    assert _LONG_ID in first_cells
    assert "/".join(["a-long-path-segment"] * 12) + "?utm_source=newsletter" in first_cells
    assert "[Sale] Buy" in stdout  # shown as written, not taken for markup
    # Every figure column is still there and readable.
    assert "clicks" in stdout and "CTOR" in stdout and "100.0%" in stdout


def test_wide_terminal_keeps_id_and_text_side_by_side(long_names: list[str]) -> None:
    code, stdout, _ = _invoke(*long_names, columns=200)
    assert code == EXIT_OK
    assert any(_LONG_ID in line and _LONG_TEXT in line for line in stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--since", "yesterday"], "--since"),
        (["--until", "2024-13-01"], "--until"),
        (["--since", "2024-06-01", "--until", "2024-05-01"], "--since"),
        (["--dedupe-window", "abc"], "--dedupe-window"),
        (["--bot-burst-window", "soon"], "--bot-burst-window"),
        (["--bots", "maybe"], "--bots"),
        (["--output-format", "xml"], "--output-format"),
        (["--output", "xml"], "--output-format"),  # the older spelling
        (["--csv-table", "rows"], "--csv-table"),
        (["--input-format", "hotmail"], "--input-format"),
        (["--format", "hotmail"], "--input-format"),  # the older spelling
        (["--memory", "lots"], "--memory"),
        (["--column", "who"], "--column"),
        (["--delivered", "10", "--sent", "12"], "--sent"),
        (["--bounced", "3"], "--bounced"),
        (["--sent", "5", "--bounced", "9"], "--bounced"),
        (["--by", "Recipient"], "--by"),
    ],
)
def test_bad_option_values_are_one_line_usage_errors(
    sendgrid: list[str], args: list[str], hint: str
) -> None:
    code, stdout, stderr = _invoke(*sendgrid, *args)
    assert code == EXIT_ERROR
    assert stdout == ""
    assert stderr.splitlines() == [stderr.strip()]
    assert stderr.startswith(f"ctamap: usage error: {hint}: ")


@pytest.mark.parametrize(
    ("args", "hint", "says"),
    [
        (["--bot-burst", "1"], "--bot-burst", "1 is not in the range x>=2"),
        (["--delivered", "-1"], "--delivered", "-1 is not in the range x>=0"),
        (["--top-unmatched", "-5"], "--top-unmatched", "-5 is not in the range x>=0"),
        (["--delivered", "many"], "--delivered", "'many' is not a valid int range"),
        (["--bot-min-seconds", "x"], "--bot-min-seconds", "'x' is not a valid float"),
    ],
)
def test_values_typer_checks_are_one_line_usage_errors_too(
    sendgrid: list[str], args: list[str], hint: str, says: str
) -> None:
    # Typer checks ranges and types while parsing, before the command runs: as the installed
    # command prints them, not Click's boxed usage block.
    done = subprocess.run(
        [*_ctamap(), "report", *sendgrid, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "80"},
    )
    assert done.returncode == EXIT_ERROR
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"ctamap: usage error: {hint}: {says}."]


def _ctamap() -> list[str]:
    exe = Path(sys.executable).with_name("ctamap")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ctamap"]


@pytest.fixture(scope="module")
def many_unmatched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SendGrid export with 3,000 distinct unmatched URLs: far more output than a pipe holds."""
    path = tmp_path_factory.mktemp("pipe") / "sendgrid.json"
    events = [
        {
            "email": f"r{n}@example.org",
            "event": "click",
            "timestamp": 1714550400 + n,
            "sg_event_id": f"ev-{n}",
            "url": f"https://www.example.com/article-{n}/a-rather-long-slug-for-the-page",
        }
        for n in range(3000)
    ]
    path.write_text(json.dumps(events), "utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_head_1_ends_quietly(
    link_map: Path, many_unmatched: Path, output: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI")}
    args = ["report", "--map", str(link_map), "-o", output, "--top-unmatched", "3000"]
    if output == "csv":
        args += ["--csv-table", "unmatched"]
    process = subprocess.Popen(
        [*_ctamap(), *args, str(many_unmatched)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # `| head -1`: one line, then the reader is gone
    process.stdout.close()
    with process.stderr:
        stderr = process.stderr.read().decode()
    code = process.wait(timeout=120)
    assert first.strip()
    assert code in (EXIT_OK, 141), stderr
    assert "BrokenPipe" not in stderr and "Traceback" not in stderr, stderr
    assert "internal error" not in stderr and "Exception ignored" not in stderr, stderr
