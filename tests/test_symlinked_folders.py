"""A PATH named through a symlinked folder that is in no repository (`~/work` linked to another
disk, a `../shared` checkout linked in) is the user's own choice: ctamap reads it like the
folder it resolves to. A link inside a repository that leads out of it stays refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .gitrepo import git

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))
PAGE = '<html><body><a href="https://example.com/x">Open the page</a></body></html>\n'


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTAMAP, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _layout(tmp_path: Path) -> tuple[Path, Path]:
    """`disk/templates/` holds the templates; `home/work` (no repository) links to `disk`."""
    disk = tmp_path / "disk"
    (disk / "templates" / "emails").mkdir(parents=True)
    (disk / "templates" / "emails" / "welcome.html").write_text(PAGE, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "work").symlink_to(disk, target_is_directory=True)
    return home, disk


def test_a_folder_named_through_a_linked_folder_outside_any_repository_is_read(
    tmp_path: Path,
) -> None:
    home, _ = _layout(tmp_path)
    for named in ("work/templates/emails", "work/templates/emails/welcome.html"):
        done = _run(home, "audit", str(home / named), "-f", "json")
        assert done.returncode == 1, done.stderr  # findings, not "outside the repository"
        assert "outside the repository" not in done.stderr
        assert "welcome.html" in done.stdout


def test_a_link_inside_a_repository_leading_out_of_it_is_still_refused(tmp_path: Path) -> None:
    _, disk = _layout(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "shared").symlink_to(disk / "templates", target_is_directory=True)
    done = _run(repo, "instrument", str(repo / "shared" / "emails"))
    assert done.returncode == 2
    assert "outside the repository" in done.stderr
    assert (disk / "templates" / "emails" / "welcome.html").read_text(encoding="utf-8") == PAGE
