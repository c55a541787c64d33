from __future__ import annotations

import subprocess
import sys


def test_version_runs_as_installed_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ctamap", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("ctamap ")
