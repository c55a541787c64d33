"""Where the link map lives and how it is named: a config's `link_map` stays inside the config's
repository (`--map` may go anywhere); `--diff` names every file, the map included, relative to
the current folder, so `git apply` takes the patch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))
PAGE = '<html><body>\n<a href="https://example.com/start">Get started</a>\n</body></html>\n'


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTAMAP, *args], cwd=cwd, capture_output=True, text=True)


def _repo(root: Path, config: str) -> Path:
    (root / "emails").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n' + config)
    (root / "emails" / "welcome.html").write_text(PAGE)
    return root


def test_a_config_link_map_outside_the_repository_is_an_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", 'link_map = "../../outside/x.json"\n')
    done = run(repo, "instrument", "emails")
    assert done.returncode == 2
    assert "link_map" in done.stderr and "outside the repository" in done.stderr
    assert "--map" in done.stderr and "internal error" not in done.stderr
    assert not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()
    assert (repo / "emails" / "welcome.html").read_text() == PAGE  # nothing written


def test_a_config_link_map_inside_the_repository_may_be_in_a_subfolder(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", 'link_map = "build/../maps/links.json"\n')
    assert run(repo, "instrument", "emails").returncode == 0
    assert (repo / "maps" / "links.json").is_file()


def test_map_on_the_command_line_may_go_anywhere(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", "")
    elsewhere = tmp_path / "warehouse" / "links.json"
    done = run(repo, "instrument", "emails", "--map", str(elsewhere))
    assert done.returncode == 0, done.stderr
    assert elsewhere.is_file()


def test_diff_names_files_relative_to_the_current_folder_and_git_applies_it(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path / "repo", "")
    assert run(repo, "instrument", "emails").returncode == 0
    page = repo / "emails" / "welcome.html"
    page.write_text(
        page.read_text().replace("</body>", '<a href="https://example.com/b">B</a>\n</body>')
    )
    patch = run(repo, "instrument", "emails", "--check", "--diff")
    assert patch.returncode == 1
    names = [line.split()[1] for line in patch.stdout.splitlines() if line.startswith("--- ")]
    assert names == ["a/emails/welcome.html", "a/ctamap.linkmap.json"]
    assert "//" not in "".join(names)
    (tmp_path / "fix.patch").write_text(patch.stdout)
    applied = subprocess.run(
        ["git", "apply", str(tmp_path / "fix.patch")], cwd=repo, capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stderr
    assert run(repo, "instrument", "emails", "--check").returncode == 0
