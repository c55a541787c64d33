"""Awkward inputs, run as a user runs ctamap (a subprocess of the installed command).

Files that cannot be parsed, FIFOs, symlinks, an `--out-dir` inside the input tree or naming a
file, UTF-16 templates: one clear line each, the other files still run, never an internal error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctamap.errors import EXIT_ERROR

GOOD = '<html><body><a href="https://www.example.com/start">Get started</a></body></html>\n'
BROKEN = '<p>\n{% if user %}\n<a href="https://www.example.com/x">Hi</a>\n'
CONFIG = 'first_party_domains = ["example.com"]\n'


def _ctamap(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _no_internal_error(done: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    emails = tmp_path / "emails"
    emails.mkdir()
    (emails / "welcome.html").write_text(GOOD, encoding="utf-8")
    (emails / "broken.html").write_text(BROKEN, encoding="utf-8")
    (emails / "binary.html").write_bytes(b"GIF89a\x00\x01\x02")
    (emails / "notes.txt").write_text("Read https://www.example.com/guide\n", encoding="utf-8")
    return tmp_path


def test_out_dir_mirror_is_complete_and_unparsable_files_exit_2(tree: Path) -> None:
    done = _ctamap("instrument", "emails", "--out-dir", "build", cwd=tree)
    _no_internal_error(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/broken.html:2: template syntax error" in done.stderr
    build = tree / "build"
    assert sorted(p.name for p in build.iterdir()) == [
        "binary.html", "broken.html", "notes.txt", "welcome.html",
    ]  # fmt: skip
    for name in ("broken.html", "binary.html", "notes.txt"):
        assert (build / name).read_bytes() == (tree / "emails" / name).read_bytes()
    assert "utm_source" in (build / "welcome.html").read_text(encoding="utf-8")
    assert (tree / "emails" / "welcome.html").read_text(encoding="utf-8") == GOOD


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_template_says_how_to_convert(tree: Path, encoding: str) -> None:
    (tree / "emails" / "utf16.html").write_bytes(GOOD.encode(encoding))
    done = _ctamap("audit", "emails/utf16.html", "emails/welcome.html", cwd=tree)
    _no_internal_error(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/utf16.html:1: is UTF-16" in done.stderr
    assert "iconv -f UTF-16 -t UTF-8" in done.stderr and "binary" not in done.stderr


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_out_dir_inside_the_input_tree_is_not_walked_again(tree: Path, git: bool) -> None:
    """`instrument . --out-dir build` twice: the second run must not instrument build/ into
    build/build/, nor record the mirror's files in the link map."""
    if git:
        subprocess.run(["git", "init", "-q", str(tree)], check=True)
    for _ in range(2):
        done = _ctamap("instrument", ".", "--out-dir", "build", cwd=tree)
        _no_internal_error(done)
        assert "build/build" not in done.stderr
    assert not (tree / "build" / "build").exists()
    assert (tree / "build" / "emails" / "welcome.html").is_file()
    nested = _ctamap("instrument", "emails", "--out-dir", "emails/out", cwd=tree)
    _no_internal_error(nested)
    again = _ctamap("instrument", "emails", "--out-dir", "emails/out", cwd=tree)
    assert not (tree / "emails" / "out" / "out").exists(), again.stderr
    keys = {e["template"] for e in json.loads((tree / "ctamap.linkmap.json").read_text())["links"]}
    assert keys == {"emails/welcome.html", "emails/notes.txt"}


def test_out_dir_naming_a_file_is_a_usage_error(tree: Path) -> None:
    (tree / "build.html").write_text("not a folder", encoding="utf-8")
    done = _ctamap("instrument", "emails", "--out-dir", "build.html", cwd=tree)
    _no_internal_error(done)
    assert done.returncode == EXIT_ERROR
    assert done.stderr.splitlines() == [
        "ctamap: error: --out-dir build.html: is a file, not a folder (the mirrored tree needs one)"
    ]
    assert (tree / "build.html").read_text(encoding="utf-8") == "not a folder"
    assert not (tree / "ctamap.linkmap.json").exists()
