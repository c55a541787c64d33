from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture
def events_dir() -> Path:
    return FIXTURES


@pytest.fixture
def link_map() -> Path:
    return FIXTURES / "linkmap.json"


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for every Spark test (starting one takes ~15 s); skipped
    without the `spark` extra (`pip install -e '.[spark]'`)."""
    pytest.importorskip("pyspark")
    from ctamap.report.engines.spark import session

    spark = session("local[2]")
    spark.sparkContext.setLogLevel("ERROR")
    # Test inputs are tiny: a few partitions per shuffle instead of 200.
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    yield spark
    spark.stop()
