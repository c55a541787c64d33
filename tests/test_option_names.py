"""One concept, one flag, in every command: `-f`/`--output-format` is the output format,
`-o`/`--output-file` the file the output goes to. The older spellings (`--format`; report's
`--format` for its input, `--output` and `-o FORMAT`) keep working. docs/cli.md lists them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from ctamap.cli import app

from .conftest import FIXTURES, REPO

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))
EVENTS = FIXTURES / "events"
CAMPAIGN = FIXTURES / "campaign"


# Typer vendors its own click: its classes are reached through the app, not imported.
Command = Any
Option = Any


def _commands() -> dict[str, Command]:
    """Every command by its name (`linkmap merge` for a sub-command)."""
    root: Any = typer.main.get_command(app)
    found: dict[str, Command] = {}
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found.update({f"{name} {n}": c for n, c in command.commands.items()})
        else:
            found[name] = command
    return found


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option" and not param.hidden)


def _options(command: Command) -> dict[str, Option]:
    """Every visible spelling of an option -> the option."""
    return {
        spelling: param for param in command.params if _is_option(param) for spelling in param.opts
    }


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTAMAP, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["inventory", "audit", "rules", "report"])
def test_output_format_and_file_have_one_name_everywhere(name: str) -> None:
    options = _options(_commands()[name])
    assert options["-f"] is options["--output-format"], f"{name}: -f is not --output-format"
    assert options["-o"] is options["--output-file"], f"{name}: -o is not --output-file"


def test_no_short_flag_means_two_things() -> None:
    meanings: dict[str, set[str]] = {}
    for command in _commands().values():
        for spelling, option in _options(command).items():
            if re.fullmatch(r"-[a-zA-Z]", spelling):
                meanings.setdefault(spelling, set()).add(max(option.opts, key=len))
    assert {k: v for k, v in meanings.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    "args",
    [
        ["inventory", "fixtures/campaign", "--format", "json"],
        ["inventory", "fixtures/campaign", "-f", "json"],
        ["inventory", "fixtures/campaign", "--output-format", "json"],
    ],
    ids=["--format", "-f", "--output-format"],
)
def test_older_and_new_spellings_give_the_same_inventory(args: list[str]) -> None:
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)


def test_audit_format_spellings_agree(tmp_path: Path) -> None:
    old = _run("audit", "fixtures/campaign", "--format", "json", "--exit-zero")
    new = _run("audit", "fixtures/campaign", "-f", "json", "-o", str(tmp_path / "a.json"))
    assert old.returncode == 0 and new.returncode == 1
    assert new.stdout == "" and (tmp_path / "a.json").read_text(encoding="utf-8") == old.stdout


def test_rules_and_inventory_write_to_an_output_file(tmp_path: Path) -> None:
    page = tmp_path / "rules.md"
    assert _run("rules", "-f", "markdown", "-o", str(page)).returncode == 0
    assert page.read_text(encoding="utf-8") == (REPO / "docs" / "rules.md").read_text("utf-8")
    listing = tmp_path / "links.csv"
    done = _run("inventory", "fixtures/campaign", "-f", "csv", "-o", str(listing))
    assert done.returncode == 0 and done.stdout == ""
    assert listing.read_text(encoding="utf-8").startswith("template,")


def _report(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return _run("report", "--map", str(EVENTS / "linkmap.json"), *args, cwd=cwd)


def test_report_takes_the_same_flags_and_its_older_ones(tmp_path: Path) -> None:
    log = str(EVENTS / "postmark.jsonl")
    expected = _report("--input-format", "postmark", "-f", "json", log)
    assert expected.returncode == 0, expected.stderr
    assert json.loads(expected.stdout)["schema"] == "ctamap.report/1"
    older = [
        ["--format", "postmark", "--output", "json"],  # report's own older names
        ["--format", "postmark", "-o", "json"],  # -o was report's output format
        ["--input-format", "postmark", "--output-format", "json"],
    ]
    for spelling in older:
        done = _report(*spelling, log)
        assert (done.returncode, done.stdout) == (0, expected.stdout), spelling
    written = tmp_path / "report.json"
    done = _report("-f", "json", "-o", str(written), log)
    assert done.returncode == 0 and done.stdout == ""
    assert written.read_text(encoding="utf-8") == expected.stdout


def test_report_refuses_two_spellings_that_disagree() -> None:
    done = _report("-f", "json", "--output", "csv", str(EVENTS / "postmark.jsonl"))
    assert done.returncode == 2
    assert "--output is the older spelling of --output-format" in done.stderr
    assert "Traceback" not in done.stderr


# -- docs/cli.md stays in step with the commands ---------------------------------------------


def _cli_page() -> str:
    return (REPO / "docs" / "cli.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_cli_reference() -> None:
    page = _cli_page()
    for name in _commands():
        assert f"| `ctamap {name}" in page, f"docs/cli.md has no row for `ctamap {name}`"


def _shared_options() -> dict[str, set[str]]:
    """Long option name -> the commands that have it, for options of two commands or more."""
    having: dict[str, set[str]] = {}
    for name, command in _commands().items():
        for param in command.params:
            if _is_option(param) and param.name != "help":
                having.setdefault(max(param.opts, key=len), set()).add(name)
    return {option: names for option, names in having.items() if len(names) > 1}


def test_options_shared_by_commands_are_in_the_table_with_their_commands() -> None:
    rows = {
        match.group(1): {c.strip() for c in match.group(2).split(",")}
        for match in re.finditer(r"^\| `(--[a-z-]+)[^|]*\| ([a-z, ]+) \|", _cli_page(), re.M)
    }
    for option, commands in _shared_options().items():
        assert option in rows, f"docs/cli.md: no row for {option} (used by {sorted(commands)})"
        assert rows[option] == commands, f"docs/cli.md: {option} is in {sorted(commands)}"
