"""Symlinks among the templates, walked or named on the command line, run as a user runs ctamap.

The rule (docs/cli.md): a symlink is followed only when its target is inside the repository
the link is in (the git checkout, else the config file's folder); the target is instrumented
and the link is kept. A symlink leading outside is reported and skipped, so ctamap never writes
outside the repository through one. Folders reached through a symlink are not walked (as git
does not). Link-map keys are always relative to the project: never absolute, never `../`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ctamap.errors import EXIT_ERROR

GOOD = '<html><body><a href="https://www.example.com/start">Get started</a></body></html>\n'
CONFIG = 'first_party_domains = ["example.com"]\n'


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.fixture(params=["git", "no-git"])
def repo(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A project (a git checkout, or only a config file) and a folder beside it, outside."""
    root = tmp_path / "project"
    (root / "emails").mkdir(parents=True)
    (root / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    (root / "emails" / "welcome.html").write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_text(GOOD, encoding="utf-8")
    (outside / "ctamap.toml").write_text(CONFIG, encoding="utf-8")  # its own project
    if request.param == "git":
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _map_keys(root: Path) -> list[str]:
    data = json.loads((root / "ctamap.linkmap.json").read_text(encoding="utf-8"))
    return sorted({entry["template"] for entry in data["links"]})


def _keys_are_relative(root: Path) -> None:
    for key in _map_keys(root):
        assert not key.startswith("/") and ".." not in key.split("/"), key


def test_walked_symlink_to_a_file_outside_is_reported_and_skipped(repo: Path) -> None:
    link = repo / "emails" / "secret.html"
    link.symlink_to(repo.parent / "outside" / "secret.html")
    done = _ctamap("instrument", "emails", cwd=repo)
    _clean(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/secret.html: is a symlink to a file outside the repository" in done.stderr
    assert "instrumented: emails/welcome.html" in done.stderr  # the others still run
    assert link.is_symlink()
    assert (repo.parent / "outside" / "secret.html").read_text(encoding="utf-8") == GOOD
    assert _map_keys(repo) == ["emails/welcome.html"]


def test_symlink_to_a_file_outside_named_on_the_command_line(repo: Path) -> None:
    (repo / "emails" / "secret.html").symlink_to(repo.parent / "outside" / "secret.html")
    done = _ctamap("instrument", "emails/secret.html", "emails/welcome.html", cwd=repo)
    _clean(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/secret.html: is a symlink to a file outside the repository" in done.stderr
    assert (repo.parent / "outside" / "secret.html").read_text(encoding="utf-8") == GOOD
    assert not (repo.parent / "outside" / "ctamap.linkmap.json").exists()
    assert _map_keys(repo) == ["emails/welcome.html"]


def test_symlink_inside_the_repository_is_followed_and_kept(repo: Path) -> None:
    shared = repo / "shared"
    shared.mkdir()
    (shared / "footer.html").write_text(GOOD.replace("start", "footer"), encoding="utf-8")
    (repo / "emails" / "footer.html").symlink_to(Path("..") / "shared" / "footer.html")
    (repo / "emails" / "alias.html").symlink_to("welcome.html")
    done = _ctamap("instrument", "emails", cwd=repo)
    _clean(done)
    assert done.returncode == 0, done.stderr
    for name in ("footer.html", "alias.html"):
        assert (repo / "emails" / name).is_symlink(), f"{name} was replaced"
    assert "utm_source" in (shared / "footer.html").read_text(encoding="utf-8")
    assert "utm_source" in (repo / "emails" / "welcome.html").read_text(encoding="utf-8")
    # The target is the template (once, under its own name), whichever name reached it.
    assert _map_keys(repo) == ["emails/welcome.html", "shared/footer.html"]
    again = _ctamap("instrument", "emails/alias.html", "emails/footer.html", cwd=repo)
    assert again.returncode == 0 and "instrumented" not in again.stderr, again.stderr


def test_symlinked_folder_is_not_walked_but_can_be_named(repo: Path) -> None:
    (repo / "real").mkdir()
    (repo / "real" / "inner.html").write_text(GOOD, encoding="utf-8")
    (repo / "emails" / "linked").symlink_to(Path("..") / "real")
    (repo / "emails" / "away").symlink_to(repo.parent / "outside")
    done = _ctamap("instrument", "emails", cwd=repo)
    _clean(done)
    assert done.returncode == 0, done.stderr
    assert "inner.html" not in done.stderr and "secret" not in done.stderr
    assert (repo / "real" / "inner.html").read_text(encoding="utf-8") == GOOD
    named = _ctamap("instrument", "emails/linked", cwd=repo)
    assert named.returncode == 0, named.stderr
    assert "utm_source" in (repo / "real" / "inner.html").read_text(encoding="utf-8")
    assert (repo / "emails" / "linked").is_symlink()
    away = _ctamap("instrument", "emails/away", cwd=repo)
    _clean(away)
    assert away.returncode == EXIT_ERROR
    assert "emails/away: is a symlink to a folder outside the repository" in away.stderr
    assert (repo.parent / "outside" / "secret.html").read_text(encoding="utf-8") == GOOD
    through = _ctamap("instrument", "emails/away/secret.html", cwd=repo)
    _clean(through)
    assert through.returncode == EXIT_ERROR
    assert "outside the repository" in through.stderr
    assert (repo.parent / "outside" / "secret.html").read_text(encoding="utf-8") == GOOD
    _keys_are_relative(repo)


def test_symlink_loops(repo: Path) -> None:
    (repo / "emails" / "loop.html").symlink_to("loop.html")
    (repo / "emails" / "self").symlink_to(".")
    (repo / "emails" / "a.html").symlink_to("b.html")
    (repo / "emails" / "b.html").symlink_to("a.html")
    walked = _ctamap("audit", "emails", "--exit-zero", cwd=repo)
    _clean(walked)
    assert walked.returncode == 0, walked.stderr
    named = _ctamap("audit", "emails/loop.html", "emails/welcome.html", cwd=repo)
    _clean(named)
    assert named.returncode == EXIT_ERROR
    assert "emails/loop.html: is a symlink loop" in named.stderr
    selfish = _ctamap("instrument", "emails/self", cwd=repo)
    _clean(selfish)
    assert selfish.returncode == 0, selfish.stderr
    assert _map_keys(repo) == ["emails/welcome.html"]


def test_broken_symlink_named_on_the_command_line(repo: Path) -> None:
    (repo / "emails" / "gone.html").symlink_to("deleted.html")
    done = _ctamap("audit", "emails/gone.html", cwd=repo)
    _clean(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/gone.html: is a broken symlink (to deleted.html)" in done.stderr


def test_out_dir_never_writes_through_a_symlink_in_the_mirror(repo: Path) -> None:
    build = repo / "build"
    (build).mkdir()
    (build / "emails").symlink_to(repo.parent / "outside")
    done = _ctamap("instrument", ".", "--out-dir", "build", cwd=repo)
    _clean(done)
    assert done.returncode == EXIT_ERROR
    assert "build/emails/welcome.html: is below a symlink" in done.stderr
    assert sorted(p.name for p in (repo.parent / "outside").iterdir()) == [
        "ctamap.toml",
        "secret.html",
    ]


def test_file_outside_the_project_is_never_an_absolute_map_key(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.html").write_text(GOOD, encoding="utf-8")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "ctamap", "instrument", str(elsewhere / "x.html")],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    _clean(done)
    assert done.returncode == EXIT_ERROR
    assert "x.html: is outside the project" in done.stderr
    assert (elsewhere / "x.html").read_text(encoding="utf-8") == GOOD
    assert not (here / "ctamap.linkmap.json").exists()


@pytest.mark.parametrize("key", ["/etc/passwd", "../../etc/passwd", "emails/../../x.html"])
def test_a_map_key_outside_the_project_is_refused(tmp_path: Path, key: str) -> None:
    """A map-only pull request must not make `report --html` read (and publish) a file outside
    the project, nor `instrument` record one: such a key is a map error naming the entry."""
    (tmp_path / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "welcome.html").write_text(GOOD, encoding="utf-8")
    entry = {
        "id": "passwd.root",
        "template": key,
        "text": "root",
        "kind": "text",
        "role": "cta",
        "url": "https://www.example.com/",
        "tracked_url": None,
        "tracked": False,
        "status": "active",
        "tags": ["a"],
    }
    data = {"schema": "ctamap.linkmap/2", "links": [entry]}
    (tmp_path / "ctamap.linkmap.json").write_text(json.dumps(data), encoding="utf-8")
    for command in (["instrument", "emails"], ["report", "--html", "out.html", "events.jsonl"]):
        (tmp_path / "events.jsonl").write_text("", encoding="utf-8")
        done = _ctamap(*command, cwd=tmp_path)
        _clean(done)
        assert done.returncode == EXIT_ERROR, done.stderr
        assert "ctamap.linkmap.json: invalid link map" in done.stderr
        assert 'entry #1 (id "passwd.root"): template' in done.stderr
    assert (tmp_path / "emails" / "welcome.html").read_text(encoding="utf-8") == GOOD
    assert not (tmp_path / "out.html").exists()
