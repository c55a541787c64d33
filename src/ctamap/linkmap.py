"""The link map, a committed lockfile: its schema versions, reading and writing it as JSON or
CSV, validating what is read, the one rule for "the same entry", locking and merging.

`ctamap.linkmap/2` holds nothing volatile (no line or column numbers): a copy edit, a reflow or
a clean git merge of two instrumented branches leaves it byte-identical. `ctamap.linkmap/1`
maps (with `occurrences` positions) are still read; the next `instrument` rewrites them as /2.
Everything read is validated before use: a link ID ends up in hrefs, so a map-only change must
never be able to change markup.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property, lru_cache
from json.encoder import encode_basestring
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ctamap import collector
from ctamap.errors import InputError

SCHEMA = "ctamap.linkmap/2"
SCHEMA_V1 = "ctamap.linkmap/1"
READABLE = (SCHEMA, SCHEMA_V1)
Format = Literal["json", "csv"]
Status = Literal["active", "retired"]
FIELDS = (
    "id",
    "template",
    "text",
    "kind",
    "role",
    "url",
    "tracked_url",
    "tracked",
    "status",
    "tags",
)
CSV_COLUMNS = FIELDS

# A link ID: dot-separated lowercase segments, at least `<template-slug>.<cta-slug>`. Nothing
# in it can end an attribute value, start a tag or an entity, or need URL encoding.
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+")
MAX_ID_LENGTH = 200
ID_RULE = (
    "a link ID is lowercase letters, digits, '-' and '_' in dot-separated parts,"
    " like welcome.get-started"
)


def is_link_id(value: object) -> bool:
    """Whether `value` follows the link-ID grammar (and so is safe to write into an href)."""
    return (
        isinstance(value, str) and len(value) <= MAX_ID_LENGTH and _ID.fullmatch(value) is not None
    )


def template_prefix(link_id: str) -> str:
    """`welcome.get-started` -> `welcome` (the template's slug)."""
    return link_id.rsplit(".", 1)[0]


class LinkMapEntry(NamedTuple):
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
    tags: tuple[str, ...] = ()  # element of each occurrence: "a", "v:roundrect"

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

    def as_dict(self) -> dict[str, Any]:
        """The entry as the JSON file holds it (tags as a list)."""
        return {
            "id": self.id,
            "template": self.template,
            "text": self.text,
            "kind": self.kind,
            "role": self.role,
            "url": self.url,
            "tracked_url": self.tracked_url,
            "tracked": self.tracked,
            "status": self.status,
            "tags": list(self.tags),
        }


class SameEntry(NamedTuple):
    """One way a link on the page is "the same entry" as one in the map (within its template):
    `of_entry` and `of_link` (from the link's destination without ctamap's parameters and its
    text) give equal keys; `of_link` gives None when the rule cannot apply."""

    name: str
    of_entry: Callable[[LinkMapEntry], Hashable]
    of_link: Callable[[str, str], Hashable | None]


# The one rule, in order of preference: destination and text, then destination, then text.
# (An ID already in the href or a `data-cta` one comes first; see `ids.assign_template`.)
SAME_ENTRY = (
    SameEntry("destination and text", lambda e: (e.url, e.text), lambda url, text: (url, text)),
    SameEntry("destination", lambda e: e.url, lambda url, text: url),
    SameEntry("text", lambda e: e.text, lambda url, text: text or None),
)


class LinkMap:
    """The entries of a link map, the format and schema it was read in, and its indexes."""

    def __init__(
        self,
        entries: Iterable[LinkMapEntry] = (),
        *,
        format: Format | None = None,
        schema: str | None = None,
        stamp: tuple[int, int, int] | None = None,
    ) -> None:
        self.entries = list(entries)
        self.stamp = stamp  # the file's identity when read: tells whether it was replaced since
        self.format = format  # as read; None for a map that does not exist yet
        self.schema = schema

    @cached_property
    def by_template(self) -> dict[str, list[LinkMapEntry]]:
        index: dict[str, list[LinkMapEntry]] = {}
        for entry in self.entries:
            index.setdefault(entry.template, []).append(entry)
        return index

    def entries_for(self, template: str) -> list[LinkMapEntry]:
        """The entries of one template (its key, e.g. `emails/welcome.html`), active and retired."""
        return self.by_template.get(template, [])

    @cached_property
    def by_id(self) -> dict[str, LinkMapEntry]:
        return {entry.id: entry for entry in self.entries}

    @cached_property
    def _by_prefix(self) -> dict[str, list[LinkMapEntry]]:
        index: dict[str, list[LinkMapEntry]] = {}
        for entry in self.entries:
            prefix = entry.id.rsplit(".", 1)[0]  # `template_prefix`, inline: once per entry
            if (found := index.get(prefix)) is None:
                found = index[prefix] = []
            found.append(entry)
        return index

    def with_prefix(self, prefix: str) -> list[LinkMapEntry]:
        """The entries whose ID is `<prefix>.<one part>` (a template slug's), in map order."""
        return self._by_prefix.get(prefix, [])

    @cached_property
    def active_ids(self) -> Mapping[str, str]:
        """Active link ID -> the template the map gives it to."""
        return {e.id: e.template for e in self.entries if e.status == "active"}

    def updated_text(self, fresh: Mapping[str, Sequence[LinkMapEntry]], fmt: Format) -> str:
        """The map's text after `update(self, fresh)`, in `fmt`."""
        return dumps(update(self, fresh), fmt)

    @classmethod
    def loads(cls, text: str, path: str) -> LinkMap:
        """A map from its JSON, or CSV with the same columns (decided by the content)."""
        return loads(text, path)

    def dumps(self, fmt: Format = "json") -> str:
        return dumps(self.entries, fmt)


# --- reading and validating -------------------------------------------------------------------


def _text(value: object) -> bool:
    return isinstance(value, str)


def _text_or_null(value: object) -> bool:
    return value is None or isinstance(value, str)


def _tags(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(tag, str) for tag in value)


def _template(value: object) -> bool:
    """A path inside the project, as ctamap writes it: a map-only change must never make a
    command read or record a file elsewhere (`/etc/passwd`, `../../secrets.html`)."""
    if not isinstance(value, str) or not value or "\0" in value:
        return False
    parts = value.replace("\\", "/").split("/")
    return not (value.startswith(("/", "\\")) or _DRIVE.match(value) or ".." in parts)


_DRIVE = re.compile(r"[A-Za-z]:")  # `C:x.html`, `C:\x.html`: absolute (or drive-relative)


# field -> (check, what the rule says); the entry's id has its own grammar.
_CHECKS: dict[str, tuple[Any, str]] = {
    "id": (is_link_id, ID_RULE),
    "template": (
        _template,
        "must be the template's path inside the project (relative, without `..`)",
    ),
    "text": (_text, "must be a string"),
    "kind": (_text, "must be a string"),
    "role": (_text, "must be a string"),
    "url": (_text, "must be a string"),
    "tracked_url": (_text_or_null, "must be a string or null"),
    "tracked": (lambda v: isinstance(v, bool), "must be true or false"),
    "status": (lambda v: v in ("active", "retired"), 'must be "active" or "retired"'),
    "tags": (_tags, "must be a list of strings"),
}
_REQUIRED_V1 = ("id", "template")
_FIELD_SET = frozenset(FIELDS)
# `occurrences`: /1 positions, and the positions `inventory --format json` adds to each record.
_EXTRA_KEYS = frozenset({"occurrences"})


class _Problems:
    """The first few problems of a map, reported as one error naming the map and the entry."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(f"{where}: {message}")

    def raise_any(self) -> None:
        if not self.found:
            return
        more = f" (and {len(self.found) - 1} more problem(s))" if len(self.found) > 1 else ""
        raise InputError(
            f"invalid link map: {self.found[0]}{more}",
            path=self.path,
        )


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(n: int, item: Mapping[str, Any]) -> str:
    link_id = item.get("id")
    return f"entry #{n} (id {_shown(link_id)})" if link_id is not None else f"entry #{n}"


def _check_fields(n: int, item: Mapping[str, Any], problems: _Problems) -> None:
    for name, value in item.items():
        check = _CHECKS.get(name)
        if check is not None and not check[0](value):
            problems.add(_where(n, item), f"{name} {_shown(value)}: {check[1]}")


def _entry(item: Mapping[str, Any]) -> LinkMapEntry:
    return LinkMapEntry(
        id=item["id"],
        template=item["template"],
        text=item.get("text", ""),
        kind=item.get("kind", ""),
        role=item.get("role", ""),
        url=item.get("url", ""),
        tracked_url=item.get("tracked_url"),
        tracked=item.get("tracked", False),
        status=item.get("status", "active"),
        tags=tuple(item.get("tags", ())),
    )


_ID_MATCH = _ID.fullmatch


@lru_cache(maxsize=4096)
def _valid_template(value: str) -> bool:
    return _template(value)  # a map holds a few templates' names many times over


def _valid_entry(item: dict[str, Any]) -> LinkMapEntry | None:
    """The entry of a /2 item with exactly its fields, each valid; None for any other item,
    which the checks then describe. The same rules as `_CHECKS`, written out: a map of 100k
    entries is validated in a tenth of a second, not one."""
    if item.keys() != _FIELD_SET:
        return None
    link_id, template, tags = item["id"], item["template"], item["tags"]
    tracked_url = item["tracked_url"]
    if not (
        type(link_id) is str
        and len(link_id) <= MAX_ID_LENGTH
        and _ID_MATCH(link_id) is not None
        and type(template) is str
        and _valid_template(template)
        and type(item["text"]) is str
        and type(item["kind"]) is str
        and type(item["role"]) is str
        and type(item["url"]) is str
        and (tracked_url is None or type(tracked_url) is str)
        and type(item["tracked"]) is bool
        and item["status"] in ("active", "retired")
        and type(tags) is list
        and all(type(tag) is str for tag in tags)
    ):
        return None
    return LinkMapEntry(
        link_id,
        template,
        item["text"],
        item["kind"],
        item["role"],
        item["url"],
        tracked_url,
        item["tracked"],
        item["status"],
        tuple(tags),
    )


def _v1_tags(item: dict[str, Any]) -> None:
    """/1 kept each occurrence's position and tag; /2 keeps the tags only."""
    occurrences = item.get("occurrences")
    if "tags" not in item and isinstance(occurrences, list):
        item["tags"] = [o.get("tag") for o in occurrences if isinstance(o, dict)]


def _position(o: object) -> bool:
    return (
        isinstance(o, dict)
        and type(o.get("line", 1)) is int
        and type(o.get("column", 1)) is int
        and isinstance(o.get("tag", ""), str)
    )


def _check_occurrences(n: int, item: Mapping[str, Any], problems: _Problems) -> None:
    occurrences = item.get("occurrences", [])
    if not isinstance(occurrences, list) or not all(_position(o) for o in occurrences):
        problems.add(
            _where(n, item),
            f"occurrences {_shown(occurrences)}: must be a list of "
            '{"line": number, "column": number, "tag": string}',
        )


def _json_entries(data: object, problems: _Problems) -> tuple[str, list[LinkMapEntry]]:
    if not isinstance(data, dict) or data.get("schema") not in READABLE:
        schema = data.get("schema") if isinstance(data, dict) else None
        problems.add(
            "schema",
            f"expected {_shown(SCHEMA)} (or {_shown(SCHEMA_V1)}), got {_shown(schema)}",
        )
        problems.raise_any()
    assert isinstance(data, dict)
    schema = data["schema"]
    links = data.get("links")
    if not isinstance(links, list):
        problems.add("links", 'the map has no "links" list')
        problems.raise_any()
    assert isinstance(links, list)
    v2 = schema == SCHEMA
    entries: list[LinkMapEntry] = []
    for n, item in enumerate(links, 1):
        if not isinstance(item, dict):
            problems.add(f"entry #{n}", f"{_shown(item)}: an entry must be an object")
            continue
        keys = item.keys()
        if v2 and not problems.found and (entry := _valid_entry(item)) is not None:
            entries.append(entry)  # the fast path: a /2 entry with its fields, all valid
            continue
        if keys != _FIELD_SET or not v2:
            unknown = sorted(keys - _FIELD_SET - _EXTRA_KEYS)
            if unknown:
                problems.add(_where(n, item), f"unknown field(s) {', '.join(unknown)}")
            if "occurrences" in item:
                _check_occurrences(n, item, problems)
            if not v2:
                item = dict(item)
                _v1_tags(item)
            required = FIELDS if v2 else _REQUIRED_V1
            if missing := [name for name in required if name not in item]:
                problems.add(_where(n, item), f"missing field(s) {', '.join(missing)}")
                continue
        _check_fields(n, item, problems)
        if not problems.found:
            entries.append(_entry(item))
    return schema, entries


def _csv_entries(text: str, problems: _Problems) -> list[LinkMapEntry]:
    import csv  # only a CSV map needs it; every start-up would pay for it

    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or ()
    if missing := [c for c in ("id", "template", "url") if c not in columns]:
        problems.add("header", f"the CSV map lacks column(s) {', '.join(missing)}")
        problems.raise_any()
    if unknown := [c for c in columns if c not in _FIELD_SET]:
        problems.add("header", f"unknown column(s) {', '.join(unknown)}")
        problems.raise_any()
    entries: list[LinkMapEntry] = []
    for n, row in enumerate(reader, 1):
        if None in row:  # more cells than columns
            problems.add(f"entry #{n} (line {reader.line_num})", "more cells than columns")
            continue
        tracked = (row.get("tracked") or "false").lower()
        item: dict[str, Any] = {
            **row,
            "tracked_url": row.get("tracked_url") or None,
            "tracked": {"true": True, "false": False}.get(tracked, tracked),
            "status": row.get("status") or "active",
            "tags": (row.get("tags") or "").split(),
        }
        _check_fields(n, item, problems)
        if not problems.found:
            entries.append(_entry(item))
    return entries


def _check_unique(entries: Sequence[LinkMapEntry], problems: _Problems) -> None:
    if len({entry.id for entry in entries}) == len(entries):
        return  # the usual case, told by one set
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        first = seen.setdefault(entry.id, n)
        if first != n:
            problems.add(f"entry #{n} (id {_shown(entry.id)})", f"the same id as entry #{first}")


def loads(text: str, path: str) -> LinkMap:
    """A validated map from its text: JSON, or CSV with the same columns (by the content)."""
    # A map is a few hundred thousand objects without a reference cycle among them; the cyclic
    # collector would walk the growing heap again and again while they are made (half the time
    # of reading a 100k-entry map).
    with collector.paused():
        return _loads(text, path)


def _loads(text: str, path: str) -> LinkMap:
    text = text.removeprefix("\ufeff")
    problems = _Problems(path)
    if not text.lstrip().startswith("{"):
        entries = _csv_entries(text, problems)
        fmt: Format = "csv"
        schema = SCHEMA
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"link map is not valid JSON: {error.msg}", path=path, line=error.lineno
            ) from None
        schema, entries = _json_entries(data, problems)
        fmt = "json"
    problems.raise_any()
    _check_unique(entries, problems)
    problems.raise_any()
    return LinkMap(entries, format=fmt, schema=schema)


def read(path: Path, *, spliced: bool = False) -> LinkMap:
    """The map at `path`; an empty one (format None) when there is none yet. `spliced`: a
    canonical JSON map is read on demand and rewritten in place (`linkmap_splice`), for runs
    over a few templates."""
    stamp = _stamp(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LinkMap()
    except OSError as error:
        raise InputError(f"cannot read link map: {error.strerror}", path=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("link map is not UTF-8 text", path=str(path)) from None
    judge = ""  # the digest of bytes to judge canonical or not once read whole
    if spliced:
        from ctamap import linkmap_splice

        if linkmap_splice.canonical_looking(text):
            digest = linkmap_splice.digest(data)
            known = linkmap_splice.known_canonical(path, digest)
            if known:
                return linkmap_splice.SplicedLinkMap(text, str(path), stamp)
            judge = digest if known is None else ""
    found = loads(text, str(path))
    found.stamp = stamp
    if judge:  # once per version of the map: the next one-file runs splice, or skip this
        canonical = found.schema == SCHEMA and dumps(found.entries) == text
        linkmap_splice.remember(path, judge, canonical=canonical)
    return found


def read_many(paths: Iterable[Path]) -> list[LinkMapEntry]:
    """Several maps merged by link ID (as `report` reads them); one ID must mean one entry."""
    merged: dict[str, LinkMapEntry] = {}
    names = [str(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise InputError("link map not found", path=str(path))
        for entry in read(path).entries:
            previous = merged.setdefault(entry.id, entry)
            if not equivalent(previous, entry):
                raise InputError(
                    f"link ID {entry.id!r} appears in two maps with different contents",
                    path=str(path),
                )
    if not merged:
        raise InputError("the link map has no links", path=", ".join(names))
    return sorted(merged.values(), key=lambda entry: entry.id)


def equivalent(a: LinkMapEntry, b: LinkMapEntry) -> bool:
    """The same link: every field but the element tags (a CSV map written by an older ctamap
    has none)."""
    return a._replace(tags=()) == b._replace(tags=())


# --- writing ----------------------------------------------------------------------------------

# The bytes `json.dumps(..., indent=2, ensure_ascii=False)` gives, written directly: with
# `indent`, json uses its pure-Python encoder (a 100k-entry map: 1.18 s, this 0.34 s).


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    assert isinstance(value, str)
    return encode_basestring(value)


def _entry_json(entry: LinkMapEntry) -> str:
    # One f-string per entry, the string fields through the C encoder directly: the map of a
    # big project is 100k+ entries, re-encoded whenever one template's entries change.
    text = encode_basestring
    tracked_url = "null" if entry.tracked_url is None else text(entry.tracked_url)
    if entry.tags:
        listed = ",\n".join(f"        {text(tag)}" for tag in entry.tags)
        tags = f"[\n{listed}\n      ]"
    else:
        tags = "[]"
    return (
        f'    {{\n      "id": {text(entry.id)},\n      "template": {text(entry.template)},\n'
        f'      "text": {text(entry.text)},\n      "kind": {text(entry.kind)},\n'
        f'      "role": {text(entry.role)},\n      "url": {text(entry.url)},\n'
        f'      "tracked_url": {tracked_url},\n'
        f'      "tracked": {"true" if entry.tracked else "false"},\n'
        f'      "status": {text(entry.status)},\n      "tags": {tags}\n    }}'
    )


def ordered(entries: Iterable[LinkMapEntry]) -> list[LinkMapEntry]:
    """The file's order: by template, then ID."""
    return sorted(entries, key=_ORDER)


_ORDER = attrgetter("template", "id")


def dumps(entries: Iterable[LinkMapEntry], fmt: Format = "json") -> str:
    """The map's text in the current schema."""
    rows = ordered(entries)
    if fmt == "csv":
        from ctamap.csvfile import csv_writer

        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow(CSV_COLUMNS)
        for e in rows:
            tracked = "true" if e.tracked else "false"
            url = e.tracked_url or ""
            tags = " ".join(e.tags)
            writer.writerow(
                [e.id, e.template, e.text, e.kind, e.role, e.url, url, tracked, e.status, tags]
            )
        return out.getvalue()
    if not rows:
        return json.dumps({"schema": SCHEMA, "links": []}, indent=2) + "\n"
    with collector.paused():
        links = ",\n".join([_entry_json(e) for e in rows])
    return f'{{\n  "schema": {_scalar(SCHEMA)},\n  "links": [\n{links}\n  ]\n}}\n'


# --- updating, locking, merging ---------------------------------------------------------------


def update(linkmap: LinkMap, fresh: Mapping[str, Sequence[LinkMapEntry]]) -> list[LinkMapEntry]:
    """The entries after a run: those of the templates seen are replaced by `fresh`; entries of
    those templates that are gone become retired; other templates' entries stay as they are."""
    kept: list[LinkMapEntry] = []
    for template, entries in linkmap.by_template.items():
        if template not in fresh:
            kept.extend(entries)
            continue
        now = {e.id for e in fresh[template]}
        kept.extend(
            e if e.status == "retired" else e._replace(status="retired")
            for e in entries
            if e.id not in now
        )
    for produced in fresh.values():
        kept.extend(produced)
    return kept


def unchanged(linkmap: LinkMap, fresh: Mapping[str, Sequence[LinkMapEntry]]) -> bool:
    """Whether `update` would leave the map's entries as they are (compared per template, so a
    one-file run next to a big map costs in proportion to its own entries)."""
    for template, entries in fresh.items():
        old = linkmap.entries_for(template)
        now = {e.id: e for e in entries}
        if len(now) != len(entries):
            return False
        for entry in old:
            new = now.pop(entry.id, None)
            if new is None:
                if entry.status != "retired":
                    return False
            elif new != entry:
                return False
        if now:
            return False
    return True


_HELD: dict[Path, int] = {}  # folders this process holds the lock of, and how many times


@contextmanager
def locked(path: Path, *, enabled: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on the map while a run reads, plans and writes. The lock is
    `flock` on the map's folder: the map itself is replaced on every write (a lock on the old
    file would not exclude a process that opens the new one), and a folder lock leaves no
    lock file behind. Re-entrant within a process (a second `flock` on a new descriptor of
    the same folder would wait for ourselves)."""
    folder = path.parent.resolve()
    if not enabled or _HELD.get(folder):
        if enabled:
            _HELD[folder] += 1
        try:
            yield
        finally:
            if enabled:
                _HELD[folder] -= 1
        return
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD[folder] = 1
        yield
    finally:
        _HELD.pop(folder, None)
        os.close(fd)  # closing releases the lock


def replaced(linkmap: LinkMap, path: Path) -> bool:
    """Whether the file at `path` is no longer the one `linkmap` was read from."""
    return _stamp(path) != linkmap.stamp


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def merge(base: LinkMap, ours: LinkMap, theirs: LinkMap) -> tuple[list[LinkMapEntry], list[str]]:
    """A three-way merge by link ID (the git merge driver): a side that changed an entry wins
    over one that did not; both changed alike is one change. IDs both sides changed
    differently are conflicts: ours is kept and the IDs are returned."""
    old, mine, their = base.by_id, ours.by_id, theirs.by_id
    merged: list[LinkMapEntry] = []
    conflicts: list[str] = []
    for link_id in sorted(mine.keys() | their.keys()):
        o, a, b = old.get(link_id), mine.get(link_id), their.get(link_id)
        if a == b or b == o:
            chosen = a
        elif a == o:
            chosen = b
        else:
            chosen = a if a is not None else b
            conflicts.append(link_id)
        if chosen is not None:
            merged.append(chosen)
    return merged, conflicts


def merge_files(base: Path, ours: Path, theirs: Path) -> list[str]:
    """`ctamap linkmap merge %O %A %B`, git's merge driver contract: the merge of the three
    versions is written over `ours` (in its format), and the IDs in conflict are returned
    (git then marks the map conflicted). An empty base is a map both branches added."""
    from ctamap.instrument import write_atomic  # lazy: the driver needs nothing else of it

    def version(path: Path) -> LinkMap:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot read link map: {error.strerror}", path=str(path)) from None
        except UnicodeDecodeError:
            raise InputError("link map is not UTF-8 text", path=str(path)) from None
        return loads(text, str(path)) if text.strip() else LinkMap()

    mine = version(ours)
    entries, conflicts = merge(version(base), mine, version(theirs))
    write_atomic(ours, dumps(entries, mine.format or "json"))
    return conflicts
