"""Template-safe URL editing: add or replace query parameters in an attribute value as written.

Edits work on the raw attribute value (entities and template tags verbatim) guided by its masked
twin, so `?`, `&` and `#` inside `{{ … }}` are never mistaken for URL syntax and nothing inside a
template tag is touched. New separators follow the author's style (`&amp;` or `&`).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from html.entities import html5
from typing import NamedTuple
from urllib.parse import unquote_plus

_SEPARATOR = re.compile(r"&amp;|&#0*38;|&#x0*26;|&", re.I)
_FRAGMENT = re.compile(r"&#(?:x([0-9a-f]+)|([0-9]+));?|#", re.I)
# Entity names a browser decodes even without a `;` (`&copy=1` reads as `©=1` in text).
_LEGACY_ENTITIES = tuple(sorted({name for name in html5 if not name.endswith(";")}, key=len))


class Param(NamedTuple):
    """One `name=value` of a query, with its offsets in the raw value (a tuple: every link's
    parameters are parsed, and a tuple is made twice as fast as a frozen dataclass)."""

    name: str  # decoded
    value: str  # decoded (template tags verbatim)
    start: int  # the parameter's first character
    value_start: int  # just after `=` (== end when there is no `=`)
    end: int


class QueryLayout(NamedTuple):
    """Where the query and fragment of a raw URL are."""

    query_start: int  # just after `?`; -1 when there is no `?`
    query_end: int  # at `#` or the end
    params: tuple[Param, ...]
    separator: str  # the author's separator style: "&amp;" or "&"


def _decode(text: str) -> str:
    # Most names and values hold nothing to decode: skip both decoders (the hot path of
    # scanning, classifying and planning every link).
    if "&" not in text and "%" not in text and "+" not in text:
        return text
    return unquote_plus(html.unescape(text))


def _fragment_start(raw: str) -> int:
    """Offset of the `#` that starts the fragment, -1 when none. The `#` of a numeric character
    reference (`&#38;` between parameters) is not one, unless it encodes `#` itself (`&#35;`)."""
    if "#" not in raw:
        return -1
    for match in _FRAGMENT.finditer(raw):
        if match.group() == "#":
            return match.start()
        hexa, decimal = match.group(1), match.group(2)
        if (int(hexa, 16) if hexa else int(decimal)) == ord("#"):
            return match.start()
    return -1


def layout(raw: str, masked: str | None = None, default_separator: str = "&amp;") -> QueryLayout:
    """Split a raw URL into query parameters; `masked` hides template tags (same length).
    The separator style is the URL's own, else `default_separator` (the document's)."""
    shape = _layout(raw, raw if masked is None else masked)
    if shape.separator:
        return shape
    return QueryLayout(shape.query_start, shape.query_end, shape.params, default_separator)


# Planning a link parses its href as written more than once (to read it, then to edit it):
# cached, like the decoded URLs below. The separator is "" here when the URL has none.
@functools.lru_cache(maxsize=1024)
def _layout(raw: str, masked: str) -> QueryLayout:
    hash_at = _fragment_start(masked)
    query_end = hash_at if hash_at >= 0 else len(raw)
    question = masked.find("?", 0, query_end)
    if question < 0:
        return QueryLayout(-1, query_end, (), "")
    params: list[Param] = []
    styles: list[str] = []
    cursor = question + 1
    separators = list(_SEPARATOR.finditer(masked, cursor, query_end))
    for sep in [*separators, None]:
        end = sep.start() if sep else query_end
        if end > cursor:
            eq = masked.find("=", cursor, end)
            value_start = eq + 1 if eq >= 0 else end
            name_end = eq if eq >= 0 else end
            params.append(
                Param(
                    _decode(raw[cursor:name_end]),
                    _decode(raw[value_start:end]) if eq >= 0 else "",
                    cursor,
                    value_start,
                    end,
                )
            )
        if sep:
            styles.append(sep.group().lower())
            cursor = sep.end()
    style = "" if not styles else "&amp;" if "&amp;" in styles else "&"
    return QueryLayout(question + 1, query_end, tuple(params), style)


def _separator(style: str, name: str) -> str:
    """`&`, unless the author writes `&amp;` or the name would read as an entity after `&`."""
    if style == "&" and name.startswith(_LEGACY_ENTITIES):
        return "&amp;"
    return style


def drop_params(raw: str, masked: str | None, names: Iterable[str]) -> tuple[str, str]:
    """`raw` (and its masked twin) without the first parameter of each of `names`, with its
    separator; a query left empty loses its `?`."""
    masked = raw if masked is None else masked
    names = set(names)
    while names:
        shape = layout(raw, masked)
        index = next((i for i, p in enumerate(shape.params) if p.name in names), None)
        if index is None:
            break
        param = shape.params[index]
        names.discard(param.name)
        if index > 0:  # `…&name=v`: the separator before it goes with it
            start, end = shape.params[index - 1].end, param.end
        elif index + 1 < len(shape.params):  # `?name=v&…`: the separator after it
            start, end = param.start, shape.params[index + 1].start
        else:  # the only parameter: the `?` too
            start, end = shape.query_start - 1, shape.query_end
        raw, masked = raw[:start] + raw[end:], masked[:start] + masked[end:]
    return raw, masked


def set_params(
    raw: str,
    wanted: Sequence[tuple[str, str]],
    *,
    replace: Iterable[str] = (),
    drop: Iterable[str] = (),
    masked: str | None = None,
    default_separator: str = "&amp;",
    quote: str = '"',
) -> str:
    """`raw` with every `wanted` parameter present: missing ones appended before the fragment,
    and those named in `replace` given the wanted value in place; those named in `drop`
    removed. Others are left as written. Wanted names and values are validated upstream
    (`[a-z0-9._-]`, link IDs, or one template expression); as a defence in depth, the
    attribute's `quote` character in them is written as an entity, so nothing spliced can end
    the attribute value."""
    if drop:
        raw, masked = drop_params(raw, masked, drop)
    shape = layout(raw, masked, default_separator)
    entity = _QUOTE_ENTITIES.get(quote, "&quot;")
    wanted = [(n.replace(quote, entity), v.replace(quote, entity)) for n, v in wanted]
    replace = set(replace)
    present = {p.name: p for p in reversed(shape.params)}  # the first of repeated names wins
    splices: list[tuple[int, int, int, str]] = []  # start, order, end, text
    missing: list[tuple[str, str]] = []
    for name, value in wanted:
        param = present.get(name)
        if param is None:
            missing.append((name, value))
        elif name in replace and param.value != html.unescape(value):
            if param.value_start == param.end and raw[param.start : param.end].find("=") < 0:
                splices.append((param.end, 0, param.end, f"={value}"))
            else:
                splices.append((param.value_start, 0, param.end, value))
    if missing:
        if shape.query_start < 0:
            text = "?" + "".join(
                (_separator(shape.separator, n) if i else "") + f"{n}={v}"
                for i, (n, v) in enumerate(missing)
            )
        else:
            query = raw[shape.query_start : shape.query_end]
            needs_first = bool(query) and not _ends_with_separator(query)
            text = "".join(
                (_separator(shape.separator, n) if i or needs_first else "") + f"{n}={v}"
                for i, (n, v) in enumerate(missing)
            )
        splices.append((shape.query_end, 1, shape.query_end, text))
    out = raw
    # Right to left, so offsets stay valid; at one offset the appended text goes last.
    for start, _, end, text in sorted(splices, reverse=True):
        out = out[:start] + text + out[end:]
    return out


_QUOTE_ENTITIES = {'"': "&quot;", "'": "&#39;"}


def _ends_with_separator(query: str) -> bool:
    return any(m.end() == len(query) for m in _SEPARATOR.finditer(query))


# A repository repeats its URLs (footers, social links, a layout's links in every email), and
# rules, IDs and the map ask for the same URL's parameters several times per link: the two
# functions below are cached per process.
_CACHED = 8192


def params_of(url: str, shape: QueryLayout | None = None) -> list[tuple[str, str]]:
    """Decoded query parameters of a URL (its query, or one pushed behind `#`); `shape` is
    `layout(url)` when the caller has it already."""
    if shape is not None:
        return [(p.name, p.value) for p in shape.params]
    return list(_params_of(url))


@functools.lru_cache(maxsize=_CACHED)
def _params_of(url: str) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, p.value) for p in layout(url).params)


def without_params(url: str, drop: Iterable[str], shape: QueryLayout | None = None) -> str:
    """A decoded URL with the named parameters removed, the rest kept in order. The query is
    always rebuilt, also when nothing is dropped: `set_params` appends after a dangling `&` or
    `?`, so `x?a=1&` and `x?a=1&utm_medium=email` must both give `x?a=1`. `shape` is
    `layout(url)` when the caller has it already."""
    if shape is not None:
        return _rebuilt(url, shape, frozenset(drop))
    return _without_params(url, frozenset(drop))


@functools.lru_cache(maxsize=_CACHED)
def _without_params(url: str, drop: frozenset[str]) -> str:
    return _rebuilt(url, layout(url), drop)


def _rebuilt(url: str, shape: QueryLayout, drop: frozenset[str]) -> str:
    if shape.query_start < 0:
        return url
    kept = [url[p.start : p.end] for p in shape.params if p.name not in drop]
    query = "?" + "&".join(kept) if kept else ""
    return url[: shape.query_start - 1] + query + url[shape.query_end :]
