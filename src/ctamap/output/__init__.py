"""Finding formatters, one per output format, in a registry keyed by the `--format` name.

Each formatter takes an `AuditResult` and returns the whole output as one string, so that
`--output-file` and stdout are written the same way. A formatter's module is imported when it
is first looked up: a pre-commit call printing text does not pay for the JUnit XML writer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctamap.audit import AuditResult

Formatter = Callable[["AuditResult"], str]

#: `--format` name -> (module under ctamap.output, function).
_WHERE: dict[str, tuple[str, str]] = {
    "text": ("text", "render"),
    "json": ("machine", "render_json"),
    "sarif": ("machine", "render_sarif"),
    "github": ("github", "render"),
    "junit": ("junit", "render"),
}


class _Formatters(Mapping[str, Formatter]):
    """The registry, importing each formatter's module on first use."""

    def __getitem__(self, name: str) -> Formatter:
        module, function = _WHERE[name]
        render: Formatter = getattr(importlib.import_module(f"ctamap.output.{module}"), function)
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


FORMATTERS: Mapping[str, Formatter] = _Formatters()

__all__ = ["FORMATTERS", "Formatter"]
