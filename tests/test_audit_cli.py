"""`ctamap audit` and `ctamap rules` as a user runs them: formats, selection, exit codes."""

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
from ctamap.rules import DOC_SECTIONS

from .conftest import FIXTURES

runner = CliRunner()

CLEAN = """<!doctype html>
<html><body>
<a href="{{ action_url }}" class="button">Confirm your address</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a>
</body></html>
"""
BAD = '<p><a href="#">click here</a></p>\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # config discovery stops here
    (tmp_path / "clean.html").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "bad.html").write_text(BAD, encoding="utf-8")
    return tmp_path


def test_clean_exit_0_and_summary_on_stderr(folder: Path) -> None:
    result = runner.invoke(app, ["audit", "clean.html"])
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == ""
    assert "1 file audited, no findings" in result.stderr


def test_findings_exit_1_and_exit_zero(folder: Path) -> None:
    result = runner.invoke(app, ["audit", "."])
    assert result.exit_code == EXIT_FINDINGS
    assert result.stdout.splitlines() == [
        'bad.html:1:4: L001 "click here" (#) has a placeholder href: link the real page',
        'bad.html:1:4: L006 "click here" (#) has vague link text: say what it leads to',
    ]
    assert runner.invoke(app, ["audit", ".", "--exit-zero"]).exit_code == EXIT_OK


def test_unreadable_file_is_exit_2_but_others_are_audited(folder: Path) -> None:
    (folder / "binary.html").write_bytes(b"\x00\x01\x02<a href='#'>")
    result = runner.invoke(app, ["audit", ".", "--exit-zero"])
    assert result.exit_code == EXIT_ERROR
    assert "bad.html:1:4: L001" in result.stdout
    assert "binary.html" in result.stderr and "binary" in result.stderr


def test_missing_path_is_exit_2_but_others_are_audited(folder: Path) -> None:
    result = runner.invoke(app, ["audit", "nope.html", "bad.html"])
    assert result.exit_code == EXIT_ERROR
    assert "bad.html:1:4: L001" in result.stdout
    assert "nope.html: no such file or folder" in result.stderr


def test_syntax_error_is_s001_and_others_still_run(folder: Path) -> None:
    (folder / "broken.html").write_text("<p>\n{% if x %}\n<a href='#'>A</a>\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", "."])
    assert result.exit_code == EXIT_FINDINGS  # a parse error is a finding, as in ruff and ESLint
    assert "broken.html:2:1: S001 template syntax error: '{% if %}' is never closed" in (
        result.stdout
    )
    assert "bad.html:1:4: L001" in result.stdout
    alone = runner.invoke(app, ["audit", "broken.html"])
    assert alone.exit_code == EXIT_FINDINGS and "S001" in alone.stdout
    assert runner.invoke(app, ["audit", "broken.html", "--exit-zero"]).exit_code == EXIT_OK
    # With S001 deselected the file was not audited at all: that is an error, not silence.
    result = runner.invoke(app, ["audit", "broken.html", "--ignore", "S001"])
    assert result.exit_code == EXIT_ERROR
    assert "broken.html:2: template syntax error" in result.stderr


def test_config_typo_is_exit_2_with_a_hint(folder: Path) -> None:
    (folder / "ctamap.toml").write_text('[audit]\nselec = ["L"]\n', encoding="utf-8")
    result = runner.invoke(app, ["audit", "."])
    assert result.exit_code == EXIT_ERROR
    assert "did you mean 'select'" in result.stderr
    (folder / "ctamap.toml").write_text('[audit]\nignore = ["L0066"]\n', encoding="utf-8")
    result = runner.invoke(app, ["audit", "."])
    assert result.exit_code == EXIT_ERROR
    assert "ctamap.toml: audit.ignore: unknown rule code 'L0066' (did you mean 'L006'?)" in (
        result.stderr
    )


def test_select_and_ignore_options(folder: Path) -> None:
    result = runner.invoke(app, ["audit", ".", "--select", "L001,L006", "--ignore", "L006"])
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["L001"]
    result = runner.invoke(app, ["audit", ".", "--select", "L6"])
    assert result.exit_code == EXIT_ERROR
    assert "--select: unknown rule code 'L6'" in result.stderr


def test_config_severity_and_per_file_ignores(folder: Path) -> None:
    (folder / "ctamap.toml").write_text(
        '[audit]\nseverity = { L001 = "notice" }\nper_file_ignores = { "bad.*" = ["L006"] }\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["audit", ".", "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["severity"]) for f in findings] == [("L001", "notice")]
    assert result.exit_code == EXIT_OK  # notices inform, they do not fail


def test_github_format_is_automatic_under_actions(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(app, ["audit", "bad.html"])
    assert result.stdout.startswith("::error file=bad.html,line=1,col=4,title=L001::L001 ")
    result = runner.invoke(app, ["audit", "bad.html", "--format", "text"])
    assert result.stdout.startswith("bad.html:1:4: L001")


def test_output_file(folder: Path) -> None:
    result = runner.invoke(app, ["audit", ".", "-f", "sarif", "--output-file", "out.sarif"])
    assert result.exit_code == EXIT_FINDINGS
    assert result.stdout == ""
    log = json.loads((folder / "out.sarif").read_text(encoding="utf-8"))
    assert len(log["runs"][0]["results"]) == 2


def test_unknown_format(folder: Path) -> None:
    result = runner.invoke(app, ["audit", ".", "--format", "xml"])
    assert result.exit_code == EXIT_ERROR
    assert "--output-format must be one of text, json, sarif, github, junit" in result.stderr


def test_stdin(folder: Path) -> None:
    result = runner.invoke(app, ["audit", "-"], input=BAD)
    assert result.exit_code == EXIT_FINDINGS
    assert result.stdout.startswith("-:1:4: L001")


def test_rules_lists_the_catalogue() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == EXIT_OK
    lines = result.stdout.splitlines()
    from ctamap.rules import RULES

    assert len(lines) == len(RULES)  # one line per rule: L, T, V, P, S, M families
    assert lines[5].split()[:3] == ["L006", "vague-link-text", "warning"]


def test_rules_explains_one() -> None:
    result = runner.invoke(app, ["rules", "l006"])
    assert result.exit_code == EXIT_OK
    assert result.stdout.startswith("L006 vague-link-text (default severity: warning)")
    for section in DOC_SECTIONS:
        assert f"## {section}" in result.stdout
    unknown = runner.invoke(app, ["rules", "L0006"])
    assert unknown.exit_code == EXIT_ERROR
    assert "did you mean L006" in unknown.stderr


def test_instrument_then_audit_reports_nothing(tmp_path: Path) -> None:
    """The fixed point: a template whose only problem is being uninstrumented (and missing
    its pixel) is clean once `ctamap instrument` ran."""
    campaign = tmp_path / "campaign"
    shutil.copytree(FIXTURES / "campaign", campaign)
    (campaign / ".git").mkdir()
    before = _ctamap("audit", ".", "--format", "json", cwd=campaign)
    codes = {f["code"] for f in json.loads(before.stdout)["findings"]}
    assert codes == {"T001", "P001"}, before.stdout
    assert _ctamap("instrument", ".", cwd=campaign).returncode == EXIT_OK
    after = _ctamap("audit", ".", cwd=campaign)
    assert (after.returncode, after.stdout) == (EXIT_OK, ""), after.stdout + after.stderr


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


def test_installed_command_as_a_subprocess(folder: Path) -> None:
    exe = Path(sys.executable).with_name("ctamap")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ctamap"]
    out = subprocess.run(
        [*command, "audit", "bad.html", "--format", "junit"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert out.returncode == EXIT_FINDINGS, out.stderr
    assert out.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert 'name="bad.html"' in out.stdout
