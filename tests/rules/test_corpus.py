"""Every real template of the corpus (CTAMAP_CORPUS) audits without crashing, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctamap import config as configuration
from ctamap.audit import run
from ctamap.output import FORMATTERS

from ..conftest import CORPUS, NO_CORPUS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS),
]


def test_whole_corpus_audits_and_renders() -> None:
    config = configuration.load(None, start=CORPUS)
    result = run([CORPUS], config)
    assert len(result.files) > 200
    assert result.errors == ()
    for finding in result.findings:
        assert finding.line >= 1 and finding.column >= 1
        assert finding.message and "\n" not in finding.message
    for render in FORMATTERS.values():
        assert render(result)
    codes = {f["code"] for f in json.loads(FORMATTERS["json"](result))["findings"]}
    # Real templates do have these problems: placeholders, insecure links, image links
    # without alt, vague text, no unsubscribe, nothing instrumented yet.
    assert {"L001", "L002", "L005", "L006", "L009", "T001"} <= codes


@pytest.mark.parametrize(
    "path",
    sorted(p for p in CORPUS.rglob("*") if p.suffix in (".html", ".txt"))
    if CORPUS.is_dir()
    else [],
    ids=lambda p: str(Path(p).relative_to(CORPUS)),
)
def test_each_file_alone(path: Path) -> None:
    """Audited alone, as pre-commit passes it, each file still audits (its text pair is read
    from beside it) with findings only for itself."""
    config = configuration.load(None, start=CORPUS)
    result = run([path], config)
    assert result.errors == ()
    assert {Path(f.path).name for f in result.findings} <= {path.name}
