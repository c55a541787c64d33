"""Where stage two runs: engines behind one protocol (`base.Engine`), chosen by name.

Engine modules are imported only when chosen, so `--engine duckdb` never loads pyspark or
sqlglot. Only `engines/` modules import duckdb, pyspark or sqlglot.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from ctamap.report.engines.base import Engine, EngineError
from ctamap.report.engines.portable import DIALECTS
from ctamap.report.model import ReportOptions

#: `--engine` value -> the module whose `create(options)` builds it.
ENGINES: Mapping[str, str] = {
    "duckdb": "ctamap.report.engines.duckdb",
    "spark": "ctamap.report.engines.spark",
}


def create(options: ReportOptions) -> Engine:
    """The engine `options.engine` names, started with the options' settings."""
    if options.engine not in ENGINES:
        raise EngineError(f"--engine {options.engine}: choose one of {', '.join(ENGINES)}")
    module = importlib.import_module(ENGINES[options.engine])
    engine: Engine = module.create(options)
    return engine


__all__ = ["DIALECTS", "ENGINES", "Engine", "EngineError", "create"]
