"""A link map read and rewritten in place: the entries a one-file run needs, found in the
file's bytes, and its changed entries spliced back, so a pre-commit call beside a map of 100k
entries costs in proportion to its own template, not to the map.

This works because `linkmap.dumps` writes one canonical layout: sorted by template then ID, one
fixed block per entry, no raw newline inside a value. A map is read this way only when its
bytes are known to be canonical: ctamap wrote them, or a whole read found them to be exactly
what `dumps` writes; their SHA-256 is then kept in the user's cache folder (a hash of a 40 MB
map takes 20 ms, a whole read 0.5 s). Anything else (a hand-edited file, a /1 or CSV map,
merge-conflict markers, entries out of order) is read whole. Every block read is still parsed,
validated and re-encoded to check it is what `dumps` writes; one that is not sends the run
back to the whole read too, so the result is always what a whole read and re-encode gives.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path

from ctamap.linkmap import (
    SCHEMA,
    Format,
    LinkMap,
    LinkMapEntry,
    _entry_json,
    _valid_entry,
    dumps,
    is_link_id,
    loads,
    template_prefix,
    update,
)

# The canonical file: this header, blocks joined by ",\n", this footer (see `linkmap.dumps`).
_HEADER = '{\n  "schema": "ctamap.linkmap/2",\n  "links": [\n'
_FOOTER = "\n  ]\n}\n"
_BLOCK_START = "\n    {\n"  # a raw newline is never inside a JSON string: this is structure
_BLOCK_END = "\n    }"
_ID_LINE = '\n      "id": "'
_KEPT_DIGESTS = 8  # canonical versions remembered per map (branches switched between)


class NotCanonical(Exception):
    """The map is not in the layout `dumps` writes: read it whole instead."""


def canonical_looking(text: str) -> bool:
    """Whether `text` starts and ends as a canonical map with at least one entry does (cheap:
    only such a map is worth checking whole, or looking up among the known ones)."""
    return text.startswith(_HEADER + "    {\n") and text.endswith(_BLOCK_END + _FOOTER)


def _cache_file(path: Path) -> Path:
    folder = os.environ.get("CTAMAP_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        folder = os.path.join(base, "ctamap")
    name = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return Path(folder) / "canonical-maps" / name[:32]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _known(path: Path) -> list[str]:
    """`c <digest>` (canonical) or `n <digest>` (not) lines, newest first."""
    try:
        return _cache_file(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def known_canonical(path: Path, digest: str) -> bool | None:
    """Whether the map at `path` with bytes of `digest` was found (or written) canonical
    before; None when these bytes were never judged."""
    for line in _known(path):
        if line[2:] == digest:
            return line[:2] == "c "
    return None


def remember(path: Path, digest: str, *, canonical: bool) -> None:
    """Record whether the bytes of `digest` at `path` are canonical (a map that is not is then
    read whole without checking it again). Only a cache: a folder that cannot be written
    costs the next run a whole read, nothing else."""
    line = f"{'c' if canonical else 'n'} {digest}"
    kept = [line, *(k for k in _known(path) if k[2:] != digest)][:_KEPT_DIGESTS]
    target = _cache_file(path)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text("\n".join(kept) + "\n", encoding="ascii")
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):  # a folder we may not write: nothing was left
            temporary.unlink()


class SplicedLinkMap(LinkMap):
    """A canonical JSON map whose entries are read on demand from its text: a template's
    entries by binary search over the sorted blocks, the entries of one ID prefix (template
    slug) by one scan for their ID lines. `entries` (and every index built from it) reads the
    whole map, as `linkmap.loads` does: code that needs all of it gets all of it, validated."""

    def __init__(self, text: str, path: str, stamp: tuple[int, int, int] | None) -> None:
        # No LinkMap.__init__: `entries` is read only when something asks for all of them.
        self.text = text
        self.path = path
        self.stamp = stamp
        self.format: Format | None = "json"
        self.schema: str | None = SCHEMA
        self._start = len(_HEADER)  # the first block
        self._end = len(text) - len(_FOOTER)  # just past the last block
        self._blocks: dict[int, tuple[LinkMapEntry, int]] = {}  # start -> (entry, end)
        self._groups: dict[str, tuple[int, int, list[LinkMapEntry]]] = {}
        self._prefixes: dict[str, list[LinkMapEntry]] = {}
        self._whole: LinkMap | None = None

    @cached_property
    def entries(self) -> list[LinkMapEntry]:  # type: ignore[override]
        return self.whole.entries

    @property
    def whole(self) -> LinkMap:
        """The map read and validated as a whole (raises what `loads` raises)."""
        if self._whole is None:
            self._whole = loads(self.text, self.path)
        return self._whole

    @property
    def spliced(self) -> bool:
        """Whether this map still reads only what is asked (not fallen back to a whole read)."""
        return self._whole is None

    # --- blocks ---------------------------------------------------------------------------

    def _block(self, start: int) -> tuple[LinkMapEntry, int]:
        """The entry whose block starts at `start`, and where its block ends."""
        found = self._blocks.get(start)
        if found is not None:
            return found
        end = self.text.find(_BLOCK_END, start, self._end) + len(_BLOCK_END)
        if end < len(_BLOCK_END) or self.text[start - 1] != "\n":
            raise NotCanonical
        block = self.text[start:end]
        try:
            item = json.loads(block)
        except ValueError:
            raise NotCanonical from None
        entry = _valid_entry(item) if isinstance(item, dict) else None
        # Validated like every entry read, then re-encoded: only the layout `dumps` writes
        # can be spliced into byte for byte.
        if entry is None or _entry_json(entry) != block:
            raise NotCanonical
        if end != self._end and self.text[end : end + 2 + 5] != ",\n    {":
            raise NotCanonical
        self._blocks[start] = entry, end
        return entry, end

    def _next_start(self, pos: int, limit: int) -> int:
        """The first block starting at or after `pos` and before `limit`; -1 when none."""
        # `find` bounds the whole match: a block starting just before `limit` ends after it.
        i = self.text.find(_BLOCK_START, pos - 1, limit + len(_BLOCK_START) - 2)
        return i + 1 if i >= 0 else -1

    def _previous(self, start: int) -> LinkMapEntry | None:
        if start <= self._start:
            return None
        i = self.text.rfind(_BLOCK_START, self._start - 1, start - 1)
        if i < 0:
            raise NotCanonical
        return self._block(i + 1)[0]

    def _first_at_or_after(self, template: str) -> int:
        """The first block whose template is `template` or sorts after it (`_end` when none):
        a binary search over character positions, each probe one block parsed."""
        lo, hi, best = self._start, self._end, self._end
        while lo < hi:
            mid = (lo + hi) // 2
            start = self._next_start(mid, hi)
            if start < 0:
                hi = mid  # no block starts in [mid, hi)
                continue
            entry, end = self._block(start)
            if entry.template >= template:
                best, hi = start, mid
            else:
                lo = end
        return best

    def _group(self, template: str) -> tuple[int, int, list[LinkMapEntry]]:
        """Where `template`'s blocks are (start, end; an empty range where they would go) and
        its entries. The blocks around are checked to be in order: a map sorted differently
        is not canonical."""
        found = self._groups.get(template)
        if found is not None:
            return found
        start = self._first_at_or_after(template)
        before = self._previous(start)
        if before is not None and before.template >= template:
            raise NotCanonical
        entries: list[LinkMapEntry] = []
        pos = end = start
        while pos < self._end:
            entry, block_end = self._block(pos)
            if entry.template != template:
                if entry.template < template:
                    raise NotCanonical
                break
            if entries and entries[-1].id >= entry.id:
                raise NotCanonical
            entries.append(entry)
            end = block_end
            pos = block_end + 2  # past ",\n"
        self._groups[template] = found = (start, end, entries)
        return found

    def _with_prefix(self, prefix: str) -> list[LinkMapEntry]:
        found = self._prefixes.get(prefix)
        if found is not None:
            return found
        entries: list[LinkMapEntry] = []
        if is_link_id(prefix + ".x"):  # a prefix that could not start an ID has no entries
            needle = f"{_ID_LINE}{prefix}."
            text = self.text
            i = text.find(needle, self._start - 1, self._end)
            while i >= 0:
                entry, end = self._block(i - 5)  # the ID line follows the block's `    {`
                if template_prefix(entry.id) == prefix:
                    entries.append(entry)
                i = text.find(needle, end, self._end)
        if len({e.id for e in entries}) != len(entries):
            raise NotCanonical  # two entries with one ID: the whole read reports it
        self._prefixes[prefix] = entries
        return entries

    def _fall_back(self) -> LinkMap:
        self._blocks.clear()
        self._groups.clear()
        self._prefixes.clear()
        return self.whole

    # --- what runs ask ----------------------------------------------------------------------

    def entries_for(self, template: str) -> list[LinkMapEntry]:
        if self._whole is None:
            try:
                return self._group(template)[2]
            except NotCanonical:
                pass
        return self._fall_back().entries_for(template)

    def with_prefix(self, prefix: str) -> list[LinkMapEntry]:
        if self._whole is None:
            try:
                return self._with_prefix(prefix)
            except NotCanonical:
                pass
        return self._fall_back().with_prefix(prefix)

    @cached_property
    def active_ids(self) -> Mapping[str, str]:
        return _ActiveIds(self)

    def updated_text(self, fresh: Mapping[str, Sequence[LinkMapEntry]], fmt: Format) -> str:
        if self._whole is None and fmt == "json":
            try:
                return self._splice(fresh)
            except NotCanonical:
                pass
        return dumps(update(self._fall_back(), fresh), fmt)

    def _splice(self, fresh: Mapping[str, Sequence[LinkMapEntry]]) -> str:
        """The text `dumps(update(self, fresh))` gives, made by re-encoding only the blocks of
        the templates in `fresh` and keeping every other byte."""
        pieces: list[str] = [self.text[: self._start]]
        done = self._start
        for template in sorted(fresh):
            start, end, old = self._group(template)
            # `update` for one template, then `ordered` (the order is by ID within it; equal
            # IDs keep update's order, as the stable sort of the whole map does).
            now = {e.id for e in fresh[template]}
            rows = [
                e if e.status == "retired" else e._replace(status="retired")
                for e in old
                if e.id not in now
            ]
            rows.extend(fresh[template])
            rows.sort(key=_by_id)
            if not rows:
                continue
            blocks = ",\n".join([_entry_json(e) for e in rows])
            if old:
                replacement = blocks
            elif start == self._end:  # after the last template
                start = end = self._end
                replacement = ",\n" + blocks
            else:
                replacement = blocks + ",\n"
            pieces += [self.text[done:start], replacement]
            done = end
        pieces.append(self.text[done:])
        return "".join(pieces)  # one copy of the map, not one per concatenation


def _by_id(entry: LinkMapEntry) -> str:
    return entry.id


class _ActiveIds(Mapping[str, str]):
    """Active link ID -> its template, looked up by the ID's prefix (one scan per prefix)."""

    def __init__(self, linkmap: SplicedLinkMap) -> None:
        self._map = linkmap

    def __getitem__(self, link_id: str) -> str:
        if is_link_id(link_id):
            for entry in self._map.with_prefix(template_prefix(link_id)):
                if entry.id == link_id and entry.status == "active":
                    return entry.template
        raise KeyError(link_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._map._fall_back().active_ids)

    def __len__(self) -> int:
        return len(self._map._fall_back().active_ids)
