"""What the report shows of recipients: unmatched click URLs have their query values masked
(but `utm_*` and the link-ID parameter) in every output, and `--by` refuses a column of
addresses unless `--show-recipients` is given."""

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
from ctamap.report.engines.portable import duckdb_macros
from ctamap.report.engines.sql import transpile
from ctamap.report.privacy import is_recipient_column, masked_url_sql

# SendGrid Event Webhook click events ("Event Webhook Reference", docs.sendgrid.com: `email`,
# `event`, `timestamp`, `url`, `sg_event_id`). Two readers clicked a password-reset style link
# that is in no link map: the URL carries the address and a token.
_LEAK = "https://app.example.com/reset?email=alice%40corp.example&token=s3cr3t-{n}"
_EVENTS = [
    {
        "email": f"{name}@corp.example",
        "event": "click",
        "timestamp": 1714550400 + n,
        "sg_event_id": f"ev-{n}",
        "sg_message_id": f"m{n}.filter01",
        "url": _LEAK.format(n=n) + "&utm_source=newsletter&cta_id=none.such&sig=Zm9vYmFy#section-2",
    }
    for n, name in enumerate(("alice", "bob"))
]
_SECRETS = ("alice", "corp.example", "s3cr3t", "Zm9vYmFy", "bob")


@pytest.fixture
def clicks(tmp_path: Path) -> Path:
    path = tmp_path / "sendgrid.json"
    path.write_text(json.dumps(_EVENTS), "utf-8")
    return path


def _run(link_map: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", "--map", str(link_map), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "output", [["-o", "table"], ["-o", "json"], ["-o", "csv", "--csv-table", "unmatched"]]
)
def test_unmatched_urls_are_masked_in_every_output(
    link_map: Path, clicks: Path, output: list[str]
) -> None:
    code, stdout, _ = _run(link_map, *output, str(clicks))
    assert code == EXIT_OK
    for secret in _SECRETS:
        assert secret not in stdout, (secret, stdout)
    # What a user needs to see why the click is unmatched is still there.
    for kept in ("app.example.com/reset", "utm_source=newsletter", "cta_id=none.such"):
        assert kept in stdout


def test_masked_urls_are_one_row_with_their_clicks_summed(link_map: Path, clicks: Path) -> None:
    code, stdout, _ = _run(link_map, "-o", "json", str(clicks))
    assert code == EXIT_OK
    assert json.loads(stdout)["unmatched"] == [
        {
            "url": "https://app.example.com/reset?email=…&token=…&utm_source=newsletter"
            "&cta_id=none.such&sig=…#section-2",
            "clicks": 2,
        }
    ]


def test_csv_unmatched_table_is_masked(link_map: Path, clicks: Path) -> None:
    code, stdout, _ = _run(link_map, "-o", "csv", "--csv-table", "unmatched", str(clicks))
    assert code == EXIT_OK
    (row,) = csv.DictReader(io.StringIO(stdout))
    assert row["url"].startswith("https://app.example.com/reset?email=…&token=…")
    assert row["clicks"] == "2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://x.example/p?a1b2c3", "https://x.example/p?…"),
        ("https://x.example/p?a&b&c=1&d", "https://x.example/p?…&…&c=…&…"),
        (
            "https://x.example/p?=secret&empty=&UTM_Medium=e",
            "https://x.example/p?=…&empty=&UTM_Medium=e",
        ),
        ("https://x.example/u/alice%40corp.example/x", "https://x.example/u/…/x"),
        ("https://x.example/?utm_content=alice@corp.example", "https://x.example/?utm_content=…"),
        ("https://user:pw@x.example/p", "https://…@x.example/p"),
        ("https://x.example/#/reset?token=abc", "https://x.example/#/reset?token=…"),
        ("https://x.example/p#access_token=abc", "https://x.example/p#access_token=…"),
        ("https://x.example/pricing#plans", "https://x.example/pricing#plans"),
        ("https://x.example/p?CTA_ID=w.buy", "https://x.example/p?CTA_ID=w.buy"),
        ('https://x.example/p?a="b&c d', "https://x.example/p?a=…&…"),
        ("https://x.example/a b?utm_term=x y", "https://x.example/a%20b?utm_term=x%20y"),
    ],
)
def test_mask(url: str, shown: str) -> None:
    con = engine.connect()
    for macro in duckdb_macros():  # the portable operations, as the DuckDB engine defines them
        con.execute(macro)
    row = con.execute(f"SELECT {masked_url_sql('?', 'cta_id')}", [url]).fetchone()
    assert row is not None and row[0] == shown


def test_mask_is_portable_sql() -> None:
    # Every replacement is a literal, so Spark and Trino get `$1` for `\1`; no raw
    # regexp_replace (its flags and group syntax differ per engine).
    sql = masked_url_sql("url", "cta_id")
    assert "regexp_replace" not in sql
    spark = transpile(f"SELECT {sql} AS shown FROM t", "spark")
    assert "$1" in spark and "\\1" not in spark


@pytest.mark.parametrize(
    "column",
    ["recipient", "Recipient", "RECIPIENT_EMAIL", "email", "Email Address", "to", "To",
     "data.to[0]", "msg.rcpt_to", "$.Recipient", "mail.destination", "Subscriber"],
)  # fmt: skip
def test_recipient_like_columns(column: str) -> None:
    assert is_recipient_column(column)


@pytest.mark.parametrize(
    "column", ["template", "campaign", "category", "tag", "custom_args.template", "topic", "url"]
)
def test_other_columns(column: str) -> None:
    assert not is_recipient_column(column)


@pytest.mark.parametrize("column", ["Recipient", "email", "to", "recipient_address"])
def test_by_a_recipient_column_is_a_usage_error(link_map: Path, clicks: Path, column: str) -> None:
    code, stdout, stderr = _run(link_map, "--by", column, str(clicks))
    assert code == EXIT_ERROR
    assert stdout == ""
    (line,) = stderr.splitlines()
    assert line.startswith("ctamap: usage error: --by: ")
    assert "--show-recipients" in line


def test_show_recipients_allows_it(link_map: Path, clicks: Path) -> None:
    code, stdout, _ = _run(
        link_map, "--by", "email", "--show-recipients", "-o", "json", str(clicks)
    )
    assert code == EXIT_OK
    keys = {group["key"] for group in json.loads(stdout)["groups"]}
    assert keys == {"alice@corp.example", "bob@corp.example"}


def _ctamap() -> str:
    exe = shutil.which("ctamap", path=str(Path(sys.executable).parent))
    assert exe is not None
    return exe


@pytest.mark.slow
def test_as_a_subprocess(link_map: Path, clicks: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI")}
    base = [_ctamap(), "report", "--map", str(link_map)]
    shown = subprocess.run(
        [*base, str(clicks)], capture_output=True, text=True, check=False, env=env
    )
    assert shown.returncode == EXIT_OK, shown.stderr
    assert "utm_source=newsletter" in shown.stdout
    for secret in _SECRETS:
        assert secret not in shown.stdout
    refused = subprocess.run(
        [*base, "--by", "Recipient", str(clicks)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert refused.returncode == EXIT_ERROR
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "ctamap: usage error: --by: 'Recipient' holds recipients' addresses; "
        "--show-recipients allows it"
    ]


def test_click_map_shows_masked_urls(link_map: Path, clicks: Path, tmp_path: Path) -> None:
    page = tmp_path / "clicks.html"
    code, _, _ = _run(link_map, "--html", str(page), str(clicks))
    assert code == EXIT_OK
    html = page.read_text("utf-8")
    assert "app.example.com/reset?email=…" in html
    for secret in _SECRETS:
        assert secret not in html
