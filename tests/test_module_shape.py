"""The module shape the code relies on: the rules share the splice primitive with instrument
without importing the instrument command module (a pre-commit audit stays light)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_rules_do_not_import_the_instrument_module() -> None:
    code = "import sys, ctamap.rules; print('ctamap.instrument' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_one_edit_type_for_fixes_and_instrument() -> None:
    from ctamap import edits, instrument, rules

    assert rules.Edit is edits.Edit is instrument.Edit
    assert rules.apply_edits is edits.apply_edits


#: Modules a pre-commit `ctamap audit one.html` must never load: the report engine and its
#: readers (DuckDB), table rendering (rich), the click map's templating (jinja2), the HTML parser
#: of the click map (bs4/lxml) and the public-suffix list (tldextract); nor, in a folder with no
#: config file, the TOML parser; nor what only writing a file needs (`secrets` and the hashing
#: it brings: a temporary file's random name); nor the CSV module (a CSV link map's).
HEAVY = (
    *("duckdb", "rich", "jinja2", "bs4", "lxml", "tldextract", "ctamap.report"),
    *("tomllib", "secrets", "hashlib", "hmac", "random", "csv", "ctamap.csvfile"),
)

#: `ctamap audit FILE` run inside a script, which then looks at what the run left behind.
_RUN_AUDIT = """
import os, runpy, sys
os._exit = sys.exit  # an audit ends without the interpreter's teardown: look before it does
sys.argv = ["ctamap", "audit", sys.argv[1], "--exit-zero"]
try:
    runpy.run_module("ctamap", run_name="__main__")
except SystemExit:
    pass
"""

_AUDIT = (
    _RUN_AUDIT
    + """
heavy = [m for m in sys.modules if (m + ".").startswith({PREFIXES})]
print("loaded:", *sorted(heavy), file=sys.stderr)
"""
)


def test_audit_of_one_file_imports_only_what_it_needs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    one = tmp_path / "one.html"
    one.write_text('<html><body><a href="https://example.com/a">Buy</a></body></html>')
    code = _AUDIT.replace("{PREFIXES}", repr(tuple(f"{name}." for name in HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", code, str(one)], capture_output=True, text=True, cwd=tmp_path
    )
    assert "one.html" in done.stdout  # the audit ran and reported the untracked link
    assert done.stderr.splitlines()[-1] == "loaded:"


def test_a_named_command_runs_alone_with_the_same_help_and_errors() -> None:
    """`main` builds only the named command (Typer converts every registered one on each run);
    what a user sees is the full app's."""
    from typer.testing import CliRunner

    from ctamap.cli import _app_for, app

    runner = CliRunner()
    for argv in (["audit", "--help"], ["--debug", "linkmap", "merge", "--help"], ["audt"]):
        lean, full = runner.invoke(_app_for(argv), argv), runner.invoke(app, argv)
        assert (lean.exit_code, lean.output) == (full.exit_code, full.output)
    assert [
        getattr(c.callback, "__name__", "") for c in _app_for(["audit"]).registered_commands
    ] == ["audit"]


#: What a pre-commit `ctamap audit one.html` builds at start-up, counted: each frozen dataclass
#: costs about 0.4 ms to define and each regex 0.1-0.5 ms to compile, on every call, which is
#: why records on that path are NamedTuples and rarely needed patterns are compiled by `re` on
#: first use. Lower the budget when a change lowers the count; never raise it without measuring.
DATACLASS_BUDGET = 21
REGEX_BUDGET = 67

_COUNTED = (
    """
import dataclasses, os, re, runpy, sys
made, compiled = [], []
real_dataclass, real_compile = dataclasses.dataclass, re.compile

def dataclass(cls=None, /, **options):
    def wrap(cls):
        made.append(cls.__qualname__)
        return real_dataclass(cls, **options)
    return wrap if cls is None else wrap(cls)

def compile(pattern, flags=0):
    if sys._getframe(1).f_globals.get("__name__", "").startswith("ctamap"):
        compiled.append(pattern)
    return real_compile(pattern, flags)

dataclasses.dataclass, re.compile = dataclass, compile
"""
    + _RUN_AUDIT
    + """
print("built:", len(made), len(compiled), file=sys.stderr)
"""
)


def test_audit_of_one_file_builds_few_records_and_patterns(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    one = tmp_path / "one.html"
    one.write_text('<html><body><a href="https://example.com/a">Buy</a></body></html>')
    done = subprocess.run(
        [sys.executable, "-c", _COUNTED, str(one)], capture_output=True, text=True, cwd=tmp_path
    )
    assert "one.html" in done.stdout  # the audit ran and reported the untracked link
    _, dataclasses, regexes = done.stderr.splitlines()[-1].split()
    assert int(dataclasses) <= DATACLASS_BUDGET
    assert int(regexes) <= REGEX_BUDGET
