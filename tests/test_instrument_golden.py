"""Golden files: fixtures/instrument/<case>/input.* + config.toml -> expected.* + linkmap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ctamap.config import load
from ctamap.workspace import instrument, open_workspace

from .conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "instrument").iterdir() if p.is_dir())


def _run(case: Path, work: Path) -> tuple[dict[str, bytes], str]:
    for item in case.iterdir():
        if item.name.startswith("input"):
            shutil.copy2(item, work / item.name)
    shutil.copy2(case / "config.toml", work / "ctamap.toml")
    config = load(work / "ctamap.toml")
    workspace = open_workspace([work], config)
    result = instrument(workspace)
    assert not result.errors and not workspace.errors
    outputs = {p.name: p.read_bytes() for p in work.iterdir() if p.name.startswith("input")}
    return outputs, (work / "ctamap.linkmap.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_instrument_matches_golden(case: Path, tmp_path: Path, update_goldens: bool) -> None:
    outputs, linkmap = _run(case, tmp_path)
    for name, data in outputs.items():
        expected = case / name.replace("input", "expected", 1)
        if update_goldens:
            expected.write_bytes(data)
        assert data == expected.read_bytes(), f"{case.name}/{name} differs from {expected.name}"
    golden_map = case / "expected.linkmap.json"
    if update_goldens:
        golden_map.write_text(linkmap, encoding="utf-8")
    assert linkmap == golden_map.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_instrument_is_idempotent(case: Path, tmp_path: Path) -> None:
    first, first_map = _run(case, tmp_path)
    workspace = open_workspace([tmp_path], load(tmp_path / "ctamap.toml"))
    result = instrument(workspace)
    assert result.changed == () and not result.map_changed
    again = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("input")}
    assert again == first
    assert (tmp_path / "ctamap.linkmap.json").read_text(encoding="utf-8") == first_map
