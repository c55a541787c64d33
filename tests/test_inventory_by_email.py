"""`ctamap inventory --by-email`: each email's composed links, in every format (subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE = """<html><body>
<a href="https://www.example.com/">Home</a>
{% block body %}{% endblock %}
{% include 'partials/footer.html' %}
</body></html>
"""
FOOTER = '<a href="https://www.example.com/help">Help</a>\n'
WELCOME = """{% extends 'layouts/base.html' %}
{% block body %}<a href="https://www.example.com/start" class="button">Start</a>{% endblock %}
"""


def _ctamap(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("ctamap")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ctamap"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n', "utf-8")
    for name, text in {
        "layouts/base.html": BASE,
        "partials/footer.html": FOOTER,
        "emails/welcome.html": WELCOME,
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_csv_lists_the_email_with_its_layout_and_partial_links(repo: Path) -> None:
    # Only the email is named: its layout and partial are read from disk.
    done = _ctamap(repo, "inventory", "emails/welcome.html", "--by-email", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["email"], r["from"], r["text"]) for r in rows] == [
        ("emails/welcome.html", "emails/welcome.html", "Start"),
        ("emails/welcome.html", "layouts/base.html", "Home"),
        ("emails/welcome.html", "partials/footer.html", "Help"),
    ]
    assert all(r["id"] for r in rows)


def test_json_and_table_show_the_same_composition(repo: Path) -> None:
    done = _ctamap(repo, "inventory", ".", "--by-email", "--format", "json")
    assert done.returncode == 0, done.stderr
    emails = json.loads(done.stdout)["emails"]
    assert [e["email"] for e in emails] == ["emails/welcome.html"]  # layouts are not emails
    assert [link["from"] for link in emails[0]["links"]] == [
        "emails/welcome.html",
        "layouts/base.html",
        "partials/footer.html",
    ]
    table = _ctamap(repo, "inventory", ".", "--by-email")
    assert table.returncode == 0, table.stderr
    assert "3 links by email" in table.stdout
    assert "layouts/base.html" in table.stdout and "partials/footer.html" in table.stdout
