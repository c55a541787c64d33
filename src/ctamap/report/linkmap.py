"""Reading the link map (`ctamap.linkmap/1` JSON, or the same columns as CSV) for `report`.

The link map is written by `ctamap instrument`; `report` only reads it. Several maps may be given
(one per template repository); a link ID seen twice with different contents is an input error.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ctamap.errors import InputError

SCHEMA = "ctamap.linkmap/1"

#: Roles a link can have (see design.md, "Words").
ROLES = frozenset(
    {
        "cta",
        "unsubscribe",
        "preferences",
        "view-online",
        "mailto",
        "tel",
        "sms",
        "anchor",
        "dynamic",
        "placeholder",
        "third-party",
        "invalid",
        "honeypot",
    }
)


@dataclass(frozen=True)
class LinkMapEntry:
    """One link of the link map, as `report` needs it."""

    id: str
    """Link ID, e.g. `welcome.get-started` (unique across all maps given)."""
    template: str
    """Template path as written in the map, e.g. `emails/welcome.html`."""
    text: str
    """Visible text of the CTA."""
    kind: str
    """`text`, `button`, `image`, `area` or `text-version`."""
    role: str
    """One of `ROLES`; `honeypot` clicks mark a recipient as a bot."""
    url: str
    """Destination as written in the template."""
    tracked_url: str | None
    """What `instrument` wrote, or None when the link is not tracked."""
    status: str
    """`active` or `retired`; retired entries still receive clicks."""

    @property
    def campaign(self) -> str:
        """`utm_campaign` of the tracked URL; the template when there is none."""
        if self.tracked_url:
            for key, value in parse_qsl(urlsplit(self.tracked_url).query):
                if key == "utm_campaign" and value:
                    return value
        return self.template

    @property
    def part(self) -> str:
        """`text` for links in text templates, else `html`."""
        return "text" if self.kind == "text-version" else "html"


_REQUIRED = ("id", "template", "url")


def _entry(raw: Mapping[str, Any], path: str, where: str) -> LinkMapEntry:
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise InputError(f"link map entry {where} lacks {', '.join(missing)}", path=path)
    tracked_url = raw.get("tracked_url") or None
    return LinkMapEntry(
        id=str(raw["id"]).strip().lower(),
        template=str(raw["template"]),
        text=str(raw.get("text") or ""),
        kind=str(raw.get("kind") or "text"),
        role=str(raw.get("role") or "cta"),
        url=str(raw["url"]),
        tracked_url=str(tracked_url) if tracked_url else None,
        status=str(raw.get("status") or "active"),
    )


def _parse_json(text: str, path: str) -> list[LinkMapEntry]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"link map is not valid JSON ({exc.msg})"
        raise InputError(message, path=path, line=exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("links"), list):
        raise InputError('link map has no "links" list', path=path)
    schema = doc.get("schema")
    if schema is not None and schema != SCHEMA:
        raise InputError(f"link map schema {schema!r} is not {SCHEMA!r}", path=path)
    links: list[Any] = doc["links"]
    return [
        _entry(raw, path, f"#{n}")
        if isinstance(raw, dict)
        else _fail(f"link map entry #{n} is not an object", path)
        for n, raw in enumerate(links, 1)
    ]


def _fail(message: str, path: str) -> LinkMapEntry:
    raise InputError(message, path=path)


def _parse_csv(text: str, path: str) -> list[LinkMapEntry]:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or ())
    missing = [key for key in _REQUIRED if key not in header]
    if missing:
        raise InputError(f"CSV link map lacks column(s) {', '.join(missing)}", path=path)
    # Data rows start on line 2; the header is line 1.
    return [_entry(row, path, f"on line {n}") for n, row in enumerate(reader, 2)]


def load_link_maps(paths: Iterable[Path]) -> list[LinkMapEntry]:
    """Read every map, JSON or CSV (decided by content), and merge them by link ID."""
    merged: dict[str, LinkMapEntry] = {}
    for path in paths:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read link map ({exc})", path=name) from None
        parse = _parse_json if text.lstrip().startswith("{") else _parse_csv
        for entry in parse(text, name):
            previous = merged.get(entry.id)
            if previous is not None and previous != entry:
                raise InputError(
                    f"link ID {entry.id!r} appears in two maps with different contents", path=name
                )
            merged[entry.id] = entry
    if not merged:
        raise InputError("the link map has no links", path=", ".join(map(str, paths)))
    return sorted(merged.values(), key=lambda entry: entry.id)
