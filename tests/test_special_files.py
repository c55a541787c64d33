"""Only regular files are templates: a FIFO in a walked folder must not hang a run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CTAMAP = Path(sys.executable).with_name("ctamap")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", [["audit"], ["instrument", "--check"], ["inventory"]])
def test_fifo_in_walked_folder_is_skipped(tmp_path: Path, command: list[str]) -> None:
    # Outside a git checkout the folder is walked with os.walk, which lists FIFOs as files.
    emails = tmp_path / "emails"
    emails.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures/campaign/welcome.html", emails)
    os.mkfifo(emails / "stuck.html")
    done = subprocess.run(
        [str(CTAMAP), *command, "emails"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "stuck.html" not in done.stdout + done.stderr
    assert "internal error" not in done.stderr
    assert done.returncode in (0, 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_named_on_the_command_line_is_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "stuck.html")
    done = subprocess.run(
        [str(CTAMAP), "audit", "stuck.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "stuck.html" in done.stderr and "not a regular file" in done.stderr
    assert "internal error" not in done.stderr
