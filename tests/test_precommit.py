"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit framework.

A snapshot of this checkout (uncommitted changes included, like `pre-commit try-repo` does) is
committed to a scratch clone; throwaway template repositories point their
.pre-commit-config.yaml at it (`repo: <path>`, `rev: <sha>`), and pre-commit clones it, builds
the hook's Python environment with pip and runs the hook, as in a real template repository.
The snapshot keeps one rev for the whole module, so the environment is built once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

CLEAN = """<!doctype html>
<html>
<body>
  <p>Please confirm your address.</p>
  <a href="{{ action_url }}" class="button">Confirm your address</a>
  <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body>
</html>
"""
CLEAN_TEXT = "Confirm your address ( {{ action_url }} )\nUnsubscribe: {{ unsubscribe_url }}\n"
BAD = """<html><body>
<a href="#">click here</a>
</body></html>
"""
TRACKABLE = """<!doctype html>
<html>
<body>
  <a href="https://www.example.com/start" class="button">Get started</a>
  <p><a href="https://www.example.com/unsubscribe">Unsubscribe</a></p>
</body>
</html>
"""
TRACKABLE_TEXT = "Get started ( https://www.example.com/start )\n"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@dataclass(frozen=True)
class HookSource:
    repo: Path  # a committed snapshot of this checkout
    rev: str
    home: Path  # PRE_COMMIT_HOME shared by the module's tests


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> HookSource:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    snapshot = tmp_path_factory.mktemp("ctamap-snapshot") / "ctamap"
    subprocess.run(["git", "clone", "-q", str(REPO), str(snapshot)], check=True)
    listed = _git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        target = snapshot / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.exists():  # deleted in the working tree
            target.unlink()
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "--allow-empty", "-m", "snapshot of the working tree")
    return HookSource(snapshot, _git(snapshot, "rev-parse", "HEAD"), snapshot.parent / "home")


def _repo(tmp_path: Path, hooks: HookSource, files: dict[str, str]) -> Path:
    repo = tmp_path / "templates"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks.repo}\n  rev: {hooks.rev}\n  hooks:\n"
        "  - id: ctamap-instrument\n  - id: ctamap-audit\n",
        encoding="utf-8",
    )
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "templates")
    return repo


def _hook(repo: Path, hooks: HookSource, hook: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(hooks.home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_audit_hook_fails_on_a_bad_template(tmp_path: Path, hooks: HookSource) -> None:
    repo = _repo(tmp_path, hooks, {"bad.html": BAD, "notes.md": "# not a template\n"})
    run = _hook(repo, hooks, "ctamap-audit")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "bad.html:2:1: L001" in run.stdout
    assert "notes.md" not in run.stdout


def test_audit_hook_passes_on_a_clean_template(tmp_path: Path, hooks: HookSource) -> None:
    repo = _repo(tmp_path, hooks, {"welcome.html": CLEAN, "welcome.txt": CLEAN_TEXT})
    run = _hook(repo, hooks, "ctamap-audit")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout


def test_instrument_hook_fixes_then_passes(tmp_path: Path, hooks: HookSource) -> None:
    repo = _repo(tmp_path, hooks, {"welcome.html": TRACKABLE, "welcome.txt": TRACKABLE_TEXT})
    first = _hook(repo, hooks, "ctamap-instrument")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    html = (repo / "welcome.html").read_text(encoding="utf-8")
    assert "cta_id=welcome.get-started" in html
    assert (repo / "welcome.txt").read_text(encoding="utf-8") == TRACKABLE_TEXT
    assert (repo / "ctamap.linkmap.json").is_file()
    _git(repo, "add", ".")
    second = _hook(repo, hooks, "ctamap-instrument")
    assert second.returncode == 0, second.stdout + second.stderr
    assert (repo / "welcome.html").read_text(encoding="utf-8") == html
    # The fixed point, through the hooks: what instrument wrote, audit accepts.
    audited = _hook(repo, hooks, "ctamap-audit")
    assert audited.returncode == 0, audited.stdout + audited.stderr


def _commit_env(hooks: HookSource) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(hooks.home)
    return env


def _staged_hooks(repo: Path, hooks: HookSource) -> subprocess.CompletedProcess[str]:
    """What `git commit` runs: every hook of the config, over the staged files only."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"],
        cwd=repo,
        env=_commit_env(hooks),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _instrumented_repo(tmp_path: Path, hooks: HookSource) -> Path:
    repo = _repo(
        tmp_path,
        hooks,
        {
            "welcome.html": TRACKABLE,
            "welcome.txt": TRACKABLE_TEXT,
            "ctamap.toml": 'first_party_domains = ["example.com"]\n',
        },
    )
    first = _hook(repo, hooks, "ctamap-instrument")
    assert first.returncode == 1, first.stdout + first.stderr
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "--no-verify", "-m", "instrumented")
    return repo


def test_a_copy_edit_commit_passes_both_hooks_in_one_go(tmp_path: Path, hooks: HookSource) -> None:
    repo = _instrumented_repo(tmp_path, hooks)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=_commit_env(hooks),
        check=True,
        capture_output=True,
    )
    html = (repo / "welcome.html").read_text(encoding="utf-8")
    edited = html.replace("<body>\n", "<body>\n  <p>A new paragraph without a link.</p>\n", 1)
    assert edited != html
    (repo / "welcome.html").write_text(edited, encoding="utf-8")
    _git(repo, "add", "welcome.html")
    commit = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", "copy"],
        cwd=repo,
        env=_commit_env(hooks),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    hooks_said = commit.stdout + commit.stderr  # git shows the hook's output on stderr
    assert "ctamap instrument" in hooks_said and "ctamap audit" in hooks_said, hooks_said
    assert "Failed" not in hooks_said, hooks_said
    assert _git(repo, "status", "--porcelain") == ""  # nothing left for a second commit


def test_a_config_only_change_runs_the_hooks_over_every_template(
    tmp_path: Path, hooks: HookSource
) -> None:
    repo = _instrumented_repo(tmp_path, hooks)
    config = repo / "ctamap.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '[pixel]\nurl = "https://t.example.com/o.gif"\n',
        encoding="utf-8",
    )
    _git(repo, "add", "ctamap.toml")
    run = _staged_hooks(repo, hooks)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no files to check" not in run.stdout, run.stdout
    # The new pixel policy reached the template no staged change named.
    assert "t.example.com/o.gif" in (repo / "welcome.html").read_text(encoding="utf-8")
