"""The default human format: `path:line:col: CODE message`, one finding per line, sorted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctamap.audit import AuditResult


def render(result: AuditResult) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in result.findings)


def summary(result: AuditResult) -> str:
    """One line for stderr: what was found, so a clean run still says something."""
    counts = {"error": 0, "warning": 0, "notice": 0}
    for finding in result.findings:
        counts[finding.severity.value] += 1
    files = len(result.files)
    noun = "file" if files == 1 else "files"
    if not result.findings and not result.errors:
        return f"ctamap: {files} {noun} audited, no findings"
    parts = [f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items() if n]
    if result.errors:
        parts.append(f"{len(result.errors)} unreadable")
    return f"ctamap: {files} {noun} audited: {', '.join(parts)}"
