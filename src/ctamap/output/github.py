"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

Chosen automatically when `GITHUB_ACTIONS=true` and no `--format` was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctamap.audit import AuditResult

# Annotation commands GitHub knows; a notice finding becomes a `::notice`.
_COMMAND = {"error": "error", "warning": "warning", "notice": "notice"}


def _data(value: str) -> str:
    """Escape a message the way the runner's `toCommandValue` expects."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: AuditResult) -> str:
    lines = []
    for f in result.findings:
        command = _COMMAND[f.severity.value]
        lines.append(
            f"::{command} file={_property(f.path)},line={f.line},col={f.column},"
            f"title={_property(f.code)}::{_data(f'{f.code} {f.message}')}\n"
        )
    for error in result.errors:
        where = f",line={error.line}" if error.line else ""
        lines.append(
            f"::error file={_property(error.path or '')}{where},title=ctamap::"
            f"{_data(error.message)}\n"
        )
    return "".join(lines)
