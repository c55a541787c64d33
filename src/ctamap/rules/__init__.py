"""The rule catalogue: one module per family, every rule registered in `RULES` by its code.

Importing this package registers every rule; `ctamap.audit` runs the selected ones.
"""

from __future__ import annotations

# Importing the family modules fills the registry.
from ctamap.rules import links, parity, pixel, syntax, tracking
from ctamap.rules.base import (
    DOC_SECTIONS,
    RULES,
    Edit,
    Finding,
    Hit,
    Rule,
    Severity,
    apply_edits,
    catalogue,
)
from ctamap.rules.context import Context, Project

__all__ = [
    "DOC_SECTIONS",
    "RULES",
    "Context",
    "Edit",
    "Finding",
    "Hit",
    "Project",
    "Rule",
    "Severity",
    "apply_edits",
    "catalogue",
    "links",
    "parity",
    "pixel",
    "syntax",
    "tracking",
]
