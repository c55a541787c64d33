"""Two runs sharing one link map keep both sides' entries (the map is locked and merged under
the lock), and the `ctamap linkmap merge` git driver merges two branches that both added CTAs
to the same template."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CORPUS, NO_CORPUS
from .gitrepo import git

CTAMAP = str(Path(sys.executable).with_name("ctamap"))
CONFIG = 'first_party_domains = ["example.com", "postmarkapp.com", "mailgun.com"]\n'


def _entries_by_template(link_map: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in json.loads(link_map.read_text())["links"]:
        found.setdefault(entry["template"], set()).add(entry["id"])
    return found


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS)
def test_two_runs_on_disjoint_folders_sharing_one_map_keep_both_sides(tmp_path: Path) -> None:
    folders = sorted(p for p in CORPUS.iterdir() if p.is_dir())[:2]
    assert len(folders) == 2
    for attempt in range(4):
        work = tmp_path / f"run{attempt}"
        for folder in folders:
            shutil.copytree(folder, work / folder.name)
        (work / "ctamap.toml").write_text(CONFIG)
        runs = [
            subprocess.Popen(
                [CTAMAP, "instrument", folder.name],
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for folder in folders
        ]
        errors = [run.communicate()[1] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], errors
        together = _entries_by_template(work / "ctamap.linkmap.json")
        for folder in folders:
            # Each side alone, for the entries it must have produced.
            alone = tmp_path / f"alone{attempt}-{folder.name}"
            shutil.copytree(folder, alone / folder.name)
            (alone / "ctamap.toml").write_text(CONFIG)
            done = subprocess.run(
                [CTAMAP, "instrument", folder.name], cwd=alone, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
            for template, ids in _entries_by_template(alone / "ctamap.linkmap.json").items():
                assert len(together.get(template, set())) == len(ids), template
        check = subprocess.run(
            [CTAMAP, "instrument", "--check", *(f.name for f in folders)],
            cwd=work,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr


WELCOME = """<!doctype html>
<html>
<body>
  <p>Welcome aboard.</p>
  <a href="https://example.com/start">Get started</a>
  <p>One</p>
  <p>Two</p>
  <p>Three</p>
  <p>Four</p>
  <a href="https://example.com/help">Help centre</a>
</body>
</html>
"""


def _branches_adding_ctas_to_one_template(repo: Path) -> None:
    (repo / "emails").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    page = repo / "emails" / "welcome.html"
    page.write_text(WELCOME)
    assert subprocess.run([CTAMAP, "instrument", "emails"], cwd=repo).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "instrumented")
    for branch, after, link in (
        ("a", "<p>Welcome aboard.</p>", '<a href="https://example.com/tour">Take the tour</a>'),
        ("b", "<p>Four</p>", '<a href="https://example.com/pricing">See pricing</a>'),
    ):
        git(repo, "checkout", "-q", "-b", branch, "main")
        page.write_text(page.read_text().replace(after, f"{after}\n  {link}"))
        assert subprocess.run([CTAMAP, "instrument", "emails"], cwd=repo).returncode == 0
        git(repo, "commit", "-q", "-am", f"{branch}: new CTA")
    git(repo, "checkout", "-q", "a")


def test_the_git_merge_driver_merges_ctas_both_branches_added_to_one_template(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    _branches_adding_ctas_to_one_template(repo)
    (repo / ".gitattributes").write_text("ctamap.linkmap.json merge=ctamap\n")
    git(repo, "config", "merge.ctamap.name", "ctamap link map")
    git(repo, "config", "merge.ctamap.driver", f"{CTAMAP} linkmap merge %O %A %B")
    merged = git(repo, "merge", "-q", "--no-edit", "b", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    check = subprocess.run(
        [CTAMAP, "instrument", "--check", "emails"], cwd=repo, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    ids = {e["id"] for e in json.loads((repo / "ctamap.linkmap.json").read_text())["links"]}
    assert {"welcome.take-the-tour", "welcome.see-pricing", "welcome.get-started"} <= ids


def test_without_the_driver_git_conflicts_on_the_same_merge(tmp_path: Path) -> None:
    # Why the driver exists: both entries land next to each other in the sorted map.
    repo = tmp_path / "repo"
    _branches_adding_ctas_to_one_template(repo)
    merged = git(repo, "merge", "-q", "--no-edit", "b", check=False)
    assert merged.returncode != 0 and "ctamap.linkmap.json" in merged.stdout


def test_the_driver_reports_an_id_both_sides_changed_differently(tmp_path: Path) -> None:
    entry = {
        "id": "welcome.go",
        "template": "emails/welcome.html",
        "text": "Go",
        "kind": "text",
        "role": "cta",
        "url": "https://example.com/go",
        "tracked_url": None,
        "tracked": False,
        "status": "active",
        "tags": ["a"],
    }
    versions = {
        "base": entry,
        "ours": entry | {"url": "https://example.com/ours"},
        "theirs": entry | {"url": "https://example.com/theirs"},
    }
    for name, item in versions.items():
        data = {"schema": "ctamap.linkmap/2", "links": [item]}
        (tmp_path / name).write_text(json.dumps(data))
    done = subprocess.run(
        [CTAMAP, "linkmap", "merge", "base", "ours", "theirs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "welcome.go" in done.stderr and "ctamap instrument" in done.stderr
    kept = json.loads((tmp_path / "ours").read_text())["links"]
    assert [e["url"] for e in kept] == ["https://example.com/ours"]
