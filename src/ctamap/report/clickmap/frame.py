"""One email as the click map shows it: a *copy* of its template source with the template tags
made readable, parsed with BeautifulSoup (lxml), made inert and decorated with each link's
figures. The result is the `srcdoc` of a sandboxed frame; the source file is never written.

Inert means: no script, no event handler, no `javascript:` or any other navigation (every
`href` is removed, the link stays focusable), nothing fetched (remote images become boxes
with their `alt` text unless `--load-images`, CSS `url()`s and `@import`s are removed).
The page's Content-Security-Policy and the frame's sandbox stand behind this, not instead.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ctamap.report.clickmap import compose, placeholders
from ctamap.report.clickmap.emails import LinkView, Part
from ctamap.report.clickmap.style import Heat, badge_text, frame_css, heat_of, pct

REF = "data-ctamap-ref"

#: Elements that fetch, run or navigate by themselves: removed with their content.
_DROPPED = frozenset(
    {
        "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link",
        "portal", "fencedframe", "animate", "set", "animatemotion", "animatetransform",
        "audio", "video", "track", "source", "param",
    }
)  # fmt: skip
#: Attributes whose value is a URL the browser would load or navigate to.
_URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "srcset", "action", "formaction", "background", "poster", "data",
        "codebase", "archive", "lowsrc", "dynsrc", "ping", "longdesc", "manifest", "cite",
        "xlink:href", "srcdoc", "imagesrcset", "attributionsrc",
    }
)  # fmt: skip
_RAW_TEXT = re.compile(r"<(style|script|title|textarea|xmp)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.I | re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.I)
_CSS_FUNCTIONS = re.compile(r"\b(?:image-set|-webkit-image-set|expression)\s*\(", re.I)
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px|%)?\s*$", re.I)


@dataclass(frozen=True)
class FrameOptions:
    """How emails are shown: images loaded or not, the page's CSP repeated in each frame."""

    load_images: bool
    csp: str


def _unescape_css(css: str) -> str:
    """CSS escapes decoded (`\\75rl(` is `url(`), so that no escaped URL slips through."""

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(one, css) if "\\" in css else css


def _allowed_image(url: str, load_images: bool) -> bool:
    url = url.strip().lower()
    return url.startswith("data:image/") or (load_images and url.startswith("https://"))


def clean_css(css: str, load_images: bool) -> str:
    """CSS that fetches nothing: `@import`s dropped, `url()`s removed unless allowed."""
    css = _CSS_IMPORT.sub("", _unescape_css(css))
    css = _CSS_URL.sub(
        lambda m: m.group(0) if _allowed_image(m.group(2), load_images) else "none", css
    )
    return _CSS_FUNCTIONS.sub("ctamap-removed(", css)


def _in_tag(masked: str, offset: int) -> bool:
    return masked.rfind("<", 0, offset) > masked.rfind(">", 0, offset)


def _placeholder_markup(
    replacement: placeholders.Replacement, in_tag: bool, raw_text: bool, original: str
) -> str:
    tag = replacement.tag
    if tag is None:
        return ""
    if in_tag:
        value = replacement.value if replacement.value is not None else tag.path or tag.label
        return html.escape(value.replace(" ", ""), quote=True)
    if raw_text:
        return html.escape(replacement.value if replacement.value is not None else tag.label)
    if replacement.value is not None:
        return html.escape(replacement.value)
    return (
        f'<span class="ctamap-ph" title="{html.escape(original, quote=True)}">'
        f"{html.escape(tag.label)}</span>"
    )


def _raw_regions(masked: str) -> list[tuple[int, int]]:
    return [m.span() for m in _RAW_TEXT.finditer(masked)]


def _inside(regions: list[tuple[int, int]], offset: int) -> bool:
    return any(start < offset < end for start, end in regions)


_PLACEHOLDER = re.compile(r'<span class="ctamap-ph" title="[^"]*">([^<]*)</span>')


def _attribute_text(markup: str) -> str:
    """Composed markup made fit for an attribute value: placeholders as their labels, any
    other tag dropped, quotes escaped (a block inside `<body class="…">`)."""
    text = re.sub(r"<[^>]*>", "", _PLACEHOLDER.sub(r"\1", markup))
    return text.replace('"', "&quot;").replace("'", "&#x27;")


def _plain_in_raw_text(copy: str) -> str:
    """A block or partial composed into a layout's `<title>` (or other raw text) shows its
    placeholders as plain labels there: raw text holds no markup."""

    def plain(region: re.Match[str]) -> str:
        return _PLACEHOLDER.sub(r"\1", region.group(0))

    return _RAW_TEXT.sub(plain, copy) if "ctamap-ph" in copy else copy


def _splice(text: str, edits: list[tuple[int, int, str]], escape_gaps: bool) -> str:
    """`text` with each (start, end, new) edit applied; zero-width inserts at an offset go
    before a replacement starting there, and are never lost inside a replaced span."""
    edits = sorted(edits, key=lambda e: (e[0], e[1] > e[0]))
    gap = html.escape if escape_gaps else str
    out: list[str] = []
    cursor = 0
    for start, end, new in edits:
        if start < cursor:
            if start == end:  # an insert inside a replaced span: keep it, just after
                out.append(new)
            continue
        out.append(gap(text[cursor:start]))
        out.append(new)
        cursor = end
    out.append(gap(text[cursor:]))
    return "".join(out).removeprefix("\ufeff")


def _tag_edits(
    part: Part,
    values: Mapping[str, Any],
    is_html: bool,
    shape: Mapping[int, tuple[int, str, str]] | None = None,
) -> list[tuple[int, int, str]]:
    """What each template tag becomes; a tag in `shape` (see `compose.structure`) becomes a
    composition token that still knows its plain rendering."""
    source = part.source
    assert source is not None
    text, masked = source.text, source.masked
    regions = _raw_regions(masked) if is_html else []
    shape = shape or {}
    edits: list[tuple[int, int, str]] = []
    for replacement in placeholders.replacements(text, source.spans, values):
        span = replacement.span
        in_tag = is_html and _in_tag(masked, span.start)
        markup = _placeholder_markup(
            replacement,
            in_tag,
            is_html and _inside(regions, span.start),
            text[span.start : span.end],
        )
        if span.start in shape:
            _, op, arg = shape[span.start]
            markup = compose.token(op + (compose.IN_TAG if in_tag else ""), arg, markup)
        edits.append((span.start, span.end, markup))
    spans = {span.start for span in source.spans}
    for start, (end, op, arg) in shape.items():
        if start not in spans:  # an element (`<mj-include>`), shown as written when not composed
            edits.append((start, end, compose.token(op, arg, text[start:end])))
    return edits


def html_copy(
    part: Part, values: Mapping[str, Any], index: int = 0, compose_tags: bool = False
) -> str:
    """The template text with placeholders for its tags and a ref (`index.link`) on each
    link's start tag; with `compose_tags`, tokens where layouts and partials go.

    Everything is spliced into a copy of the source string (offsets from ctamap's scan), so
    the tree parsed from it has exactly the links the link map knows, marked."""
    assert part.source is not None
    text = part.source.text
    shape = compose.structure(part) if compose_tags else None
    edits = _tag_edits(part, values, is_html=True, shape=shape)
    for ref, link in enumerate(part.links):
        for start, tag in link.occurrences:
            at = start + 1 + len(tag)
            if text[start + 1 : at].lower() == tag:
                edits.append((at, at, f' {REF}="{index}.{ref}"'))
    return _splice(text, edits, escape_gaps=False)


def text_body(
    part: Part, values: Mapping[str, Any], index: int = 0, compose_tags: bool = False
) -> str:
    """A text template as HTML text: escaped, each URL a marked link (ref `index.link`); with
    `compose_tags`, tokens where text layouts and partials go."""
    assert part.source is not None
    shape = compose.structure(part) if compose_tags else None
    edits = _tag_edits(part, values, is_html=False, shape=shape)
    for ref, link in enumerate(part.links):
        for (start, _), end in zip(link.occurrences, link.ends, strict=False):
            edits.append((start, start, f'<a {REF}="{index}.{ref}">'))
            edits.append((end, end, "</a>"))
    return _splice(part.source.text, edits, escape_gaps=True)


def text_document(body: str) -> str:
    """A text version's (composed) body as the frame's document: in a `<pre>`."""
    return (
        '<!DOCTYPE html><html><head></head><body><pre class="ctamap-text">'
        f"{body}</pre></body></html>"
    )


def text_copy(part: Part, values: Mapping[str, Any]) -> str:
    """A text template as HTML: escaped text in a `<pre>`, each URL a marked link."""
    return text_document(text_body(part, values))


def _length(value: str | None) -> str | None:
    if value is None:
        return None
    match = _LENGTH.match(value)
    if not match:
        return None
    return match.group(1) + (match.group(2) or "px")


def _image_box(soup: Any, img: Any) -> Any:
    """The box an image would fill, with its `alt` text: same size, same classes and style."""
    box = soup.new_tag("span")
    width, height = _length(img.get("width")), _length(img.get("height"))
    style = [str(img.get("style") or "")]
    if width:
        style.append(f"width:{width}")
    if height:
        style.append(f"height:{height}")
    box["class"] = ["ctamap-img", *(img.get("class") or [])]
    box["style"] = clean_css(";".join(s for s in style if s), False)
    box["role"] = "img"
    alt = str(img.get("alt") or "")
    box["aria-label"] = alt or "image"
    box["title"] = "remote image not loaded" + (f": {alt}" if alt else "")
    box.string = alt or "image"
    return box


def _is_pixel(img: Any) -> bool:
    return img.has_attr("data-ctamap-pixel") or (
        str(img.get("width", "")).strip() in ("0", "1")
        and str(img.get("height", "")).strip() in ("0", "1")
    )


def make_inert(soup: Any, load_images: bool) -> None:
    """Remove everything that could run, fetch or navigate (see the module docstring)."""
    for element in soup.find_all(list(_DROPPED)):
        element.decompose()
    for element in soup.find_all("meta"):
        if element.has_attr("http-equiv") or element.has_attr("content"):
            element.decompose()
    for img in soup.find_all("img"):
        src = str(img.get("src") or "")
        if _is_pixel(img):
            img.decompose()
        elif not _allowed_image(src, load_images):
            img.replace_with(_image_box(soup, img))
        else:
            for name in list(img.attrs):
                if name.lower() != "src" and name.lower() in _URL_ATTRIBUTES:
                    del img[name]
    for element in soup.find_all(True):
        for name in list(element.attrs):
            lowered = name.lower()
            if lowered.startswith("on") or (
                lowered in _URL_ATTRIBUTES and not (element.name == "img" and lowered == "src")
            ):
                del element[name]
            elif lowered == "style":
                element[name] = clean_css(str(element[name]), load_images)
            elif lowered in ("target", "download", "http-equiv", "formtarget"):
                del element[name]
    for style in soup.find_all("style"):
        css = style.string or style.get_text()
        style.string = clean_css(css, load_images)
    for textarea in soup.find_all(["input", "button", "select", "textarea"]):
        textarea["disabled"] = ""


def _tip(soup: Any, link: LinkView, written_in: str | None) -> Any:
    tip = soup.new_tag("span")
    tip["class"] = "ctamap-tip"
    tip["role"] = "tooltip"
    rows: list[tuple[str, str]] = [("ID", link.id or "not in the link map")]
    rows.append(("URL", link.url or "(none)"))
    if written_in is not None:  # a layout's or partial's link, with this email's figures
        rows.append(("from", written_in))
    figures = link.figures
    if figures is not None:
        rows.append(("clicks", f"{figures.total_clicks:,} ({figures.unique_clicks:,} unique)"))
        rows.append(("share", pct(figures.click_share)))
        rows.append(("CTR", pct(figures.ctr)))
        rows.append(("CTOR", pct(figures.ctor)))
    elif link.id is not None:
        rows.append(("clicks", "0"))
    rows.append(("kind", f"{link.kind or '?'} · {link.role or '?'}"))
    if not link.tracked:
        rows.append(("tracking", "untracked"))
    for label, value in rows:
        line = soup.new_tag("span")
        line["class"] = "ctamap-tip-row"
        name = soup.new_tag("b")
        name.string = label
        line.append(name)
        line.append(" " + value)
        tip.append(line)
    return tip


def _decorate(soup: Any, links: Mapping[str, tuple[LinkView, str | None]]) -> None:
    for element in soup.find_all(attrs={REF: True}):
        marked = links.get(str(element[REF]))
        if marked is None:
            continue
        link, written_in = marked
        heat: Heat = heat_of(link)
        classes = [*(element.get("class") or []), "ctamap-link", f"ctamap-{heat.name}"]
        element["class"] = classes
        element["data-ctamap-id"] = link.id or ""
        element["data-ctamap-state"] = heat.name
        if element.name == "area":
            continue  # no children: its figures are in the table beside the email
        element["tabindex"] = "0"
        badge = soup.new_tag("span")
        badge["class"] = ["ctamap-badge", f"ctamap-{heat.name}"]
        badge["aria-hidden"] = "true"
        badge.string = badge_text(link)
        element.insert(0, badge)
        element.append(_tip(soup, link, written_in))


def _head(soup: Any) -> Any:
    head = soup.find("head")
    if head is None:
        head = soup.new_tag("head")
        root = soup.find("html")
        if root is None:
            root = soup.new_tag("html")
            for child in list(soup.contents):
                root.append(child.extract())
            soup.append(root)
        root.insert(0, head)
    return head


@dataclass(frozen=True)
class Framed:
    """One frame's document, and the layouts it should have held but could not place."""

    document: str
    unplaced: tuple[Part, ...] = ()


def _copy(
    part: Part, values: Mapping[str, Any]
) -> tuple[str, dict[str, tuple[LinkView, str | None]], tuple[Part, ...]]:
    """The part's copy (composed with its layouts and partials), its links by ref with the
    layout or partial each is written in (None: the email's own), and the layouts and
    partials that found no place in it."""
    own = part.template if part.apart else None
    members = [part, *(used for used in part.uses if used.source is not None)]
    if len(members) == 1:
        marked = {f"0.{i}": (link, own) for i, link in enumerate(part.links)}
        copy = text_copy(part, values) if part.is_text else html_copy(part, values)
        return copy, marked, ()
    if part.is_text:  # a text version in its text layout: text composed, then one `<pre>`
        copies = {
            member.template: text_body(member, values, index, compose_tags=True)
            for index, member in enumerate(members)
        }
        composer = compose.Composer(copies)
        copy = text_document(composer.compose(part.template))
    else:
        copies = {
            member.template: html_copy(member, values, index, compose_tags=True)
            for index, member in enumerate(members)
        }
        composer = compose.Composer(copies, plain=_attribute_text)
        copy = _plain_in_raw_text(composer.compose(part.template))
    links = {
        f"{index}.{i}": (link, member.template if index else None)
        for index, member in enumerate(members)
        for i, link in enumerate(member.links)
    }
    unplaced = tuple(m for m in members[1:] if m.template not in composer.placed)
    return copy, links, unplaced


def frame_document(part: Part, values: Mapping[str, Any], options: FrameOptions) -> Framed:
    """The full HTML document shown in one email's sandboxed frame."""
    from bs4 import BeautifulSoup  # deferred: only `report --html` parses templates into trees

    copy, links, unplaced = _copy(part, values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(copy, "lxml")
    make_inert(soup, options.load_images)
    _decorate(soup, links)
    head = _head(soup)
    policy = soup.new_tag("meta")
    policy["http-equiv"] = "Content-Security-Policy"
    policy["content"] = options.csp
    head.insert(0, policy)
    charset = soup.new_tag("meta")
    charset["charset"] = "utf-8"
    head.insert(0, charset)
    style = soup.new_tag("style")
    style.string = frame_css()
    head.append(style)
    return Framed(str(soup), unplaced)
