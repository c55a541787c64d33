"""The user documentation (README.md and docs/) stays true to the code it describes.

- docs/rules.md is what `ctamap rules --format markdown` prints (regenerate it, do not edit it);
- docs/configuration.md has a `### \\`key\\`` entry for every key of the config model and every
  key `ctamap config` prints, and no entry for a key that does not exist;
- every relative link (and `#anchor`) in README.md and docs/ resolves;
- the documents stand alone: nothing points outside the repository.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ctamap import config as configuration

from .conftest import REPO

DOCS = REPO / "docs"
PAGES = sorted([REPO / "README.md", *DOCS.rglob("*.md")])
REFERENCE = DOCS / "configuration.md"


# -- rules.md ------------------------------------------------------------------------------------


def test_rules_page_is_generated_from_the_rule_docstrings() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "ctamap", "rules", "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert committed == printed, (
        "docs/rules.md is out of date: run `ctamap rules --format markdown > docs/rules.md`"
    )


def test_rules_page_has_a_section_per_rule() -> None:
    from ctamap.rules import catalogue

    page = (DOCS / "rules.md").read_text(encoding="utf-8")
    for rule in catalogue():
        assert f"\n## {rule.code} {rule.name}\n" in page
        for section in ("What it does", "Why it matters", "Example", "Fix"):
            assert f"### {section}" in page


# -- configuration.md ----------------------------------------------------------------------------


def _model_keys() -> set[str]:
    """Dotted keys of the config model: top-level fields, and the fields of each table."""
    keys: set[str] = set()
    tables: dict[str, type[Any]] = getattr(configuration, "_TABLES", {})

    def walk(cls: type[Any], prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if f.name in ("origin", "root"):
                continue
            name = f"{prefix}{f.name}"
            if not prefix and f.name in tables:
                walk(tables[f.name], f"{name}.")
            else:
                keys.add(name)

    walk(configuration.Config, "")
    return keys


def _printed_keys() -> set[str]:
    """Dotted keys `ctamap config` prints for the defaults (`[table]`, `[[table]]` headers)."""
    keys: set[str] = set()
    table = ""
    for line in configuration.describe(configuration.Config()).splitlines():
        if header := re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*$", line):
            table = header.group(1)
            keys.add(table)
        elif assignment := re.match(r"^([A-Za-z0-9_.-]+)\s*=", line):
            keys.add(f"{table}.{assignment.group(1)}" if table else assignment.group(1))
    return keys


def _documented() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return set(re.findall(r"^#{3,4} `([^`]+)`", text, re.M))


def _tables() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return set(re.findall(r"^## `\[\[?([^\]`]+)\]\]?`", text, re.M))


@pytest.mark.parametrize("key", sorted(_model_keys() | _printed_keys()))
def test_every_config_key_is_in_the_reference(key: str) -> None:
    if key in _tables():  # a table (`[utm]`) is documented by its section
        return
    assert key in _documented(), (
        f"config key '{key}' is not documented: add a `### \\`{key}\\`` entry (type, default, "
        f"example) to docs/configuration.md"
    )


def test_the_reference_documents_no_key_that_does_not_exist() -> None:
    known = _model_keys() | _printed_keys()
    stale = sorted(k for k in _documented() if k not in known and not _is_nested(k, known))
    assert not stale, f"docs/configuration.md documents keys the config does not have: {stale}"


def _is_nested(key: str, known: set[str]) -> bool:
    """`utm.override.paths`: a key inside a documented key that is itself a table or list of
    tables, documented where it is (the model holds such tables as one field)."""
    return any(key.startswith(f"{k}.") for k in known)


def test_reference_defaults_match_the_model() -> None:
    """Each entry's `*Default*:` shows the model's default value (scalars and lists, as TOML;
    a long list may wrap onto the next line)."""
    text = REFERENCE.read_text(encoding="utf-8").replace(",\n", ", ")
    defaults = configuration.Config()
    entry = re.compile(r"^### `([^`]+)`\n\n\*Type\*:[^\n]*?\*Default\*: `([^`]*)`", re.M)
    for match in entry.finditer(text):
        key, shown = match.groups()
        value: Any = defaults
        for part in key.split("."):
            value = getattr(value, part, None)
        if isinstance(value, bool | int | str | tuple):
            assert shown == configuration._toml_value(value), f"{key}: documented default {shown}"


# -- links ---------------------------------------------------------------------------------------

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<img [^>]*src=\"([^\"]+)\"")
_FENCED = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def _anchors(page: Path) -> set[str]:
    """Heading anchors as GitHub/GitLab make them: lowercase, punctuation dropped, spaces -."""
    text = _FENCED.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(page: Path) -> list[str]:
    text = _FENCED.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    return [a or b for a, b in _LINK.findall(text)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: …
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        inside = REPO.resolve() in (destination.resolve(), *destination.resolve().parents)
        if not destination.exists() or not inside:
            broken.append(target)
            continue
        if anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(target)
    assert not broken, f"{page.relative_to(REPO)}: links that do not resolve: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_pages_stand_alone(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "design.md" not in text, (
        f"{page.relative_to(REPO)} points outside the repository"
    )


def test_every_page_is_reachable_from_the_docs_index() -> None:
    """docs/README.md links every page, directly or through pages it links (providers/…)."""
    index = (DOCS / "README.md").resolve()
    reached, todo = {index}, [index]
    while todo:
        page = todo.pop()
        for target in _links(page):
            path = target.partition("#")[0]
            if not path or re.match(r"[a-z][a-z0-9+.-]*:", path, re.I):
                continue
            found = (page.parent / path).resolve()
            if found.suffix == ".md" and found.is_file() and found not in reached:
                reached.add(found)
                todo.append(found)
    missing = [str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if p.resolve() not in reached]
    assert not missing, f"pages no link from docs/README.md leads to: {missing}"
