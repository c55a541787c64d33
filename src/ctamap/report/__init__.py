"""`ctamap report`: join click/open/delivery logs exported by email services back to CTAs.

Pipeline (one module per step): `sources`, `detect`, `providers/` and `normalise` (read +
normalise, stage one),
`attribute`, `filter`, `aggregate` (plain SQL, stage two), `render`. `pipeline.run_report` ties
them together.
"""

from __future__ import annotations

from ctamap.report.linkmap import LinkMapEntry, load_link_maps
from ctamap.report.model import (
    EXCLUSION_REASONS,
    BotMode,
    CtaTotals,
    EmailFigures,
    Event,
    Group,
    Report,
    ReportOptions,
    Summary,
    UnmatchedUrl,
)
from ctamap.report.pipeline import read_events, run_report, run_reports
from ctamap.report.providers import FORMATS, PROVIDERS
from ctamap.report.render import RENDERERS

__all__ = [
    "EXCLUSION_REASONS",
    "FORMATS",
    "PROVIDERS",
    "RENDERERS",
    "BotMode",
    "CtaTotals",
    "EmailFigures",
    "Event",
    "Group",
    "LinkMapEntry",
    "Report",
    "ReportOptions",
    "Summary",
    "UnmatchedUrl",
    "load_link_maps",
    "read_events",
    "run_report",
    "run_reports",
]
