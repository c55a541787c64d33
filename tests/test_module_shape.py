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
#: it brings: a temporary file's random name).
HEAVY = (
    *("duckdb", "rich", "jinja2", "bs4", "lxml", "tldextract", "ctamap.report"),
    *("tomllib", "secrets", "hashlib", "hmac", "random"),
)

_AUDIT = """
import runpy, sys
sys.argv = ["ctamap", "audit", sys.argv[1], "--exit-zero"]
try:
    runpy.run_module("ctamap", run_name="__main__")
except SystemExit:
    pass
heavy = [m for m in sys.modules if (m + ".").startswith({PREFIXES})]
print("loaded:", *sorted(heavy), file=sys.stderr)
"""


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
