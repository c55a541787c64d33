"""Awkward inputs, run as a user runs ctamap (a subprocess of the installed command).

Files that cannot be parsed, FIFOs, symlinks, an `--out-dir` inside the input tree or naming a
file, UTF-16 templates: one clear line each, the other files still run, never an internal error.
"""

from __future__ import annotations

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
