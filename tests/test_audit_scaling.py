"""`audit` costs in proportion to its files: cross-file facts are built once per run.

Counting the work (folder listings, passes over the link map) instead of timing it keeps these
tests exact on a busy machine; bench/bench_scaling.py measures the time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ctamap import config as configuration
from ctamap.audit import audit
from ctamap.walk import collect

TEMPLATE = '<a href="https://www.example.com/{n}?cta_id=t{n}.start" class="button">Start</a>\n'


def _tree(tmp_path: Path, count: int) -> list[Path]:
    folder = tmp_path / "emails"
    folder.mkdir()
    html = []
    for n in range(count):
        (folder / f"t{n}.html").write_text(TEMPLATE.format(n=n), encoding="utf-8")
        (folder / f"t{n}.txt").write_text(f"Start ( https://www.example.com/{n} )\n", "utf-8")
        html.append(folder / f"t{n}.html")
    return html


def test_the_folder_of_unnamed_text_versions_is_listed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pre-commit names only the changed HTML files; their text twins are found on disk.
    html = _tree(tmp_path, 40)
    config = configuration.from_mapping({}, root=tmp_path)
    files = collect(html, config)
    listed: list[str] = []
    for name in ("listdir", "scandir"):
        real = getattr(os, name)

        def counting(path: Any = ".", _real: Any = real) -> Any:
            listed.append(os.fspath(path))
            return _real(path)

        monkeypatch.setattr(os, name, counting)
    result = audit(files, config, select=["V002"])
    assert result.findings == ()  # every twin was found and offers the button
    assert listed.count(str(tmp_path / "emails")) <= 1, listed


class _CountingList(list[Any]):
    passes = 0

    def __iter__(self) -> Any:
        type(self).passes += 1
        return super().__iter__()


def test_the_link_map_is_indexed_once_not_once_per_template(tmp_path: Path) -> None:
    from ctamap.audit import Selection, audit_template
    from ctamap.classify import Classifier
    from ctamap.linkmap import LinkMap
    from ctamap.pipeline import load
    from ctamap.rules import Context, Project

    html = _tree(tmp_path, 30)
    config = configuration.from_mapping({}, root=tmp_path)
    loaded = load(collect(html, config), config)
    linkmap = LinkMap()
    entries = _CountingList(linkmap.entries)
    linkmap.entries = entries
    project = Project(config, loaded.templates, Classifier(config), linkmap=linkmap)
    selection = Selection.resolve(config, ["T003"])
    for file, template in loaded.templates:
        audit_template(Context(file, template, project), selection)
    assert _CountingList.passes <= 1
