"""The one splice primitive: `Edit` records and `apply_edits`, which writes them into the
original text in one pass. `instrument` and the rules' suggested fixes both build on it, so a
fix and the instrumenter can never splice differently (and rules need not import instrument).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Edit(NamedTuple):
    """Replace `text[start:end]` with `replacement`."""

    start: int
    end: int
    replacement: str


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Splice non-overlapping edits into `text` in one pass."""
    parts: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        parts.append(text[cursor : edit.start])
        parts.append(edit.replacement)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


__all__ = ["Edit", "apply_edits"]
