"""The vocabulary every rule shares: severities, findings, fix edits, and the rule registry.

A rule is a small function registered under its code with `@rule(...)`; its docstring is its
documentation (ruff's sections), printed by `ctamap rules CODE` and checked by a test.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

# Fixes are the same `Edit` records `instrument` applies, spliced by the same function.
from ctamap.edits import Edit, apply_edits

if TYPE_CHECKING:
    from ctamap.rules.context import Context


class Severity(enum.Enum):
    """How loud a finding is; errors and warnings fail a run, notices only inform."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def fails(self) -> bool:
        return self is not Severity.NOTICE


# The records here are NamedTuples, not frozen dataclasses: as immutable and typed, and a
# third of the cost to define, which every pre-commit call pays at import.
class Finding(NamedTuple):
    """One problem at one place, ready to be printed in any output format."""

    path: str  # as shown to the user
    line: int  # 1-based
    column: int  # 1-based, in characters
    code: str  # "L006"
    name: str  # "vague-link-text"
    severity: Severity
    message: str  # one line naming the link: its text and destination
    fixes: tuple[Edit, ...] = ()  # applying these to the file removes the finding

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


class Hit(NamedTuple):
    """What a rule reports: where and what; the runner adds path, code, name and severity."""

    line: int
    column: int
    message: str
    fixes: tuple[Edit, ...] = ()


Check = Callable[["Context"], Iterable[Hit]]

# The sections every rule docstring has, in this order (ruff's layout).
DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Fix")
_SECTION = r"^## (.+?)\s*$"  # compiled by `re` when first needed: `ctamap rules`, docs


class Rule(NamedTuple):
    """One entry of the catalogue."""

    code: str
    name: str  # kebab-case
    severity: Severity  # the default; `[audit] severity` overrides it
    summary: str  # one line, for listings and SARIF shortDescription
    check: Check

    @property
    def doc(self) -> str:
        """The rule's documentation: its check function's docstring, dedented."""
        return inspect.cleandoc(self.check.__doc__ or "")

    def sections(self) -> dict[str, str]:
        """Documentation sections by heading (`## What it does` …), bodies stripped."""
        doc = self.doc
        heads = list(re.finditer(_SECTION, doc, re.M))
        return {
            head.group(1): doc[head.end() : nxt.start() if nxt else len(doc)].strip()
            for head, nxt in zip(heads, [*heads[1:], None], strict=True)
        }


RULES: dict[str, Rule] = {}

__all__ = [
    "DOC_SECTIONS",
    "RULES",
    "Edit",
    "Finding",
    "Hit",
    "Rule",
    "Severity",
    "apply_edits",
    "catalogue",
    "rule",
]


def rule(code: str, name: str, severity: Severity) -> Callable[[Check], Check]:
    """Register a check under `code`; the first docstring line is the rule's summary."""

    def register(check: Check) -> Check:
        if code in RULES:  # pragma: no cover - a programming error caught at import
            raise ValueError(f"rule {code} registered twice")
        # The first line `cleandoc` would give, without dedenting the whole docstring.
        summary = (check.__doc__ or "").expandtabs().lstrip().split("\n", 1)[0].strip()
        RULES[code] = Rule(code, name, severity, summary, check)
        return check

    return register


# Families in the order the design lists them; M (suppression hygiene) last.
_FAMILIES = "LTVPSM"


def catalogue() -> list[Rule]:
    """Every rule, by family then code."""
    return sorted(RULES.values(), key=lambda r: (_FAMILIES.find(r.code[0]), r.code))
