"""An email put together as it is sent: its template poured into the layouts it extends, the
partials it includes placed at their tags, so the layout's links show inside the email.

Works on the page's *copies* (strings), before anything is parsed: each file's copy carries a
token where a tag shapes the email (extends, include, block, super, the layout's content slot),
and `compose` follows them. A token also carries what its tag shows when nothing is composed
there (a placeholder, or nothing), so a template that uses no layout reads as before.

Followed: Jinja/Django `{% extends %}` with `{% block %}` overrides and `{{ super() }}` /
`{{ block.super }}`, `{% include %}`, Liquid `{% layout %}` (into `{{ content_for_layout }}`)
and `{% render %}`/`{% include %}`, Handlebars `{{> partial}}` and `{{#> layout}}…{{/layout}}`
(into `{{> @partial-block}}`), MJML `<mj-include>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from ctamap.report.clickmap.emails import Part
from ctamap.source import SpanKind

_MARK = "\x00"  # never in a template: sources with NUL bytes are refused as binary
_SEP = "\x01"
_TOKEN = re.compile(f"{_MARK}([^{_MARK}]*){_MARK}")
_BLOCK = re.compile(r"\{%-?\s*block\s+([\w.-]+)[^%]*?-?%\}\Z", re.S)
_END_BLOCK = re.compile(r"\{%-?\s*endblock\b[^%]*?-?%\}\Z", re.S)
_SUPER = re.compile(r"\{\{-?\s*(?:super\(\s*\)|block\.super)\s*-?\}\}\Z")
_SLOT = re.compile(r"\{\{-?\s*(?:content_for_layout|>\s*@partial-block)\s*-?\}\}\Z")
_PARTIAL_OPEN = re.compile(r"\{\{~?\s*#>\s*\"?([^\s}\"]+)")
_CLOSE = re.compile(r"\{\{~?\s*/\s*([^\s}~]+)\s*~?\}\}\Z")
_MJ_INCLUDE = re.compile(r"<mj-include\b[^>]*>", re.I)
#: Suffix of a token's op when its tag stands inside an HTML tag.
IN_TAG = "@"
#: How deep layouts and partials may nest.
_DEPTH = 24


def token(op: str, arg: str, shown: str) -> str:
    """A composition token: `op` (extends `X`, include `I`, layout `L`, partial block `P`,
    its end `/P`, block `B`, end `E`, super `S`, slot `C`), its argument (a template key or
    a block name) and what the tag shows when nothing is composed there."""
    return f"{_MARK}{op}{_SEP}{arg}{_SEP}{shown}{_MARK}"


def structure(part: Part) -> dict[int, tuple[int, str, str]]:
    """Offset of each tag that shapes composition -> (end, op, argument)."""
    source = part.source
    assert source is not None
    text = source.text
    targets = dict(part.targets)
    found: dict[int, tuple[int, str, str]] = {}
    open_partials: list[str] = []
    for span in source.spans:
        if span.kind is SpanKind.COMMENT:
            continue
        tag = text[span.start : span.end]
        target = targets.get(span.start)
        if target is not None:
            if tag.startswith("{%") and re.match(r"\{%-?\s*extends\b", tag):
                found[span.start] = (span.end, "X", target)
            elif tag.startswith("{%") and re.match(r"\{%-?\s*layout\b", tag):
                found[span.start] = (span.end, "L", target)
            elif opened := _PARTIAL_OPEN.match(tag):
                open_partials.append(opened.group(1))
                found[span.start] = (span.end, "P", target)
            else:
                found[span.start] = (span.end, "I", target)
        elif block := _BLOCK.match(tag):
            found[span.start] = (span.end, "B", block.group(1))
        elif _END_BLOCK.match(tag):
            found[span.start] = (span.end, "E", "")
        elif _SUPER.match(tag):
            found[span.start] = (span.end, "S", "")
        elif _SLOT.match(tag):
            found[span.start] = (span.end, "C", "")
        elif (
            (closed := _CLOSE.match(tag)) and open_partials and closed.group(1) == open_partials[-1]
        ):
            open_partials.pop()
            found[span.start] = (span.end, "/P", "")
    for start, target in targets.items():  # MJML includes are elements, not template tags
        if start not in found and (include := _MJ_INCLUDE.match(text, start)):
            found[start] = (include.end(), "I", target)
    return found


@dataclass(eq=False)  # nodes are told apart by identity (a block in its own chain)
class _Node:
    """A piece of a copy: text, or a token with the nodes it encloses (blocks, partial blocks)."""

    op: str
    arg: str = ""
    shown: str = ""
    children: list[_Node] = field(default_factory=list)
    closing: str = ""
    """What the enclosing token's end tag shows when nothing is composed."""
    in_tag: bool = False
    """The tag stands inside an HTML tag (`<body class="{% block c %}…">`): what is composed
    there must be plain text, not markup."""


def _parse(copy: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[str, list[_Node]]] = [("", root)]
    at = 0
    for found in _TOKEN.finditer(copy):
        stack[-1][1].append(_Node("text", shown=copy[at : found.start()]))
        at = found.end()
        op, arg, shown = found.group(1).split(_SEP, 2)
        in_tag = op.endswith(IN_TAG)
        op = op.removesuffix(IN_TAG)
        if op in ("B", "P"):
            node = _Node(op, arg, shown, in_tag=in_tag)
            stack[-1][1].append(node)
            stack.append((op, node.children))
        elif op in ("E", "/P") and stack[-1][0] == ("B" if op == "E" else "P"):
            stack.pop()
            parent = stack[-1][1][-1]
            parent.closing = shown
        else:
            kind = "text" if op in ("E", "/P") else op
            stack[-1][1].append(_Node(kind, arg, shown, in_tag=in_tag))
    stack[-1][1].append(_Node("text", shown=copy[at:]))
    return root


def _blocks(nodes: list[_Node], into: dict[str, _Node]) -> dict[str, _Node]:
    for node in nodes:
        if node.op == "B":
            into.setdefault(node.arg, node)
        _blocks(node.children, into)
    return into


@dataclass(frozen=True)
class _Scope:
    """Where a node is being composed: what every handler needs besides the node itself."""

    chains: Mapping[str, list[_Node]]
    """Block name -> its definitions, the most derived first (from the files that extend)."""
    slot: str | None = None
    """What the layout's content slot shows (Liquid `layout`, a Handlebars partial block)."""
    parent_block: Callable[[], str] | None = None
    """What `super()` shows inside the block being composed (the next definition)."""
    depth: int = 0
    """How many files deep this is (layouts and partials nest at most `_DEPTH`)."""

    def file(
        self, chains: Mapping[str, list[_Node]] | None = None, slot: str | None = None
    ) -> _Scope:
        """The scope of a file this one pulls in: one level deeper, outside any block."""
        return _Scope({} if chains is None else chains, slot, None, self.depth + 1)


@dataclass
class Composer:
    """Composes emails from the copies of their files, keyed as in `Part.targets`."""

    copies: Mapping[str, str]
    plain: Callable[[str], str] = str
    """Makes composed markup plain text, for what goes inside an HTML tag."""
    placed: set[str] = field(default_factory=set)
    """The keys of the files that ended up in an email."""
    _trees: dict[str, list[_Node]] = field(default_factory=dict)
    _open: list[str] = field(default_factory=list)
    """The files being composed: one that includes itself again stops there (as a cycle)."""

    def _tree(self, key: str) -> list[_Node] | None:
        if key not in self.copies:
            return None
        if key not in self._trees:
            self._trees[key] = _parse(self.copies[key])
        return self._trees[key]

    def compose(self, key: str) -> str:
        """The email `key` as sent, from its copy and those of what it uses."""
        return self._file(key, _Scope({})) or ""

    def _file(self, key: str, scope: _Scope) -> str | None:
        nodes = self._tree(key)
        if nodes is None or scope.depth > _DEPTH or key in self._open:
            return None
        self.placed.add(key)
        self._open.append(key)
        try:
            return self._compose_file(nodes, scope)
        finally:
            self._open.pop()

    def _compose_file(self, nodes: list[_Node], scope: _Scope) -> str:
        chains = scope.chains
        parent = next((n for n in nodes if n.op == "X" and n.arg in self.copies), None)
        if parent is not None:  # `extends`: the parent renders, with this file's blocks
            merged = {
                name: [*chains.get(name, []), node] for name, node in _blocks(nodes, {}).items()
            }
            merged.update({name: chain for name, chain in chains.items() if name not in merged})
            shown = self._file(parent.arg, scope.file(merged, scope.slot))
            if shown is not None:
                return shown
        layout = next((n for n in nodes if n.op == "L" and n.arg in self.copies), None)
        if layout is not None:  # Liquid `layout`: this file is the layout's content
            content = self._nodes([n for n in nodes if n is not layout], scope)
            shown = self._file(layout.arg, scope.file(slot=content))
            if shown is not None:
                return shown
        return self._nodes(nodes, scope)

    def _nodes(self, nodes: list[_Node], scope: _Scope) -> str:
        out: list[str] = []
        for node in nodes:
            shown = _SHOW.get(node.op, _as_written)(self, node, scope)
            out.append(self.plain(shown) if node.in_tag and node.op != "text" else shown)
        return "".join(out)

    def _defined_block(self, node: _Node, scope: _Scope) -> str:
        # The most derived definition wins wherever the block stands; a layout's own (not
        # collected: it extends nothing) is the last resort.
        chain = scope.chains.get(node.arg, [])
        if node not in chain:
            chain = [*chain, node]
        return self._block(chain, scope)

    def _include(self, node: _Node, scope: _Scope) -> str:
        placed = self._file(node.arg, scope.file())
        return node.shown if placed is None else placed

    def _partial_block(self, node: _Node, scope: _Scope) -> str:
        content = self._nodes(node.children, scope)
        placed = self._file(node.arg, scope.file(slot=content))
        return node.shown + content + node.closing if placed is None else placed

    def _slot(self, node: _Node, scope: _Scope) -> str:
        return node.shown if scope.slot is None else scope.slot

    def _super(self, node: _Node, scope: _Scope) -> str:
        return node.shown if scope.parent_block is None else scope.parent_block()

    def _block(self, chain: list[_Node], scope: _Scope) -> str:
        """The most derived definition of a block; `super()` in it is the next one."""
        first, rest = chain[0], chain[1:]
        parent = (lambda: self._block(rest, scope)) if rest else None
        return self._nodes(first.children, replace(scope, parent_block=parent))


def _as_written(composer: Composer, node: _Node, scope: _Scope) -> str:
    """Text, and an extends/layout tag that was not followed: shown as its copy has it."""
    return node.shown


#: What each token becomes in the composed email (`text` and any other: as written).
_SHOW: dict[str, Callable[[Composer, _Node, _Scope], str]] = {
    "B": Composer._defined_block,
    "I": Composer._include,
    "P": Composer._partial_block,
    "C": Composer._slot,
    "S": Composer._super,
}

__all__ = ["IN_TAG", "Composer", "structure", "token"]
