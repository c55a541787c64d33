"""The commands as a user runs them: exit codes, output formats, messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK

from .conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    target = tmp_path / "campaign"
    shutil.copytree(FIXTURES / "campaign", target)
    return target


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


def test_instrument_check_then_fix_then_check_clean(campaign: Path) -> None:
    before = (campaign / "welcome.html").read_bytes()
    checked = _ctamap("instrument", "--check", ".", cwd=campaign)
    assert checked.returncode == EXIT_FINDINGS, checked.stderr
    assert "would change: welcome.html" in checked.stderr
    assert (campaign / "welcome.html").read_bytes() == before
    fixed = _ctamap("instrument", ".", cwd=campaign)
    assert fixed.returncode == EXIT_OK, fixed.stderr
    assert (campaign / "ctamap.linkmap.json").exists()
    again = _ctamap("instrument", "--check", ".", cwd=campaign)
    assert again.returncode == EXIT_OK, again.stderr
    assert again.stdout == "" and again.stderr == ""


def test_diff_shows_only_changed_lines(campaign: Path) -> None:
    result = runner.invoke(
        app,
        [
            "instrument",
            "--check",
            "--diff",
            str(campaign),
            "--config",
            str(campaign / "ctamap.toml"),
        ],
    )
    assert result.exit_code == EXIT_FINDINGS
    removed = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert len(removed) == 6  # <BODY>, the logo, the VML and its twin, invite, guide
    assert all("href" in line or "<BODY" in line for line in removed)


def test_out_dir_mirrors_the_tree_and_leaves_sources(campaign: Path, tmp_path: Path) -> None:
    before = (campaign / "welcome.html").read_bytes()
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["instrument", str(campaign), "--out-dir", str(out), "--map", str(out / "map.json")]
    )
    assert result.exit_code == EXIT_OK, result.output
    assert (campaign / "welcome.html").read_bytes() == before
    assert "cta_id=welcome.get-started" in (out / "welcome.html").read_text()
    assert (out / "welcome.txt").read_bytes() == (campaign / "welcome.txt").read_bytes()


def test_inventory_json_has_link_map_records(campaign: Path) -> None:
    result = _ctamap("inventory", "--format", "json", ".", cwd=campaign)
    assert result.returncode == EXIT_OK, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "ctamap.linkmap/2"
    button = next(e for e in data["links"] if e["id"] == "welcome.get-started")
    assert [o["tag"] for o in button["occurrences"]] == ["v:roundrect", "a"]
    assert button["kind"] == "button" and button["tracked"] is True


def test_inventory_table_and_csv(campaign: Path) -> None:
    table = runner.invoke(
        app,
        ["inventory", str(campaign / "welcome.html"), "--config", str(campaign / "ctamap.toml")],
    )
    assert table.exit_code == EXIT_OK
    assert "welcome.get-started" in table.stdout and "Get started" in table.stdout
    csv_out = runner.invoke(app, ["inventory", "--format", "csv", str(campaign)])
    assert csv_out.stdout.splitlines()[0] == "template,line,column,id,kind,role,text,url,tracked"
    assert "'+1 555 555 0100" in csv_out.stdout  # spreadsheet-safe


def test_broken_template_exits_2_with_path_and_line(campaign: Path) -> None:
    (campaign / "broken.html").write_text("<p>\n{% if x %}\n")
    result = _ctamap("instrument", ".", cwd=campaign)
    assert result.returncode == EXIT_ERROR
    assert "broken.html:2: template syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    assert "cta_id" in (campaign / "welcome.html").read_text()  # the others still ran


def test_config_typo_is_exit_2_with_did_you_mean(campaign: Path) -> None:
    (campaign / "ctamap.toml").write_text('first_party_domain = ["example.com"]\n')
    result = _ctamap("inventory", ".", cwd=campaign)
    assert result.returncode == EXIT_ERROR
    assert "did you mean 'first_party_domains'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_utm_value_is_a_config_error(campaign: Path) -> None:
    result = runner.invoke(
        app,
        [
            "instrument",
            str(campaign),
            "--campaign",
            "Spring Sale",
            "--map",
            str(campaign / "m.json"),
        ],
    )
    assert result.exit_code == EXIT_ERROR
    assert "not house style" in result.output


def test_missing_path_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", str(tmp_path / "nope")])
    assert result.exit_code == EXIT_ERROR
    assert "no such file or folder" in result.output


def test_config_command_shows_origin(campaign: Path) -> None:
    result = _ctamap("config", cwd=campaign)
    assert result.returncode == EXIT_OK
    assert "ctamap.toml" in result.stdout.splitlines()[0]
    assert 'first_party_domains = ["example.com"]' in result.stdout


def test_stdin_template_is_instrumented_to_stdout(tmp_path: Path) -> None:
    page = '<html><body><a href="https://example.com/go">Go</a></body></html>\n'
    result = subprocess.run(
        [sys.executable, "-m", "ctamap", "instrument", "-", "--map", str(tmp_path / "m.json")],
        input=page, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == page.replace("/go", "/go?utm_source=newsletter&amp;utm_medium=email"
        "&amp;utm_campaign=stdin&amp;utm_content=stdin.go&amp;cta_id=stdin.go")  # fmt: skip
