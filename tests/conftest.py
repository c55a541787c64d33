from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# The external corpus of real templates: not shipped with the repository. Point CTAMAP_CORPUS at
# a folder of templates to run the corpus tests; without it they skip and say so.
CORPUS = Path(os.environ.get("CTAMAP_CORPUS") or REPO.parent / "shared" / "corpus")
NO_CORPUS = "set CTAMAP_CORPUS=DIR to run the corpus tests"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite expected.* golden files from the current output (read the diff!).",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests see no CI, colour or GitHub settings from the machine they run on, and a cache
    folder of their own (never the user's)."""
    monkeypatch.setenv("CTAMAP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "CI"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("COLUMNS", "200")
