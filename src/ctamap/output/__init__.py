"""Finding formatters, one per output format, in a registry keyed by the `--format` name.

Each formatter takes an `AuditResult` and returns the whole output as one string, so that
`--output-file` and stdout are written the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ctamap.output import github, junit, machine, text

if TYPE_CHECKING:
    from ctamap.audit import AuditResult

Formatter = Callable[["AuditResult"], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": machine.render_json,
    "sarif": machine.render_sarif,
    "github": github.render,
    "junit": junit.render,
}

__all__ = ["FORMATTERS", "Formatter"]
