"""Offset-exact scan of HTML, MJML, VML and plain-text templates into `Link` records.

One pass of a tag tokenizer over the masked text. Nothing is built into a tree: every record
carries the offsets of what it came from so that edits can be spliced into the original.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ctamap.source import FILLER, Source, SpanKind

# Elements whose `href` is a link, and the elements (MJML) whose content is not HTML text.
LINK_TAGS = frozenset(
    {
        "a",
        "area",
        "v:roundrect",
        "v:rect",
        "v:oval",
        "v:shape",
        "mj-button",
        "mj-image",
        "mj-navbar-link",
        "mj-social-element",
        "mj-carousel-image",
    }
)
# ESP tags that render as links the ESP fills in (Campaign Monitor, sendwithus).
ESP_LINK_TAGS = frozenset({"unsubscribe", "webversion", "preferences", "forwardtoafriend"})
_RAW_TEXT = frozenset({"style", "script", "title", "textarea", "xmp", "mj-style"})

# Only the tags ctamap acts on are tokenized; every other tag is skipped by the regex engine
# itself, which is what makes a scan several times cheaper than building a tree. Comments are
# always consumed, so that links inside them are not links.
_TOKEN_PATTERN = r"""<(?:
    (?P<cond_open>!--\[if(?P<cond>[^\]]*)\]>(?:<!-->)?)
  | (?P<cond_close>!\[endif\]-*>)
  | (?P<comment>!--.*?(?:-->|\Z))
  | (?P<close>/(?=(?:mj-)?body[\s/>\ue000]))?
    (?P<name>a|area|v:roundrect|v:rect|v:oval|v:shape|mj-[a-z-]+|mjml|body{img}
        |style|script|title|textarea|xmp|unsubscribe|webversion|preferences|forwardtoafriend)
      (?=[\s/>\ue000])
      (?P<attrs>(?:[^>"']++|"[^"]*+"|'[^']*+')*+)>)
    """
# `<` stands first, outside the alternation, so the regex engine can jump from one `<` to the
# next in C (6x faster than an alternation of branches that each start with `<`). Of closing
# tags only the body's matters, and `<img>` only to a file that may hold a pixel already:
# every other `</a>` or `<img>` is one more match and one more Python step per tag.
_TOKEN = re.compile(_TOKEN_PATTERN.replace("{img}", ""), re.S | re.X | re.I)
_TOKEN_WITH_IMG = re.compile(_TOKEN_PATTERN.replace("{img}", "|img"), re.S | re.X | re.I)
# Every way of writing `data-ctamap-pixel` in any case holds this (a literal `-` first lets
# the regex engine skip ahead in C, where lowercasing the whole file would copy it).
_PIXEL_HINT = re.compile(r"-(?i:ctamap-pixel)")
_ATTR = re.compile(
    r"""([^\s"'>/=\ue000]+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+)))?"""
)
_IMG = re.compile(r"<img\b((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>", re.I)
_TAGS = re.compile(r"<(?:!--.*?-->|[^>]*>)", re.S)  # a comment whole, even with `>` inside
_SPACE = re.compile(r"\s+")


class Attribute(NamedTuple):
    """One attribute of a start tag; `value_start`/`value_end` bound the value inside quotes."""

    name: str  # lowercased
    value: str  # as written (entities not decoded)
    value_start: int
    value_end: int
    quote: str  # '"', "'", or "" when unquoted or valueless


@dataclass(frozen=True)  # not a NamedTuple: `url` is cached on the instance
class Link:
    """One place that sends the reader somewhere, with the offsets it was found at."""

    tag: str  # lowercased element name; "text" for a URL in a text template
    start: int  # offset of the element (or the URL, in text templates)
    line: int
    column: int
    href: Attribute | None  # None for ESP tags such as <unsubscribe>
    attrs: Mapping[str, str]  # every attribute, lowercased name -> value as written
    content: str  # the element's inner markup from the original text ("" when empty)
    content_masked: str  # the same span of the masked text
    end: int  # offset just after the element (closing tag, or the URL)
    mso_only: bool  # inside an `<!--[if mso]>` conditional comment
    label: str = ""  # text templates: the label before `( url )`

    @property
    def raw(self) -> str:
        """The destination as written: entities and template tags verbatim."""
        return self.href.value if self.href else ""

    @functools.cached_property  # read by the classifier, the IDs and the plan alike
    def url(self) -> str:
        """The destination with HTML entities decoded (template tags verbatim)."""
        return html.unescape(self.raw) if self.tag != "text" else self.raw


class Scan(NamedTuple):
    """Everything one template holds that ctamap cares about."""

    source: Source
    links: tuple[Link, ...]
    body_open_end: int | None = None  # just after `<body …>` (or `<mj-body …>`)
    body_close: int | None = None  # at `</body>` (or `</mj-body>`)
    is_mjml: bool = False
    pixels: tuple[int, ...] = ()  # offsets of elements marked data-ctamap-pixel
    comments: tuple[tuple[int, int], ...] = ()  # HTML comment spans
    pixel_off: bool = False  # the body says `data-ctamap-pixel="off"`: this email gets none

    @property
    def is_document(self) -> bool:
        """A full document (it has a body), as opposed to a partial or a child template."""
        return self.body_open_end is not None


_QUOTE_OF = {"dq": '"', "sq": "'", "uq": ""}


def attributes(masked: str, text: str, start: int, end: int) -> list[Attribute]:
    """Attributes of the start tag whose attribute area is `masked[start:end]`."""
    found: list[Attribute] = []
    seen: set[str] = set()
    for match in _ATTR.finditer(masked, start, end):
        name = match.group(1).lower()
        if name in seen:  # HTML keeps the first of duplicated attributes
            continue
        seen.add(name)
        # The value's group is the last one to match (the name's group is unnamed).
        group = match.lastgroup
        if group is None:
            found.append(Attribute(name, "", match.end(), match.end(), ""))
        else:
            s, e = match.span(group)
            found.append(Attribute(name, text[s:e], s, e, _QUOTE_OF[group]))
    return found


def scan(source: Source) -> Scan:
    """Find every link (and the body and pixel positions) in one template."""
    if source.is_text:
        return Scan(source, tuple(_text_links(source)))
    return _HtmlScanner(source).run()


class _Lines:
    """Line and column of offsets asked for in increasing order, counting the newlines in
    between (a file's scan needs a few positions; the table of every line start costs more)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.line = 1
        self.counted_to = 0  # newlines before this offset are counted in `line`
        self.line_start = 0

    def position(self, offset: int) -> tuple[int, int]:
        text = self.source.text
        if offset < self.counted_to:
            return self.source.position(offset)
        newlines = text.count("\n", self.counted_to, offset)
        if newlines:
            self.line += newlines
            self.line_start = text.rfind("\n", self.counted_to, offset) + 1
        self.counted_to = offset
        return self.line, offset - self.line_start + 1


class _HtmlScanner:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.masked = source.masked
        self.lines = _Lines(source)
        self.links: list[Link] = []
        self.pixels: list[int] = []
        self.comments: list[tuple[int, int]] = []
        self.body_open_end: int | None = None
        self.body_close: int | None = None
        self.is_mjml = False
        self.may_have_pixel = False
        self.pixel_off = False

    def run(self) -> Scan:
        mso_only = False
        pos = 0
        masked = self.masked
        # Most files carry no pixel yet: then no tag needs looking at for one.
        self.may_have_pixel = _PIXEL_HINT.search(masked) is not None
        token = _TOKEN_WITH_IMG if self.may_have_pixel else _TOKEN
        while (match := token.search(masked, pos)) is not None:
            pos = match.end()
            kind = match.lastgroup  # the outermost group that matched, "attrs" for a tag
            if kind == "attrs":
                pos = self._tag(match, mso_only)
            elif kind == "cond_open":
                condition = match.group("cond")
                mso_only = "mso" in condition and "!" not in condition
            elif kind == "cond_close":
                mso_only = False
            elif kind == "comment":
                self.comments.append(match.span())
                if "<![endif]" in match.group():
                    mso_only = False
        return Scan(
            self.source,
            tuple(self.links),
            self.body_open_end,
            self.body_close,
            self.is_mjml,
            tuple(self.pixels),
            tuple(self.comments),
            self.pixel_off,
        )

    def _tag(self, match: re.Match[str], mso_only: bool) -> int:
        name, close = match.group("name", "close")
        name = name.lower()
        if close:
            if name in ("body", "mj-body"):
                self.body_close = match.start()
            return match.end()
        if name in ("body", "mj-body"):
            if self.body_open_end is None:
                self.body_open_end = match.end()
            self.is_mjml = self.is_mjml or name == "mj-body"
        elif name == "mjml":
            self.is_mjml = True
        if (
            self.may_have_pixel
            and "data-ctamap-pixel" in self.masked[slice(*match.span("attrs"))].lower()
        ):
            if name in ("body", "mj-body") and _says_pixel_off(self.masked, self.text, match):
                self.pixel_off = True  # an opt-out on the body, not a pixel
            else:
                self.pixels.append(match.start())
        if name in _RAW_TEXT:
            closing = _closing(name).search(self.masked, match.end())
            return len(self.masked) if closing is None else closing.start()
        if name in LINK_TAGS or name in ESP_LINK_TAGS:
            self._link(name, match, mso_only)
        return match.end()

    def _link(self, name: str, match: re.Match[str], mso_only: bool) -> None:
        attrs = attributes(self.masked, self.text, *match.span("attrs"))
        by_name = {a.name: a for a in attrs}
        href = by_name.get("href")
        if href is None and name not in ESP_LINK_TAGS:
            return  # an anchor target (<a name=…>) or a shape without a destination
        # `/>` closes the tag, unless the `/` ends an unquoted value (`href=https://x.com/>`).
        closing_end = match.start("attrs") + len(match.group("attrs").rstrip())
        self_closing = match.group("attrs").rstrip().endswith("/") and not any(
            a.quote == "" and a.value_end == closing_end for a in attrs
        )
        content_start = content_end = end = match.end()
        if not self_closing and name not in ("area",):
            content_end = self._content_end(name, match.end())
            end = self.masked.find(">", content_end) + 1 or content_end
        line, column = self.lines.position(match.start())
        self.links.append(
            Link(
                tag=name,
                start=match.start(),
                line=line,
                column=column,
                href=href,
                attrs={a.name: a.value for a in attrs},
                content=self.text[content_start:content_end],
                content_masked=self.masked[content_start:content_end],
                end=end,
                mso_only=mso_only,
            )
        )

    def _content_end(self, name: str, start: int) -> int:
        """Where the element's content ends: its closing tag, or the next element of its kind."""
        closing = _closing(name).search(self.masked, start)
        close = -1 if closing is None else closing.start()
        # An unclosed <a> ends at the end of its block at the latest: keep text short.
        limit = start + 4000 if name == "a" else len(self.masked)
        if close >= 0:
            limit = min(limit, close)
        # Only a reopening before the limit counts: the search stops there (plus the length
        # of a match, so that one starting just before it is still found).
        again = _reopening(name).search(self.masked, start, limit + len(name) + 2)
        candidates = [p for p in (close, again.start() if again else -1) if p >= 0]
        if name == "a":
            candidates.append(start + 4000)
        return min(candidates) if candidates else min(len(self.masked), start + 4000)


def _says_pixel_off(masked: str, text: str, match: re.Match[str]) -> bool:
    """The start tag of `match` carries `data-ctamap-pixel="off"` (any case, any quotes)."""
    for attribute in attributes(masked, text, *match.span("attrs")):
        if attribute.name == "data-ctamap-pixel":
            return attribute.value.strip().lower() == "off"
    return False


# Tag names are matched in ASCII case only (the HTML rule); `\s` after them stays Unicode, as
# in the lowercased text these searches used to run on.
@functools.lru_cache(maxsize=32)
def _reopening(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?ai:<{re.escape(name)})[\s>]")


@functools.lru_cache(maxsize=32)
def _closing(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?ai:</{re.escape(name)})")


# -- Text templates ----------------------------------------------------------------------------

_TEXT_URL = re.compile(r"(?:https?://|www\.|mailto:)[^\s<>\"'()\[\]{}]+", re.I)
_TRAILING = ".,;:!?*"
_LINKISH_NAME = re.compile(
    r"(url|link|href|uri|unsub|unsubscribe|archive|update_profile|forward|view_email|webversion)",
    re.I,
)


def _paren_label(before: str) -> str | None:
    r"""The words on the line before a trailing `(` (`Label ( ` -> "Label"), None when `before`
    does not end with `(`. String operations from the right: the equivalent regex
    `([^\n()]*?)\s*\(\s*$` is searched from every start and was the text scan's main cost."""
    head = before.rstrip()
    if not head.endswith("("):
        return None
    head = head[:-1].rstrip()
    return head[max(head.rfind("\n"), head.rfind("("), head.rfind(")")) + 1 :]


def _text_links(source: Source) -> list[Link]:
    text, masked = source.text, source.masked
    found: list[tuple[int, int]] = []
    # A statement glued to a URL ends it: `https://x.example/a/{% endline %}` is `…/a/`.
    statements = [s.start for s in source.spans if s.kind is not SpanKind.EXPR]
    for match in _TEXT_URL.finditer(masked):
        start, end = match.span()
        index = bisect.bisect_right(statements, start)
        if index < len(statements) and statements[index] < end:
            end = statements[index]
        while end > start and masked[end - 1] in _TRAILING:
            end -= 1
        found.append((start, end))
    taken = [(s, e) for s, e in found]
    for span in source.spans:
        if span.kind is not SpanKind.EXPR:
            continue
        if any(s <= span.start < e for s, e in taken):
            continue  # part of a longer URL
        before = masked[max(0, span.start - 1) : span.start]
        after = masked[span.end : span.end + 1]
        if (before and not before.isspace() and before != "(") or (
            after and not after.isspace() and after not in ").,;"
        ):
            continue  # glued to other text: not a URL on its own
        in_parens = _paren_label(masked[max(0, span.start - 200) : span.start]) is not None and (
            masked[span.end :].lstrip(" \t").startswith(")")
        )
        if in_parens or _LINKISH_NAME.search(text[span.start : span.end]):
            found.append((span.start, span.end))
    links: list[Link] = []
    for start, end in sorted(found):
        line, column = source.position(start)
        before = masked[max(0, start - 200) : start].replace(FILLER, " ")
        in_label = _paren_label(before)
        # `Label ( url )`, else the words before a bare URL on its line (`Read the guide: url`).
        label = _label(in_label if in_label is not None else before.rsplit("\n", 1)[-1])
        href = Attribute("href", text[start:end], start, end, "")
        links.append(
            Link(
                tag="text",
                start=start,
                line=line,
                column=column,
                href=href,
                attrs={},
                content="",
                content_masked="",
                end=end,
                mso_only=False,
                label=label,
            )
        )
    return links


def _label(before: str) -> str:
    """The few words before `( url )`: after the last sentence break on that line."""
    tail = re.split(r"[.!?:;,*]\s", before.strip().rstrip(":-").strip())[-1]
    words = tail.split()
    return " ".join(words[-6:])


def visible_text(markup: str) -> str:
    """Text a reader sees in a span of markup: tags dropped, entities decoded, spaces folded."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", markup))).strip()


def first_image(markup: str) -> dict[str, str] | None:
    """Attributes of the first <img> in a span of markup, or None when there is none."""
    match = _IMG.search(markup)
    if match is None:
        return None
    inner = match.group(1)
    return {a.name: html.unescape(a.value) for a in attributes(inner, inner, 0, len(inner))}
