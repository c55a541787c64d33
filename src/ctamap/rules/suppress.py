"""Inline suppression comments, and which of them silenced something.

`<!-- ctamap: disable=L003,L006 -->` silences those codes from its line to the end of the file
(or to a matching `enable=`); `disable-line=` only on its own line; `disable-next-line=` only on
the line after the comment ends. The same directives work in Jinja `{# … #}` and Handlebars
`{{! … }}` comments. `all` stands for every code.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Compiled by `re` on first use: most templates hold no directive, and are told by a substring.
_MARK = "ctamap:"
_DIRECTIVE = (
    r"(?:<!--|\{#-?|\{\{!(?:--)?)\s*ctamap:\s*"
    r"(?P<kind>disable-next-line|disable-line|disable|enable)\s*=\s*"
    r"(?P<codes>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)\s*(?:-->|-?#\}|(?:--)?\}\})"
)


class Suppression(NamedTuple):
    """One code named by one directive, and the lines it covers (inclusive)."""

    code: str  # upper-cased; "" for `all`
    line: int  # where the directive starts
    column: int
    first: int
    last: int

    def covers(self, code: str, line: int) -> bool:
        return self.first <= line <= self.last and code.startswith(self.code)

    @property
    def shown(self) -> str:
        return self.code or "all"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse(text: str) -> list[Suppression]:
    """Every suppression in a template, in order."""
    if _MARK not in text:
        return []
    total_lines = text.count("\n") + 1
    found: list[Suppression] = []
    open_ranges: dict[str, int] = {}  # code -> index in `found` of its open `disable`
    for match in re.finditer(_DIRECTIVE, text):
        line = _line_of(text, match.start())
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        end_line = _line_of(text, match.end())
        kind = match.group("kind")
        for raw in re.split(r"\s*,\s*", match.group("codes")):
            code = "" if raw.lower() == "all" else raw.upper()
            if kind == "enable":
                index = open_ranges.pop(code, None)
                if index is not None:
                    closed = found[index]
                    found[index] = Suppression(code, closed.line, closed.column, closed.first, line)
                continue
            first, last = {
                "disable": (line, total_lines),
                "disable-line": (line, end_line),
                "disable-next-line": (end_line + 1, end_line + 1),
            }[kind]
            if kind == "disable":
                open_ranges[code] = len(found)
            found.append(Suppression(code, line, column, first, last))
    return found
