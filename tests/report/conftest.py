from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture
def events_dir() -> Path:
    return FIXTURES


@pytest.fixture
def link_map() -> Path:
    return FIXTURES / "linkmap.json"
