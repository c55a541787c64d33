"""After `instrument`, `audit` has nothing left to say about tracking: checked on every golden
instrument case (fixtures/instrument/<case>/expected.*) and on the whole corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ctamap import config as configuration
from ctamap.audit import run
from ctamap.workspace import instrument, open_workspace

from ..conftest import CORPUS, FIXTURES, NO_CORPUS

# The rules instrument is responsible for: tracking, link IDs, the pixel, text versions.
INSTRUMENT_RULES = ["T001", "T003", "T004", "V001", "P001", "P002"]
GOLDENS = sorted(p for p in (FIXTURES / "instrument").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", GOLDENS, ids=[p.name for p in GOLDENS])
def test_golden_output_audits_clean(case: Path, tmp_path: Path) -> None:
    for expected in case.glob("expected.*"):
        suffix = expected.name.removeprefix("expected.")
        name = "ctamap.linkmap.json" if suffix == "linkmap.json" else f"input.{suffix}"
        shutil.copy(expected, tmp_path / name)
    shutil.copy(case / "config.toml", tmp_path / "ctamap.toml")
    config = configuration.load(tmp_path / "ctamap.toml")
    result = run([tmp_path], config, select=INSTRUMENT_RULES)
    assert result.findings == (), [f"{f.code} {f.message}" for f in result.findings]


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS)
def test_corpus_instrumented_then_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    (copy / ".git").mkdir()
    monkeypatch.chdir(copy)
    data = {"pixel": {"url": "https://t.example.com/o.gif?m={{ message_id }}"}}
    config = configuration.from_mapping(data, root=copy)
    before = run([copy], config, select=INSTRUMENT_RULES)
    assert {"T001", "P001"} <= {f.code for f in before.findings}
    workspace = open_workspace([copy], config)
    assert instrument(workspace).errors == ()
    after = run([copy], config, select=INSTRUMENT_RULES)
    assert after.findings == (), [
        f"{f.path}:{f.line} {f.code} {f.message}" for f in after.findings
    ][:10]
