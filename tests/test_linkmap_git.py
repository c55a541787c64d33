"""The link map in a real git repository: nothing volatile, so copy edits and clean merges of
instrumented branches leave it byte-identical and `instrument --check` passes after them;
the `ctamap linkmap merge` driver merges two branches that both added CTAs to one template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .gitrepo import git

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))
CONFIG = 'first_party_domains = ["example.com"]\n'
WELCOME = """<!doctype html>
<html>
<body>
  <p>Welcome aboard.</p>
  <a href="https://example.com/start" class="button">Get started</a>
  <p>Questions? Reply to this email.</p>
  <a href="https://example.com/help">Help centre</a>
</body>
</html>
"""
RECEIPT = """<!doctype html>
<html>
<body>
  <p>Thanks for your order.</p>
  <a href="https://example.com/orders">View your order</a>
</body>
</html>
"""


def ctamap(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTAMAP, *args], cwd=repo, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    (root / "emails").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "ctamap.toml").write_text(CONFIG)
    (root / "emails" / "welcome.html").write_text(WELCOME)
    (root / "emails" / "receipt.html").write_text(RECEIPT)
    done = ctamap(root, "instrument", "emails")
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "instrumented")
    return root


def _map(repo: Path) -> bytes:
    return (repo / "ctamap.linkmap.json").read_bytes()


def test_the_map_holds_nothing_volatile(repo: Path) -> None:
    data = json.loads(_map(repo))
    assert data["schema"] == "ctamap.linkmap/2"
    keys = {"id", "template", "text", "kind", "role", "url", "tracked_url", "tracked"}
    assert all(set(e) == keys | {"status", "tags"} for e in data["links"])


def test_a_copy_edit_leaves_the_map_byte_identical(repo: Path) -> None:
    before = _map(repo)
    page = repo / "emails" / "welcome.html"
    edited = page.read_text().replace(
        "<p>Welcome aboard.</p>", "<p>Welcome aboard.</p>\n  <p>A new paragraph, no link.</p>"
    )
    page.write_text(edited)
    check = ctamap(repo, "instrument", "--check", "emails")
    assert check.returncode == 0, check.stderr
    done = ctamap(repo, "instrument", "emails")
    assert done.returncode == 0 and done.stderr == ""
    assert _map(repo) == before
    assert page.read_text() == edited


def _add_cta(page: Path, after: str, link: str) -> None:
    page.write_text(page.read_text().replace(after, f"{after}\n  {link}"))


def test_two_instrumented_branches_merge_and_check_passes(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "a")
    _add_cta(repo / "emails" / "welcome.html", "<p>Welcome aboard.</p>",
             '<a href="https://example.com/tour">Take the tour</a>')  # fmt: skip
    assert ctamap(repo, "instrument", "emails").returncode == 0
    git(repo, "commit", "-q", "-am", "a: tour")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "b")
    _add_cta(repo / "emails" / "receipt.html", "<p>Thanks for your order.</p>",
             '<a href="https://example.com/invoice">Download the invoice</a>')  # fmt: skip
    # and a copy edit in the template branch a changed, below a's new link
    _add_cta(repo / "emails" / "welcome.html", "<p>Questions? Reply to this email.</p>",
             "<p>We reply within a day.</p>")  # fmt: skip
    assert ctamap(repo, "instrument", "emails").returncode == 0
    git(repo, "commit", "-q", "-am", "b: invoice")
    merged = git(repo, "merge", "-q", "--no-edit", "a", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    check = ctamap(repo, "instrument", "--check", "emails")
    assert check.returncode == 0, check.stderr
    ids = {e["id"] for e in json.loads(_map(repo))["links"]}
    assert {"welcome.take-the-tour", "receipt.download-the-invoice"} <= ids


def test_a_v1_map_is_read_and_rewritten_as_v2(repo: Path) -> None:
    current = json.loads(_map(repo))
    old = {
        "schema": "ctamap.linkmap/1",
        "links": [
            {k: v for k, v in e.items() if k != "tags"}
            | {"occurrences": [{"line": 9, "column": 3, "tag": t} for t in e["tags"]]}
            for e in current["links"]
        ],
    }
    (repo / "ctamap.linkmap.json").write_text(json.dumps(old, indent=2))
    check = ctamap(repo, "instrument", "--check", "emails")
    assert check.returncode == 1 and "would update link map" in check.stderr
    done = ctamap(repo, "instrument", "emails")
    assert done.returncode == 0, done.stderr
    assert json.loads(_map(repo)) == current
    assert ctamap(repo, "instrument", "--check", "emails").returncode == 0
