"""Reading the link maps `report` joins against: several maps merge by link ID.

Parsing is `ctamap.ids.LinkMap`'s, the same that `instrument` writes with.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ctamap.errors import InputError
from ctamap.ids import LinkMap, LinkMapEntry

__all__ = ["LinkMapEntry", "load_link_maps"]


def load_link_maps(paths: Iterable[Path]) -> list[LinkMapEntry]:
    """Read every map, JSON or CSV, and merge them by link ID."""
    merged: dict[str, LinkMapEntry] = {}
    for path in paths:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read link map ({exc})", path=name) from None
        for entry in LinkMap.loads(text, name).entries:
            previous = merged.get(entry.id)
            # Positions differ between checkouts; only what the link is must agree.
            if previous is not None and previous.__dict__ | {"occurrences": ()} != (
                entry.__dict__ | {"occurrences": ()}
            ):
                raise InputError(
                    f"link ID {entry.id!r} appears in two maps with different contents", path=name
                )
            merged[entry.id] = entry
    if not merged:
        raise InputError("the link map has no links", path=", ".join(map(str, paths)))
    return sorted(merged.values(), key=lambda entry: entry.id)
