"""Reading template files and masking their template syntax.

A `Source` keeps the decoded text exactly (BOM, CRLF and all) and a `masked` twin of the same
length in which every template tag is replaced by filler, so the HTML scanner can neither trip
over `{{ a > b }}` nor see links inside `{# … #}`. Offsets are shared between the two.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from ctamap.errors import InputError

# Same-length stand-in for template syntax: not whitespace, not a quote, not `<`, `>` or `&`.
FILLER = "\ue000"


class SpanKind(Enum):
    EXPR = "expr"  # prints a value: {{ x }}, *|TAG|*, %%=v(@x)=%%
    BLOCK = "block"  # a statement: {% if %}, {{#each}}, %%[ … ]%%
    COMMENT = "comment"  # never output: {# … #}, {{! … }}, {% comment %} … {% endcomment %}


@dataclass(frozen=True)
class TemplateSpan:
    """One template tag: `text[start:end]`."""

    start: int
    end: int
    kind: SpanKind


@dataclass(frozen=True)
class Source:
    """One template file, decoded and masked."""

    path: str  # as shown to the user
    text: str  # decoded exactly; a BOM stays as U+FEFF at offset 0
    masked: str  # same length as text, template tags replaced by FILLER
    syntax: str  # the template family found or configured
    spans: tuple[TemplateSpan, ...]
    is_text: bool  # a plain-text template: read, never written
    _line_starts: list[int] = field(repr=False, compare=False, default_factory=list)

    def line_start(self, line: int) -> int:
        """Offset of the first character of a 1-based line."""
        return self._starts()[line - 1]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        starts = self._starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def _starts(self) -> list[int]:
        # Built on first use, in place (the record is frozen, the list is not): a file whose
        # links need no position, and the scanner, which counts lines as it goes, never pay.
        if not self._line_starts:
            self._line_starts.extend(line_starts(self.text))
        return self._line_starts


def line_starts(text: str) -> list[int]:
    """Offset of every line's first character. Built from C-level iterators (line lengths + 1,
    summed): a generator over `re.finditer` cost more than masking the templates."""
    lengths = map(operator.add, map(len, text.split("\n")), itertools.repeat(1))
    starts = list(itertools.accumulate(lengths, initial=0))
    starts.pop()  # the start of a line after the end
    return starts


class TemplateSyntaxProblem(Exception):
    """A template tag that is not closed or not balanced, at an offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: ASCII text with a NUL after (or before) every character."""
    if len(head) < 8 or b"\x00" not in head:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) * 10 >= len(even) * 9 or odd.count(0) * 10 >= len(odd) * 9


def decode(data: bytes, path: str, max_bytes: int) -> str:
    """UTF-8 text from bytes, or an `InputError` naming what to do."""
    if len(data) > max_bytes:
        raise InputError(
            f"file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit for a "
            "template; raise max_file_bytes in the config if this is really a template",
            path=path,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data[:8192]):
        raise InputError(
            "is UTF-16, not UTF-8: convert it with `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8` "
            "and move the result over the file",
            path=path,
            line=1,
        )
    if b"\x00" in data[:8192]:
        raise InputError("looks like a binary file (NUL bytes); not a template", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x}); convert the file to UTF-8",
            path=path,
            line=line,
        ) from None


# -- Template families -------------------------------------------------------------------------

_HANDLEBARS_HINT = re.compile(r"\{\{\s*[#/^!>{]|\{\{\s*else\s*\}\}")
# Tags only Liquid has (Shopify, Braze, Klaviyo-style Liquid), and Braze's `{{${attribute}}}`.
_LIQUID_HINT = re.compile(
    r"\{%-?\s*(?:assign|unless|capture|case|render|liquid|echo|increment|decrement|tablerow|"
    r"paginate|connected_content|abort_message|content_blocks)\b|\{\{[\w.]*\$\{"
)
_JINJA_HINT = re.compile(r"\{[%#{]")


def detect_syntax(text: str, path: str = "") -> str:
    """The curly-brace family a file uses: handlebars, liquid, jinja, or none."""
    if _HANDLEBARS_HINT.search(text):
        return "handlebars"
    if path.endswith(".liquid") or _LIQUID_HINT.search(text):
        return "liquid"
    if _JINJA_HINT.search(text):
        return "jinja"
    return "none"


_FAMILY = {
    "auto": None,
    "jinja": "jinja",
    "django": "jinja",
    "liquid": "liquid",
    "handlebars": "handlebars",
    "mustache": "handlebars",
    "mailchimp": "none",
    "ampscript": "none",
    "mailjet": "none",
    "none": "none",
}

# Jinja/Django/Liquid statements that are blocks in every library: unclosed, they are errors.
# Any other `{% name %}` (custom tag libraries: `{% cell %}`, `{% line %}`; Django's one-line
# `{% trans "x" %}` beside Jinja's `{% trans %}…{% endtrans %}`) is a block only when an
# `{% endname %}` closes it, and a plain tag otherwise.
_OPENERS = {
    "if", "for", "block", "macro", "call", "filter", "with", "autoescape", "set",
    "unless", "case", "capture", "comment", "tablerow", "paginate", "form", "schema", "style",
    "javascript", "ifequal", "ifnotequal", "ifchanged", "spaceless", "verbatim", "blocktrans",
    "blocktranslate", "localize", "timezone", "language",
}  # fmt: skip


_JINJA_START = re.compile(r"\{[{%#]")
_BEGIN_KIND = {
    "variable_begin": SpanKind.EXPR,
    "block_begin": SpanKind.BLOCK,
    "comment_begin": SpanKind.COMMENT,
}


@functools.lru_cache(maxsize=1)
def jinja_lexer() -> Any:
    import jinja2  # deferred: only files with Jinja-style tags pay for it

    return jinja2.Environment().lexer


@dataclass
class _Blocks:
    """Open statements, innermost last: (name, offset, must_close). Plain tags are pushed as
    "maybe" blocks and dropped when an end tag closes what is below them, or at the end."""

    stack: list[tuple[str, int, bool]] = field(default_factory=list)
    open_count: dict[str, int] = field(default_factory=dict)
    comment_from: int | None = None

    def push(self, name: str, start: int, must_close: bool) -> None:
        self.stack.append((name, start, must_close))
        self.open_count[name] = self.open_count.get(name, 0) + 1
        if name == "comment" and self.comment_from is None:
            self.comment_from = start

    def statement(self, words: list[str], start: int, end: int, spans: list[TemplateSpan]) -> None:
        """Track one `{% … %}` statement given its words."""
        if not words:
            return
        name = words[0]
        if name in _OPENERS and not (name == "set" and "=" in words):
            self.push(name, start, True)
        elif name.startswith("end") and len(name) > 3:
            self.close(name, start, end, spans)
        else:
            self.push(name, start, False)

    def close(self, name: str, start: int, end: int, spans: list[TemplateSpan]) -> None:
        opened = name[3:]
        if not self.open_count.get(opened):
            if opened not in _OPENERS:
                return  # `{% endorse %}`: a plain tag of some library
            blocking = self.innermost_required()
            if blocking is None:
                raise TemplateSyntaxProblem(f"'{{% {name} %}}' closes nothing", start)
            raise TemplateSyntaxProblem(f"'{{% {name} %}}' closes '{{% {blocking} %}}'", start)
        # Each entry is popped once: linear in the number of tags.
        while True:
            top, _, must_close = self.stack.pop()
            self.open_count[top] -= 1
            if top == opened:
                break
            if must_close:
                raise TemplateSyntaxProblem(f"'{{% {name} %}}' closes '{{% {top} %}}'", start)
        if opened == "comment" and self.comment_from is not None and not self.open_count["comment"]:
            spans.append(TemplateSpan(self.comment_from, end, SpanKind.COMMENT))
            self.comment_from = None

    def innermost_required(self) -> str | None:
        return next((name for name, _, must in reversed(self.stack) if must), None)

    def finish(self) -> None:
        for name, at, must_close in reversed(self.stack):
            if must_close:
                raise TemplateSyntaxProblem(f"'{{% {name} %}}' is never closed", at)


def _jinja_spans(text: str) -> list[TemplateSpan]:
    """Tag spans found by jinja2's own lexer, with block balance checked.

    The lexer is started at each tag and stopped when the tag ends: it never scans the markup
    between tags, which is most of a file and most of the lexer's time (its data regex tries
    every delimiter at every character)."""

    # The lexer normalises newlines; a same-length CR stand-in keeps offsets exact.
    lexable = text.replace("\r", " ")
    lexer = jinja_lexer()
    spans: list[TemplateSpan] = []
    blocks = _Blocks()
    pos = 0
    while (found := _JINJA_START.search(lexable, pos)) is not None:
        start = found.start()
        if braze := _BRAZE.match(lexable, start):  # masked by the ESP finders
            pos = braze.end()
            continue
        if (simple := _SIMPLE_TAG.match(lexable, start)) is not None:
            names = simple.group("words")
            words = names.split() if names else []
            if not _RAW_WORDS.intersection(words):
                spans.append(
                    TemplateSpan(start, simple.end(), SpanKind.BLOCK if names else SpanKind.EXPR)
                )
                if names:
                    blocks.statement(words, start, simple.end(), spans)
                pos = simple.end()
                continue
        # Most tags end at their first closing delimiter: lex just that much first (the lexer
        # splits and joins the lines of what it is given), then a window of a few hundred
        # characters, so that a file with many tags is not copied once per tag; the rest of
        # the file only if need be.
        tag = (
            _lex_tag(lexer, lexable, start, _tight_end(lexable, start))
            or _lex_tag(lexer, lexable, start, start + 2048)
            or _lex_tag(lexer, lexable, start, len(lexable), text)
        )
        assert tag is not None  # the whole-file attempt reports what it could not lex
        tag_spans, words, cursor, is_block = tag
        spans.extend(tag_spans)
        if is_block:
            blocks.statement(words, start, cursor, spans)
        pos = max(cursor, start + 1)
    blocks.finish()
    return spans


# `{{ name }}`, `{{ a.b }}`, `{% name word … %}`: most tags, and tags the lexer reads as
# nothing but names (and dots), so their span and words need not come from it. Whitespace
# control (`{%-`, `-%}`) and `{% raw %}` are left to the lexer.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SIMPLE_TAG = re.compile(
    rf"\{{(?:\{{[ \t]*{_NAME}(?:\.{_NAME})*[ \t]*\}}\}}"
    rf"|%[ \t]*(?P<words>{_NAME}(?:[ \t]+{_NAME})*)[ \t]*%\}})"
)
_RAW_WORDS = frozenset({"raw", "endraw"})
_CLOSER = {"{": "}}", "%": "%}", "#": "#}"}


def _tight_end(lexable: str, start: int) -> int:
    """Where a window holding the tag at `start` up to its first closing delimiter ends: past
    the whitespace after it and one more character, because the lexer's `-%}` takes the
    whitespace that follows and it drops a trailing newline of what it is given; so a window
    the tag fits in lexes it exactly as the whole file does. 0 (an empty window, which fails)
    when there is no closing delimiter."""
    close = lexable.find(_CLOSER[lexable[start + 1]], start + 2)
    if close < 0:
        return 0
    end = close + 2
    while end < len(lexable) and lexable[end].isspace():
        end += 1
    return end + 1


def _lex_tag(
    lexer: Any, lexable: str, start: int, stop: int, text: str | None = None
) -> tuple[list[TemplateSpan], list[str], int, bool] | None:
    """The tag at `start`, lexed from `lexable[start:stop]`: its spans, its words, where it
    ends, and whether it is a block statement. None when the window cut the tag short;
    given `text` (the whole file), problems are raised as `TemplateSyntaxProblem`s."""
    import jinja2

    cursor = start
    spans: list[TemplateSpan] = []
    words: list[str] = []
    opened = ""
    kind = SpanKind.EXPR
    try:
        for _, token, value in lexer.tokeniter(lexable[start:stop], None):
            # Data may have been stripped by `{%-`; every value still occurs in order.
            at = lexable.find(value, cursor)
            cursor = at + len(value)
            if token in _BEGIN_KIND:
                opened, kind = value, _BEGIN_KIND[token]
            elif token == "raw_begin":
                spans.append(TemplateSpan(at, cursor, SpanKind.BLOCK))
                opened = "{% raw %}"
            elif token == "raw_end":
                spans.append(TemplateSpan(at, cursor, SpanKind.BLOCK))
                return spans, words, cursor, False
            elif token in ("name", "operator", "string", "integer", "float"):
                words.append(value)
            elif token in ("variable_end", "comment_end", "block_end"):
                spans.append(TemplateSpan(start, cursor, kind))
                return spans, words, cursor, token == "block_end"
    except jinja2.TemplateSyntaxError as error:
        if text is None:
            return None
        line = lexable.count("\n", 0, start) + (error.lineno or 1)
        offset = line_starts(text)[min(line, text.count("\n") + 1) - 1]
        message = error.message or "template syntax error"
        if kind is SpanKind.EXPR:  # Liquid renders what Jinja refuses: say how to get that
            message += (
                '; if this is a Liquid template, name it *.liquid or set template_syntax = "liquid"'
            )
        raise TemplateSyntaxProblem(message, offset) from None
    if text is None:
        return None
    raise TemplateSyntaxProblem(f"'{opened.strip('-+')}' is never closed", start)


# Liquid's own tokenizer: a tag runs to the first `%}`, an output to the first `}}`, whatever
# is inside (Shopify renders `{{ x) }}` as `{{ x }}`); `{% raw %}` bodies are markup.
_LIQUID_START = re.compile(r"\{[{%]")
_LIQUID_NAME = re.compile(r"\{%-?\s*(\w+)")
_LIQUID_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}")
_LIQUID_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def _liquid_spans(text: str) -> list[TemplateSpan]:
    """Tag spans as Liquid's lax tokenizer finds them, with block balance checked."""
    spans: list[TemplateSpan] = []
    blocks = _Blocks()
    pos = 0
    while (found := _LIQUID_START.search(text, pos)) is not None:
        start = found.start()
        if braze := _BRAZE.match(text, start):  # masked by the ESP finders
            pos = braze.end()
            continue
        if raw := _LIQUID_RAW.match(text, start):
            endraw = _LIQUID_ENDRAW.search(text, raw.end())
            if endraw is None:
                raise TemplateSyntaxProblem("'{% raw %}' is never closed", start)
            spans.append(TemplateSpan(start, raw.end(), SpanKind.BLOCK))
            spans.append(TemplateSpan(endraw.start(), endraw.end(), SpanKind.BLOCK))
            pos = endraw.end()
            continue
        is_block = text.startswith("{%", start)
        close = text.find("%}" if is_block else "}}", start + 2)
        if close < 0:
            raise TemplateSyntaxProblem(f"'{text[start : start + 2]}' is never closed", start)
        end = close + 2
        spans.append(TemplateSpan(start, end, SpanKind.BLOCK if is_block else SpanKind.EXPR))
        if is_block and (name := _LIQUID_NAME.match(text, start)) is not None:
            blocks.statement([name.group(1)], start, end, spans)
        pos = end
    blocks.finish()
    return spans


_HBS_TAG = re.compile(r"\{\{!--.*?--\}\}|\{\{\{.*?\}\}\}|\{\{.*?\}\}", re.S)
# Blocks, partial blocks (`{{#> layouts/frame}}`, closed by `{{/layouts/frame}}`) and inline
# partials (`{{#*inline "x"}}`, closed by `{{/inline}}`).
_HBS_OPEN = re.compile(r"\{\{~?\s*[#^]\s*[>*]?\s*([\w./@-]+)")
_HBS_CLOSE = re.compile(r"\{\{~?\s*/\s*([\w./@-]+)")


def _handlebars_spans(text: str) -> list[TemplateSpan]:
    spans: list[TemplateSpan] = []
    stack: list[tuple[str, int]] = []
    cursor = 0
    for match in _HBS_TAG.finditer(text):
        stray = text.find("{{", cursor, match.start())
        if stray >= 0:  # pragma: no cover - the regex would have matched it
            raise TemplateSyntaxProblem("'{{' is never closed", stray)
        tag = match.group()
        if tag.startswith("{{!"):
            kind = SpanKind.COMMENT
        elif opened := _HBS_OPEN.match(tag):
            stack.append((opened.group(1), match.start()))
            kind = SpanKind.BLOCK
        elif closed := _HBS_CLOSE.match(tag):
            if not stack:
                raise TemplateSyntaxProblem(f"'{tag}' closes nothing", match.start())
            top, _ = stack.pop()
            if top != closed.group(1):
                raise TemplateSyntaxProblem(f"'{tag}' closes '{{{{#{top}}}}}'", match.start())
            kind = SpanKind.BLOCK
        else:
            kind = SpanKind.EXPR
        spans.append(TemplateSpan(match.start(), match.end(), kind))
        cursor = match.end()
    stray = text.find("{{", cursor)
    if stray >= 0:
        raise TemplateSyntaxProblem("'{{' is never closed", stray)
    if stack:
        name, at = stack[-1]
        raise TemplateSyntaxProblem(f"'{{{{#{name}}}}}' is never closed", at)
    return spans


_MAILCHIMP = re.compile(r"\*\|[^|*\s][^|]{0,200}?\|\*")
# SendGrid's unsubscribe-group and legacy substitution tags: `<%asm_group_unsubscribe_raw_url%>`.
_SENDGRID = re.compile(r"<%\s*[A-Za-z_]\w{0,100}\s*%>")
# Mailgun's recipient variables and unsubscribe links: `%recipient.name%`, `%unsubscribe_url%`.
_MAILGUN = re.compile(
    r"%(?:recipient(?:\.[\w-]{1,100}|_[a-z]{1,30})?|(?:tag_|mailing_list_)?unsubscribe_url)%"
)
# Braze's Liquid attributes: `{{${first_name}}}`, `{{custom_attribute.${plan}}}`, with filters.
_BRAZE = re.compile(r"\{\{[\w.]*\$\{[^{}\n]{1,200}\}[^{}\n]{0,200}?\}\}")
_MAILJET = re.compile(r"\[\[[^\[\]\n]{1,200}\]\]")
_AMP_START = re.compile(r"%%(\[|=|[A-Za-z_@][\w@.-]{0,100}%%)")


def _ampscript_spans(text: str) -> list[TemplateSpan]:
    """AMPscript blocks `%%[ … ]%%`, inline `%%=…=%%` (which may nest `%%x%%`), `%%name%%`."""
    spans: list[TemplateSpan] = []
    pos = 0
    while (match := _AMP_START.search(text, pos)) is not None:
        start = match.start()
        opener = match.group(1)
        if opener == "[":
            end = text.find("]%%", match.end())
            if end < 0:
                raise TemplateSyntaxProblem("'%%[' is never closed with ']%%'", start)
            spans.append(TemplateSpan(start, end + 3, SpanKind.BLOCK))
            pos = end + 3
        elif opener == "=":
            end = _inline_amp_end(text, match.end())
            if end < 0:
                raise TemplateSyntaxProblem("'%%=' is never closed with '=%%'", start)
            spans.append(TemplateSpan(start, end, SpanKind.EXPR))
            pos = end
        else:
            spans.append(TemplateSpan(start, match.end(), SpanKind.EXPR))
            pos = match.end()
    return spans


def _inline_amp_end(text: str, pos: int) -> int:
    """End of an inline `%%=…=%%`, skipping nested `%%name%%` inside it."""
    while True:
        close = text.find("=%%", pos)
        nested = text.find("%%", pos)
        if close < 0:
            return -1
        if 0 <= nested < close and not text.startswith("=%%", nested - 1):
            inner_end = text.find("%%", nested + 2)
            if inner_end < 0 or inner_end > close:
                return close + 3
            pos = inner_end + 2
            continue
        return close + 3


def _regex_spans(pattern: re.Pattern[str], *needles: str) -> Callable[[str], list[TemplateSpan]]:
    """A finder for `pattern`, whose every match contains one of `needles`: most files hold
    none of them, and `in` rules that out several times faster than the regex can."""

    def find(text: str) -> list[TemplateSpan]:
        if not any(needle in text for needle in needles):
            return []
        return [TemplateSpan(m.start(), m.end(), SpanKind.EXPR) for m in pattern.finditer(text)]

    return find


def _ampscript_if_any(text: str) -> list[TemplateSpan]:
    return _ampscript_spans(text) if "%%" in text else []


# The ESP tag families are recognised in every file: they never collide with HTML.
_ESP_FINDERS: tuple[Callable[[str], list[TemplateSpan]], ...] = (
    _regex_spans(_MAILCHIMP, "*|"),
    _ampscript_if_any,
    _regex_spans(_MAILJET, "[["),
    _regex_spans(_SENDGRID, "<%"),
    _regex_spans(_MAILGUN, "%recipient", "unsubscribe_url%"),
    _regex_spans(_BRAZE, "${"),
)
_CURLY_FINDERS: dict[str, Callable[[str], list[TemplateSpan]]] = {
    "jinja": _jinja_spans,
    "liquid": _liquid_spans,
    "handlebars": _handlebars_spans,
}


def find_spans(text: str, syntax: str, path: str = "") -> tuple[str, list[TemplateSpan]]:
    """The template family used and every template tag span, outermost only, in order."""
    family = _FAMILY[syntax] or detect_syntax(text, path)
    found: list[TemplateSpan] = []
    if syntax != "none":
        if family in _CURLY_FINDERS:
            found.extend(_CURLY_FINDERS[family](text))
        for finder in _ESP_FINDERS:
            found.extend(finder(text))
    return family, _outermost(found)


def _outermost(spans: list[TemplateSpan]) -> list[TemplateSpan]:
    """Drop spans inside others (a `{{ x }}` inside a `{% comment %}` block, `*|X|*` in `{{ }}`)."""
    result: list[TemplateSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if result and span.start < result[-1].end:
            continue
        result.append(span)
    return result


def mask(text: str, spans: list[TemplateSpan]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        parts.append(FILLER * (span.end - span.start))
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


class TemplateSyntaxError(InputError):
    """A template tag is unclosed or unbalanced: the file is reported (S001), never modified."""


def from_text(text: str, path: str, *, syntax: str = "auto", is_text: bool = False) -> Source:
    """A `Source` from decoded text; template syntax problems become `InputError`s (S001)."""
    try:
        family, spans = find_spans(text, syntax, path)
    except TemplateSyntaxProblem as problem:
        line = text.count("\n", 0, problem.offset) + 1
        raise TemplateSyntaxError(
            f"template syntax error: {problem.message}", path=path, line=line
        ) from None
    return Source(
        path=path,
        text=text,
        masked=mask(text, spans),
        syntax=family,
        spans=tuple(spans),
        is_text=is_text,
    )


def read(path: Path, display: str, *, syntax: str, is_text: bool, max_bytes: int) -> Source:
    name = str(path)
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes: the map and reports could not name it
            raise InputError(
                "file name is not valid UTF-8; rename the file "
                "(e.g. `convmv -f latin1 -t utf8 --notest FILE`)",
                path=display,
            ) from None
    try:
        data = sys.stdin.buffer.read() if path == Path("-") else path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path=display) from None
    return from_text(decode(data, display, max_bytes), display, syntax=syntax, is_text=is_text)
