"""Link IDs and the link map, a committed lockfile.

An ID is `<template-slug>.<cta-slug>`. Existing IDs are reused for CTAs that match a map entry
(the ID already in the href, the same `data-cta`, the same destination and/or text), so IDs
survive reordering and layout edits; CTAs that disappeared stay in the map as "retired".
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from json.encoder import encode_basestring
from pathlib import PurePosixPath
from typing import Any

from ctamap.classify import Cta, Template
from ctamap.errors import InputError

SCHEMA = "ctamap.linkmap/1"
CSV_COLUMNS = ("id", "template", "text", "kind", "role", "url", "tracked_url", "tracked", "status")
_GENERIC_STEMS = frozenset(
    {"content", "index", "body", "template", "email", "html", "text", "main"}
)
_MAX_SLUG = 40


@dataclass(frozen=True)
class Occurrence:
    line: int
    column: int
    tag: str


@dataclass(frozen=True)
class LinkMapEntry:
    """One CTA in the link map; field order is the file's key order."""

    id: str
    template: str  # posix path relative to the project root
    text: str
    kind: str
    role: str
    url: str  # destination as written, without the tracking parameters ctamap manages
    tracked_url: str | None  # what instrument wrote; None when not tracked
    tracked: bool
    status: str = "active"  # or "retired"
    occurrences: tuple[Occurrence, ...] = field(default=())

    @property
    def campaign(self) -> str:
        """`utm_campaign` of the tracked URL; the template when there is none."""
        from ctamap.urls import params_of

        found = dict(params_of(self.tracked_url or "")).get("utm_campaign", "")
        return found or self.template

    @property
    def part(self) -> str:
        """`text` for links in text templates, else `html`."""
        return "text" if self.kind == "text-version" else "html"


def slugify(text: str, limit: int = _MAX_SLUG) -> str:
    """Lowercase ASCII words joined by `-`, cut on a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def _destination_slug(url: str) -> str:
    path = re.sub(r"^[a-z][a-z0-9+.-]*:(//[^/]*)?", "", url.split("?")[0].split("#")[0], flags=re.I)
    parts = [p for p in path.split("/") if slugify(p)]
    if parts:
        return slugify(parts[-1])
    host = re.match(r"^[a-z]+://([^/?#]+)", url, re.I)
    return slugify(host.group(1)) if host else ""


def cta_slug(cta: Cta) -> str:
    """From `data-cta`, else the visible text, else the destination path, else the role."""
    return (
        slugify(cta.explicit_id)
        or slugify(cta.text)
        or _destination_slug(cta.url)
        or slugify(cta.role)
        or "link"
    )


def template_slugs(key: str, is_text: bool) -> list[str]:
    """Candidate slugs for a template, shortest first: stem (or folder for `content.html`)."""
    path = PurePosixPath(key)
    stem = path.name.split(".")[0]
    names = [p for p in path.parent.parts if p not in ("", ".", "..")]
    if slugify(stem) and stem.lower() not in _GENERIC_STEMS:
        names.append(stem)
    elif not names:
        names.append(stem or "template")
    candidates = [slugify("-".join(names[-n:]), 60) for n in range(1, len(names) + 1)]
    suffix = ".txt" if is_text else ""
    return [c + suffix for c in candidates if c] or ["template" + suffix]


def _template_prefix(entry_id: str) -> str:
    return entry_id.rsplit(".", 1)[0]


class LinkMap:
    """The entries of a link map, with the lookups ID assignment needs."""

    def __init__(self, entries: Iterable[LinkMapEntry] = ()) -> None:
        self.entries = list(entries)

    @classmethod
    def loads(cls, text: str, path: str) -> LinkMap:
        """A map from its JSON, or CSV with the same columns (decided by the content)."""
        text = text.removeprefix("\ufeff")
        if not text.lstrip().startswith("{"):
            reader = csv.DictReader(io.StringIO(text))
            missing = [c for c in ("id", "template", "url") if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"CSV link map lacks column(s) {', '.join(missing)}", path=path)
            return cls(_entry_from_row(row) for row in reader)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"link map is not valid JSON: {error.msg}", path=path, line=error.lineno
            ) from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InputError(f'not a link map (expected "schema": "{SCHEMA}")', path=path)
        links = data.get("links")
        if not isinstance(links, list):
            raise InputError('link map has no "links" list', path=path)
        for n, item in enumerate(links, 1):
            if not isinstance(item, dict):
                raise InputError(f"link map entry #{n} is not an object", path=path)
            if missing := [key for key in ("id", "template") if not item.get(key)]:
                raise InputError(f"link map entry #{n} lacks {', '.join(missing)}", path=path)
        return cls(_entry_from_json(item) for item in links)

    def dumps(self, fmt: str = "json") -> str:
        entries = sorted(self.entries, key=lambda e: (e.template, e.id))
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for e in entries:
                row = asdict(e)
                writer.writerow(
                    [
                        ""
                        if row[c] is None
                        else str(row[c]).lower()
                        if isinstance(row[c], bool)
                        else row[c]
                        for c in CSV_COLUMNS
                    ]
                )
            return out.getvalue()
        if not entries:
            return json.dumps({"schema": SCHEMA, "links": []}, indent=2) + "\n"
        links = ",\n".join(_entry_json(e) for e in entries)
        return f'{{\n  "schema": {_json_scalar(SCHEMA)},\n  "links": [\n{links}\n  ]\n}}\n'


# The bytes `json.dumps(..., indent=2, ensure_ascii=False)` gives for the map, written directly:
# with `indent` json falls back to its pure-Python encoder, the main cost of a large map.
_ENTRY_FIELDS = tuple(f.name for f in fields(LinkMapEntry))
_OCCURRENCE = (
    '        {\n          "line": %d,\n          "column": %d,\n          "tag": %s\n        }'
)


def _json_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return encode_basestring(value)
    raise TypeError(f"not a link map scalar: {value!r}")


def _entry_json(entry: LinkMapEntry) -> str:
    lines: list[str] = []
    for name in _ENTRY_FIELDS:
        value = getattr(entry, name)
        if name != "occurrences":
            lines.append(f'      "{name}": {_json_scalar(value)}')
        elif not value:
            lines.append('      "occurrences": []')
        else:
            items = ",\n".join(_OCCURRENCE % (o.line, o.column, _json_scalar(o.tag)) for o in value)
            lines.append(f'      "occurrences": [\n{items}\n      ]')
    return "    {\n" + ",\n".join(lines) + "\n    }"


def _entry_from_json(item: dict[str, Any]) -> LinkMapEntry:
    occurrences = tuple(
        Occurrence(int(o["line"]), int(o["column"]), str(o["tag"]))
        for o in item.get("occurrences") or ()
    )
    tracked_url = item.get("tracked_url")
    return LinkMapEntry(
        id=str(item["id"]),
        template=str(item["template"]),
        text=str(item.get("text", "")),
        kind=str(item.get("kind", "")),
        role=str(item.get("role", "")),
        url=str(item.get("url", "")),
        tracked_url=None if tracked_url is None else str(tracked_url),
        tracked=bool(item.get("tracked", False)),
        status=str(item.get("status", "active")),
        occurrences=occurrences,
    )


def _entry_from_row(row: dict[str, str]) -> LinkMapEntry:
    return LinkMapEntry(
        id=row["id"],
        template=row["template"],
        text=row.get("text", ""),
        kind=row.get("kind", ""),
        role=row.get("role", ""),
        url=row.get("url", ""),
        tracked_url=row.get("tracked_url") or None,
        tracked=row.get("tracked", "").lower() == "true",
        status=row.get("status") or "active",
    )


@dataclass
class _Claims:
    """IDs taken so far in this run, across the whole map."""

    used: set[str]
    template_of_prefix: dict[str, str]

    def unique(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}-{n}"
        self.used.add(candidate)
        return candidate


@dataclass(frozen=True)
class Allocation:
    """What one template needs to be given IDs on its own: its slug, its map entries and the
    IDs already taken under that slug. IDs of two templates never collide (their slugs
    differ), so templates can be given IDs independently, in parallel."""

    prefix: str
    entries: tuple[LinkMapEntry, ...]
    used: frozenset[str]


def allocate(templates: Sequence[tuple[str, bool]], linkmap: LinkMap) -> dict[str, Allocation]:
    """A slug for every template (key, is_text), in key order, against the map."""
    claims = _Claims(
        used={e.id for e in linkmap.entries},
        template_of_prefix={_template_prefix(e.id): e.template for e in linkmap.entries},
    )
    by_template: dict[str, list[LinkMapEntry]] = {}
    by_prefix: dict[str, set[str]] = {}
    for entry in linkmap.entries:
        by_template.setdefault(entry.template, []).append(entry)
        by_prefix.setdefault(_template_prefix(entry.id), set()).add(entry.id)
    allocations: dict[str, Allocation] = {}
    for key, is_text in sorted(templates):
        entries = by_template.get(key, [])
        prefix = _prefix_for(key, is_text, entries, claims)
        allocations[key] = Allocation(prefix, tuple(entries), frozenset(by_prefix.get(prefix, ())))
    return allocations


def assign_template(
    template: Template, allocation: Allocation, *, link_id_param: str, managed: frozenset[str]
) -> list[str]:
    """A link ID for every CTA of one template, in CTA order. `managed` names every tracking
    parameter ctamap writes, the link-ID one included."""
    from ctamap.urls import params_of  # local: keeps ids importable without URL helpers

    prefix = allocation.prefix
    claims = _Claims(used=set(allocation.used), template_of_prefix={})
    ids: list[str | None] = [None] * len(template.ctas)
    # In document order as last written, so that of several CTAs alike (same destination
    # and text) the first takes the first one's ID again, not `x-10` before `x-2`.
    free = {e.id: e for e in sorted(allocation.entries, key=_document_order)}
    # 1. The ID already written into the href, or the `data-cta` one, when the map has it.
    for i, cta in enumerate(template.ctas):
        written = dict(params_of(cta.url)).get(link_id_param, "")
        explicit = f"{prefix}.{slugify(cta.explicit_id)}" if cta.explicit_id else ""
        # A `data-cta` used twice got `-2`, `-3` … when new: those are its IDs too.
        numbered = [e for e in free if explicit and _numbered(e, explicit)]
        for candidate in (written, explicit, *numbered):
            if candidate and candidate in free:
                ids[i] = candidate
                del free[candidate]
                break
            if (
                candidate == written
                and _template_prefix(written) == prefix
                and written not in claims.used
            ):
                # Instrumented before, map lost or not committed: the href still knows.
                ids[i] = written
                claims.used.add(written)
                break
    # 2. The same destination and text, then the same destination, then the same text.
    bases = [base_url(cta.url, managed) for cta in template.ctas]
    matchers: tuple[Callable[[int, LinkMapEntry], bool], ...] = (
        lambda i, e: e.url == bases[i] and e.text == template.ctas[i].text,
        lambda i, e: e.url == bases[i],
        lambda i, e: bool(template.ctas[i].text) and e.text == template.ctas[i].text,
    )
    for same in matchers:
        for i, cta in enumerate(template.ctas):
            if ids[i] is None and not cta.explicit_id:
                match = next((e for e in free.values() if same(i, e)), None)
                if match is not None:
                    ids[i] = match.id
                    del free[match.id]
    # 3. Genuinely new CTAs get new IDs.
    return [
        found if found is not None else claims.unique(f"{prefix}.{cta_slug(cta)}")
        for found, cta in zip(ids, template.ctas, strict=True)
    ]


def assign(
    templates: Sequence[tuple[str, Template]],
    linkmap: LinkMap,
    *,
    link_id_param: str,
    managed: frozenset[str],
) -> dict[str, list[str]]:
    """A link ID for every CTA of every template (keyed by template key, in CTA order)."""
    allocations = allocate([(key, t.is_text) for key, t in templates], linkmap)
    return {
        key: assign_template(
            template, allocations[key], link_id_param=link_id_param, managed=managed
        )
        for key, template in templates
    }


def _numbered(entry_id: str, base: str) -> bool:
    """`base-2`, `base-3` …: the IDs `_Claims.unique` makes when `base` is taken."""
    suffix = entry_id.removeprefix(base + "-")
    return suffix != entry_id and suffix.isdigit()


def _document_order(entry: LinkMapEntry) -> tuple[int, int, str, int]:
    """First occurrence in the template, then the ID with its `-N` suffix read as a number
    (maps written as CSV carry no occurrences)."""
    line, column = (
        (entry.occurrences[0].line, entry.occurrences[0].column) if entry.occurrences else (0, 0)
    )
    base, _, n = entry.id.rpartition("-")
    if base and n.isdigit():
        return line, column, base, int(n)
    return line, column, entry.id, 1


def _prefix_for(key: str, is_text: bool, entries: list[LinkMapEntry], claims: _Claims) -> str:
    """The template's slug: the one its map entries use, else the shortest one still free."""
    for entry in entries:
        return _template_prefix(entry.id)
    candidates = template_slugs(key, is_text)
    for candidate in candidates:
        if claims.template_of_prefix.get(candidate, key) == key:
            claims.template_of_prefix[candidate] = key
            return candidate
    base, n = candidates[-1], 2
    while f"{base}-{n}" in claims.template_of_prefix:
        n += 1
    claims.template_of_prefix[f"{base}-{n}"] = key
    return f"{base}-{n}"


def base_url(url: str, managed: Iterable[str]) -> str:
    """The destination without the tracking parameters ctamap manages: what the map records as
    `url`, so that an instrumented template maps to the same entries as before."""
    from ctamap.urls import without_params

    return without_params(url, managed)


def update(linkmap: LinkMap, fresh: dict[str, list[LinkMapEntry]]) -> LinkMap:
    """The map after a run: entries of the templates seen are replaced by `fresh`; entries of
    those templates that are gone become retired; other templates' entries stay as they were."""
    kept: list[LinkMapEntry] = []
    fresh_ids = {e.id for entries in fresh.values() for e in entries}
    for entry in linkmap.entries:
        if entry.template not in fresh:
            kept.append(entry)
        elif entry.id not in fresh_ids:
            kept.append(replace(entry, status="retired"))
    for entries in fresh.values():
        kept.extend(entries)
    return LinkMap(kept)
