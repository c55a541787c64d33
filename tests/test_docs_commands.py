"""What the documentation tells a new user to type works: every `ctamap …` line in a code block
of README.md and docs/ names a real command and real options, the pre-commit snippets name
the hooks this repository offers (instrument before audit), and shell completion is there."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from ctamap.cli import app

from .conftest import REPO

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))
PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
_FENCED = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1", re.M | re.S)
# A command line as pages write it: at a prompt, a YAML list item or a `run:` step.
_COMMAND = re.compile(r"^\s*(?:\$ |- |run: )?(ctamap(?: [^\n]*)?)$")


def _blocks(page: Path) -> list[str]:
    return [match.group(2) for match in _FENCED.finditer(page.read_text(encoding="utf-8"))]


def _command_lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for block in _blocks(page):
            for line in block.splitlines():
                if match := _COMMAND.match(line):
                    found.append((str(page.relative_to(REPO)), match.group(1)))
    return found


def _spellings(command: Any) -> set[str]:
    return {
        spelling
        for param in command.params
        if param.param_type_name == "option"
        for spelling in (*param.opts, *param.secondary_opts)
    }


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command `words` name (after `ctamap`), and the words left for its options."""
    command: Any = typer.main.get_command(app)
    while words and hasattr(command, "commands") and words[0] in command.commands:
        command, words = command.commands[words[0]], words[1:]
    return command, words


LINES = _command_lines()


@pytest.mark.parametrize(("page", "line"), LINES, ids=[f"{p}: {line}" for p, line in LINES])
def test_documented_command_lines_use_real_commands_and_options(page: str, line: str) -> None:
    if "COMMAND" in line:  # the synopsis, not a command line
        return
    text = re.split(r"\s+#\s|\s&&\s|\s\|\s|\s>\s", line)[0]
    words = shlex.split(text)[1:]
    root: Any = typer.main.get_command(app)
    root_options = {s: p for p in root.params for s in p.opts}
    while words and words[0].startswith("-"):
        word = words.pop(0)
        assert word in root_options or word == "--help", f"{page}: `{line}`: not an option"
        if word in root_options and not root_options[word].is_flag and words:
            words.pop(0)  # its value (`--show-completion bash`)
    if not words:
        return
    command, rest = _resolve(words)
    assert not hasattr(command, "commands"), f"{page}: `{line}`: no command '{rest[0]}'"
    known = _spellings(command) | {"--help"}
    for word in rest:
        if word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            assert name in known, f"{page}: `{line}`: {command.name} has no option {name}"


def _hook_ids() -> list[str]:
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    return re.findall(r"^- id: (\S+)", text, re.M)


SNIPPETS = [
    (str(page.relative_to(REPO)), block)
    for page in PAGES
    for block in _blocks(page)
    if re.search(r"^\s*- id: ctamap-", block, re.M)
]


@pytest.mark.parametrize(("page", "block"), SNIPPETS, ids=[p for p, _ in SNIPPETS])
def test_pre_commit_snippets_name_offered_hooks_instrument_first(page: str, block: str) -> None:
    ids = re.findall(r"^\s*- id: (\S+)", block, re.M)
    assert set(ids) <= set(_hook_ids()), f"{page}: hooks {ids}, offered: {_hook_ids()}"
    if "ctamap-audit" in ids and "ctamap-instrument" in ids:
        assert ids.index("ctamap-instrument") < ids.index("ctamap-audit"), page


def test_there_are_snippets_and_command_lines_to_check() -> None:
    assert len(LINES) > 20 and len(SNIPPETS) >= 3


def test_shell_completion_script_is_printed() -> None:
    # Named, not detected: the shell a test runs under (sh in CI) may not be one Typer knows.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run(
        [CTAMAP, "--show-completion", "bash"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "_CTAMAP_COMPLETE" in done.stdout and "complete " in done.stdout


def test_corpus_tests_say_how_to_run_them() -> None:
    """A test that needs the external corpus skips with NO_CORPUS ("set CTAMAP_CORPUS=DIR to run
    the corpus tests"), never with a path or a folder the user does not have."""
    tests = Path(__file__).resolve().parent
    own = re.compile(
        r"""skip(?:if)?\((?:[^()]|\([^()]*\))*?["'][^"']*corpus[^"']*["']""", re.I | re.S
    )
    offenders = [
        str(path.relative_to(tests))
        for path in sorted(tests.rglob("*.py"))
        if path.name != "conftest.py" and own.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        f"use conftest.NO_CORPUS (or needs_corpus) as the skip reason: {offenders}"
    )
