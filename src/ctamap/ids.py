"""Link IDs: allocating template slugs and giving every CTA its ID against the link map.

An ID is `<template-slug>.<cta-slug>`. Existing IDs are reused for CTAs that match a map entry
(the ID already in the href, the same `data-cta`, the same destination and/or text), so IDs
survive reordering and layout edits; CTAs that disappeared stay in the map as "retired".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from ctamap.classify import Cta, Template
from ctamap.linkmap import SAME_ENTRY, LinkMap, LinkMapEntry, is_link_id
from ctamap.linkmap import template_prefix as _template_prefix

if TYPE_CHECKING:
    from ctamap.urls import QueryLayout

_GENERIC_STEMS = frozenset(
    {"content", "index", "body", "template", "email", "html", "text", "main"}
)
_MAX_SLUG = 40


# Cached: a repository's CTA texts, roles and folder names repeat (footers, layouts).
@functools.lru_cache(maxsize=4096)
def slugify(text: str, limit: int = _MAX_SLUG) -> str:
    """Lowercase ASCII words joined by `-`, cut on a word boundary."""
    ascii_text = text if text.isascii() else _ascii(text)
    words = _WORD.findall(ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


_WORD = re.compile(r"[a-z0-9]+")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


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


class _Owners:
    """Template slug -> the template that has it: this run's claims, else the map's (the
    template of the slug's last entry in map order), looked up per slug so that a one-file
    run asks the map about its few candidate slugs only."""

    def __init__(self, linkmap: LinkMap | None) -> None:
        self._claimed: dict[str, str] = {}
        self._linkmap = linkmap

    def get(self, prefix: str, default: str) -> str:
        found = self._claimed.get(prefix)
        if found is None and self._linkmap is not None:
            entries = self._linkmap.with_prefix(prefix)
            found = entries[-1].template if entries else None
        return default if found is None else found

    def __contains__(self, prefix: str) -> bool:
        return self.get(prefix, "") != ""

    def __setitem__(self, prefix: str, template: str) -> None:
        self._claimed[prefix] = template


@dataclass
class _Claims:
    """IDs taken so far; `unique` remembers where each base's numbering stopped, so that many
    CTAs alike cost one step each rather than a count from 2 every time."""

    used: set[str]
    template_of_prefix: _Owners
    _next: dict[str, int] = field(default_factory=dict)

    def unique(self, wanted: str) -> str:
        candidate, n = wanted, self._next.get(wanted, 1)
        if n > 1:
            candidate = f"{wanted}-{n}"
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}-{n}"
        self._next[wanted] = n
        self.used.add(candidate)
        return candidate


class Allocation(NamedTuple):
    """What one template needs to be given IDs on its own: its slug, its map entries and the
    IDs already taken under that slug. IDs of two templates never collide (their slugs
    differ), so templates can be given IDs independently, in parallel."""

    prefix: str
    entries: tuple[LinkMapEntry, ...]
    used: frozenset[str]


def allocate(templates: Sequence[tuple[str, bool]], linkmap: LinkMap) -> dict[str, Allocation]:
    """A slug for every template (key, is_text), in key order, against the map."""
    claims = _Claims(used=set(), template_of_prefix=_Owners(linkmap))
    allocations: dict[str, Allocation] = {}
    for key, is_text in sorted(templates):
        entries = linkmap.entries_for(key)
        prefix = _prefix_for(key, is_text, entries, claims)
        used = frozenset(e.id for e in linkmap.with_prefix(prefix))
        allocations[key] = Allocation(prefix, tuple(entries), used)
    return allocations


class _Free:
    """The entries not matched yet, in document order as last written, indexed by what a CTA
    is matched on, so that matching costs one lookup per CTA (not a scan of the map)."""

    def __init__(self, entries: Iterable[LinkMapEntry]) -> None:
        self.by_id = {e.id: e for e in sorted(entries, key=_document_order)}
        self._indexes: dict[str, dict[Hashable, deque[LinkMapEntry]]] = {}

    def take(self, link_id: str) -> bool:
        return self.by_id.pop(link_id, None) is not None

    def first(self, index: str, key: Hashable, of: Callable[[LinkMapEntry], Hashable]) -> str:
        """The first free entry whose `of(entry)` is `key`, taken; "" when none."""
        table = self._indexes.get(index)
        if table is None:
            table = self._indexes[index] = {}
            for entry in self.by_id.values():
                table.setdefault(of(entry), deque()).append(entry)
        queue = table.get(key)
        while queue:
            entry = queue.popleft()
            if self.take(entry.id):
                return entry.id
        return ""


def _numbered_base(link_id: str) -> str:
    """`x.hero-3` -> `x.hero` (the IDs `_Claims.unique` makes when `x.hero` is taken)."""
    base, _, n = link_id.rpartition("-")
    return base if base and n.isdigit() else ""


def assign_template(
    template: Template, allocation: Allocation, *, link_id_param: str, managed: frozenset[str]
) -> list[str]:
    """A link ID for every CTA of one template, in CTA order. `managed` names every tracking
    parameter ctamap writes, the link-ID one included."""
    from ctamap.urls import params_of  # local: keeps ids importable without URL helpers

    prefix = allocation.prefix
    claims = _Claims(used=set(allocation.used), template_of_prefix=_Owners(None))
    ids: list[str | None] = [None] * len(template.ctas)
    # In document order as last written, so that of several CTAs alike (same destination
    # and text) the first takes the first one's ID again, not `x-10` before `x-2`.
    free = _Free(allocation.entries)
    ctas = template.ctas
    # 1. The ID already written into the href, or the `data-cta` one, when the map has it.
    bases: list[str] = []
    for i, cta in enumerate(ctas):
        # Here rather than in step 2: the URL was just parsed, its layout is still cached.
        bases.append(base_url(cta.url, managed, cta.query))
        written = (
            dict(params_of(cta.url, cta.query)).get(link_id_param, "") if link_id_param else ""
        )
        if not is_link_id(written):  # an href is input too: only a real ID is ever reused
            written = ""
        if not written and not cta.explicit_id:
            continue
        if written and free.take(written):
            ids[i] = written
            continue
        if written and _template_prefix(written) == prefix and written not in claims.used:
            # Instrumented before, map lost or not committed: the href still knows.
            ids[i] = written
            claims.used.add(written)
            continue
        explicit = f"{prefix}.{slugify(cta.explicit_id)}" if cta.explicit_id else ""
        if explicit and free.take(explicit):
            ids[i] = explicit
        elif explicit:
            # A `data-cta` used twice got `-2`, `-3` … when new: those are its IDs too.
            ids[i] = free.first("numbered", explicit, lambda e: _numbered_base(e.id)) or None
    # 2. The same destination and text, then the same destination, then the same text.
    for rule in SAME_ENTRY:
        for i, cta in enumerate(ctas):
            if ids[i] is None and not cta.explicit_id:
                key = rule.of_link(bases[i], cta.text)
                if key is not None:
                    ids[i] = free.first(rule.name, key, rule.of_entry) or None
    # 3. Genuinely new CTAs get new IDs.
    return [
        found if found is not None else claims.unique(f"{prefix}.{cta_slug(cta)}")
        for found, cta in zip(ids, ctas, strict=True)
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


def _document_order(entry: LinkMapEntry) -> tuple[str, int]:
    """The ID with its `-N` suffix read as a number: the order CTAs alike were numbered in."""
    base, _, n = entry.id.rpartition("-")
    if base and n.isdigit():
        return base, int(n)
    return entry.id, 1


def _prefix_for(key: str, is_text: bool, entries: Sequence[LinkMapEntry], claims: _Claims) -> str:
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


def base_url(url: str, managed: Iterable[str], shape: QueryLayout | None = None) -> str:
    """The destination without the tracking parameters ctamap manages: what the map records as
    `url`, so that an instrumented template maps to the same entries as before. `shape` is
    the URL's `layout` when the caller has it."""
    from ctamap.urls import without_params

    return without_params(url, managed, shape)
