"""What each link means: visible text, kind, role, first-party or not, tracked or not.

Roles and kinds are decided by ordered registries of small tests, first match wins. VML buttons
and their `<a>` fallbacks are merged here into one CTA with two occurrences.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from ctamap.config import Config
from ctamap.platforms import is_platform
from ctamap.scan import Link, Scan, first_image, visible_text
from ctamap.source import FILLER

if TYPE_CHECKING:
    from ctamap.urls import QueryLayout

SHORTENERS = frozenset(
    {
        "bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
        "cutt.ly", "shorturl.at", "t.ly", "rb.gy", "tiny.cc", "bl.ink", "lnkd.in", "s.id",
        "shorte.st", "adf.ly", "bitly.com", "short.io", "soo.gd", "v.gd", "qr.ae", "wp.me",
    }
)  # fmt: skip

# Attributes by which an author or an ESP says "do not track this link".
_OPT_OUTS: tuple[Callable[[dict[str, str]], bool], ...] = (
    lambda a: a.get("data-ctamap", "").lower() == "off",
    lambda a: "data-ctamap-ignore" in a,
    lambda a: a.get("clicktracking", "").lower() == "off",
    lambda a: "data-pm-no-track" in a,
    lambda a: "ses:no-track" in a,
)

_UNSUBSCRIBE = re.compile(r"unsub|opt[-_ ]?out|\bunsubscribe\b|remove me", re.I)
_PREFERENCES = re.compile(
    r"preference|update[-_ ]?profile|email[-_ ]settings"
    r"|manage[-_ ]?(your[-_ ])?(subscription|email)",
    re.I,
)
_VIEW_ONLINE = re.compile(
    r"view[-_ ]?(it |this )?(email |message )?(in[-_ ]?(your[-_ ])?browser|online|as a web page)"
    r"|web[-_ ]?version|view_email|\barchive\b",
    re.I,
)
# Any of the three above (no back-references in them, so they combine as they are).
_WORDED = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_UNSUBSCRIBE, _PREFERENCES, _VIEW_ONLINE)), re.I
)
# A word every match of `_WORDED` holds, in the folded lowercase of `_may_be_worded`.
_WORDING_HINTS = (
    "unsub", "opt", "remove me", "preference", "update", "settings", "manage", "view", "web",
    "archive",
)  # fmt: skip
# The non-ASCII characters a case-insensitive regex matches to ASCII letters (U+0130 dotted
# capital I, U+0131 dotless i, U+017F long s, U+212A Kelvin sign): after these and `lower()`,
# a character is an ASCII letter exactly where the regex would match one.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _may_be_worded(text: str) -> bool:
    """False when `_WORDED` cannot match `text`."""
    folded = text.lower() if text.isascii() else text.translate(_FOLD).lower()
    return any(hint in folded for hint in _WORDING_HINTS)


_BUTTON_CLASS = re.compile(r"\b(btn|button|cta)", re.I)
_BUTTON_STYLE = re.compile(r"background(-color)?\s*:", re.I)
_BUTTON_SHAPE = re.compile(r"padding|inline-block|border-radius|display\s*:\s*block", re.I)
_PLACEHOLDERS = frozenset({"", "#", "#!", "http://", "https://", "http:", "https:", "about:blank"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)


@dataclass(frozen=True)  # not a NamedTuple: `query` is cached on the instance
class Cta:
    """A link with its meaning; a VML button and its `<a>` twin are one CTA, two occurrences."""

    occurrences: tuple[Link, ...]  # in document order
    text: str  # visible text (anchor text, image alt, VML text, text-template label)
    kind: str  # text | button | image | area | text-version
    role: str  # cta | unsubscribe | preferences | view-online | mailto | tel | sms | anchor |
    #            dynamic | placeholder | third-party | invalid | honeypot
    url: str  # destination as written, entities decoded, template tags verbatim
    host: str  # lowercased host, "" when there is none or it is a template expression
    first_party: bool
    shortener: bool
    opted_out: bool
    tracked: bool  # instrument adds UTM and the link ID to it
    explicit_id: str  # the `data-cta` value, "" when absent
    # The template expression standing for the scheme and host (`{{ base_url }}` in
    # `{{ base_url }}/pricing`, `{{ host }}` in `https://{{ host }}/x`), "" when none.
    host_expression: str = ""
    declared_host: bool = False  # `host` comes from `dynamic_hosts` for that expression
    # The scheme or host is (partly) a template expression and the URL is not one expression
    # as a whole: whose site it is cannot be told from the template (L010).
    templated_host: bool = False

    @property
    def link(self) -> Link:
        return self.occurrences[0]

    @functools.cached_property
    def query(self) -> QueryLayout:
        """The parameters of `url`, parsed once: the IDs and the plan read them several times,
        and a per-process cache of URLs cannot hold a big template's links."""
        from ctamap.urls import layout  # deferred: classifying needs no URL editing

        return layout(self.url)


class Template(NamedTuple):
    """One scanned and classified template."""

    scan: Scan
    ctas: tuple[Cta, ...]
    # VML buttons whose `<a>` fallback goes somewhere else (T004): (vml, a) pairs.
    mismatched_twins: tuple[tuple[Link, Link], ...] = ()

    @property
    def path(self) -> str:
        return self.scan.source.path

    @property
    def is_text(self) -> bool:
        return self.scan.source.is_text


@functools.lru_cache(maxsize=1)
def _extractor() -> Callable[[str], object]:
    import tldextract  # deferred: loading the suffix list costs tens of milliseconds

    # No suffix-list URLs and no cache: the snapshot bundled with tldextract, never the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """`news.example.co.uk` -> `example.co.uk`; the host itself when it has no public suffix."""
    result = _extractor()(host)
    domain = getattr(result, "top_domain_under_public_suffix", None)
    if domain is None:  # tldextract < 5.3
        domain = getattr(result, "registered_domain", "")
    return str(domain or host)


def _domains_of(host: str) -> list[str]:
    """`a.b.example.com` -> itself and every parent: `b.example.com`, `example.com`, `com`."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _tail(host: str) -> str:
    return ".".join(host.rsplit(".", 2)[-2:])


_HTTP = re.compile(r"(?i)https?://")
_AUTHORITY_END = re.compile(r"[/?#]")


def host_of(url: str) -> str:
    """Lowercased host of an absolute http(s) URL, "" when unknown or templated."""
    if (scheme := _HTTP.match(url)) is None:
        return ""
    # The host is read from the scheme and authority alone (what `urlsplit` reads it from),
    # so that every URL of a site shares one cached answer.
    end = _AUTHORITY_END.search(url, scheme.end())
    return _host_of_authority(url if end is None else url[: end.start()])


@functools.lru_cache(maxsize=1024)
def _host_of_authority(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return "" if FILLER in host else host.lower().rstrip(".")


class Classifier:
    """Classifies the links of many templates under one config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.shorteners = SHORTENERS | {d.lower() for d in config.shorteners}
        self._first_party: frozenset[str] | None = None
        self._written = frozenset(d.lower().strip(".") for d in config.first_party_domains)
        self._roles = self._role_tests()
        self._dynamic: dict[str, str] | None = None
        # Per host: a template's links go to a few sites, and so do a repository's.
        self._party_of: dict[str, bool] = {}
        self._shortener_of: dict[str, bool] = {}

    def first_party_domains(self) -> frozenset[str]:
        if self._first_party is None:
            self._first_party = frozenset(
                registrable_domain(d.lower().strip(".")) for d in self.config.first_party_domains
            )
        return self._first_party

    def is_first_party(self, host: str) -> bool:
        """Without `first_party_domains`, every domain but the well-known platforms (social,
        video, app stores, meetings) is first-party; with it, the domains it lists."""
        known = self._party_of.get(host)
        if known is None:
            known = self._party_of[host] = self._is_first_party(host)
        return known

    def is_shortener(self, host: str) -> bool:
        known = self._shortener_of.get(host)
        if known is None:
            known = self._shortener_of[host] = not self.shorteners.isdisjoint(_domains_of(host))
        return known

    def _is_first_party(self, host: str) -> bool:
        written = self.config.first_party_domains
        if not written:
            return not is_platform(host)
        # Suffix tests settle most hosts without loading the public-suffix list (~70 ms):
        # under a configured domain is first-party; a host whose last two labels no configured
        # domain shares cannot have the same registrable domain (it spans at least two labels).
        if not self._written.isdisjoint(_domains_of(host)):
            return True
        if not any(_tail(host) == _tail(d.lower()) for d in written):
            return False
        return registrable_domain(host) in self.first_party_domains()

    def classify(self, scan: Scan) -> Template:
        groups, mismatched = _pair_twins(scan.links)
        ctas = tuple(self._cta(scan, group) for group in groups)
        return Template(scan, ctas, tuple(mismatched))

    def _cta(self, scan: Scan, group: list[Link]) -> Cta:
        link = group[0]
        href = link.href
        masked_url = "" if href is None else scan.source.masked[href.value_start : href.value_end]
        url = link.url
        text = _text(group, scan.source.is_text)
        # The host is looked up in the masked URL, so that `https://{{ host }}/x` has none.
        decoded = html.unescape(masked_url) if "&" in masked_url else masked_url
        host = host_of(decoded) or _literal_parent(decoded)
        expression = "" if href is None else host_expression(href.value, masked_url)
        declared = self.dynamic_host(expression) if expression else ""
        if declared:
            host = declared
        attrs = dict(link.attrs)
        for occurrence in group[1:]:
            attrs.update({k: v for k, v in occurrence.attrs.items() if k not in attrs})
        facts = _Facts(link, url, masked_url, text, host, attrs, bool(declared))
        role = next(role for role, test in self._roles if test(facts))
        shortener = bool(host) and self.is_shortener(host)
        # A declared expression is first-party: that is what declaring it says.
        first_party = bool(declared) or (bool(host) and self.is_first_party(host))
        opted_out = any(test(attrs) for test in _OPT_OUTS)
        tracked = (
            role in ("cta", "honeypot")
            and first_party
            and not shortener
            and not opted_out
            and not scan.source.is_text
        )
        return Cta(
            occurrences=tuple(group),
            text=text,
            kind=next(kind for kind, test in _KIND_TESTS if test(group, scan.source.is_text)),
            role=role,
            url=url,
            host=host,
            first_party=first_party,
            shortener=shortener,
            opted_out=opted_out,
            tracked=tracked,
            explicit_id=attrs.get("data-cta", "").strip(),
            host_expression=expression,
            declared_host=bool(declared),
            templated_host=facts.templated_host and not facts.whole_expression,
        )

    def dynamic_host(self, expression: str) -> str:
        """The host `dynamic_hosts` gives a host expression, "" when it is not declared."""
        if self._dynamic is None:
            self._dynamic = {
                expression_name(k).lower(): v.lower() for k, v in self.config.dynamic_hosts.items()
            }
        return self._dynamic.get(expression_name(expression).lower(), "")

    def _role_tests(self) -> tuple[tuple[str, Callable[[_Facts], bool]], ...]:
        return (
            ("honeypot", lambda f: f.attrs.get("data-ctamap", "").lower() == "honeypot"),
            ("unsubscribe", lambda f: f.link.tag == "unsubscribe"),
            ("view-online", lambda f: f.link.tag == "webversion"),
            ("preferences", lambda f: f.link.tag == "preferences"),
            ("dynamic", lambda f: f.link.tag == "forwardtoafriend"),
            ("placeholder", lambda f: f.url.strip().lower() in _PLACEHOLDERS),
            ("anchor", lambda f: f.url.startswith("#")),
            ("mailto", lambda f: f.scheme == "mailto"),
            ("tel", lambda f: f.scheme in ("tel", "callto")),
            ("sms", lambda f: f.scheme in ("sms", "smsto")),
            ("unsubscribe", lambda f: f.worded and f.says(_UNSUBSCRIBE)),
            ("preferences", lambda f: f.worded and f.says(_PREFERENCES)),
            ("view-online", lambda f: f.worded and f.says(_VIEW_ONLINE)),
            ("dynamic", lambda f: f.whole_expression or (f.templated_host and not f.host)),
            ("invalid", lambda f: f.scheme not in ("http", "https") and not f.declared),
            ("third-party", lambda f: not (f.declared or self.is_first_party(f.host))),
            ("cta", lambda f: True),
        )


@dataclass(frozen=True)
class _Facts:
    """What the role tests look at."""

    link: Link
    url: str
    masked_url: str
    text: str
    host: str
    attrs: dict[str, str]
    declared: bool = False  # the host is a template expression `dynamic_hosts` declares

    def says(self, pattern: re.Pattern[str]) -> bool:
        """The destination or the visible text matches `pattern`."""
        return bool(pattern.search(self.url) or pattern.search(self.text))

    @functools.cached_property
    def worded(self) -> bool:
        """The destination or the text says unsubscribe, preferences or view online: most
        links say none, which a few substring tests tell for all three (the case-insensitive
        regex costs ~0.3 us per character of a tracked URL)."""
        return bool(
            (_may_be_worded(self.url) and _WORDED.search(self.url))
            or (_may_be_worded(self.text) and _WORDED.search(self.text))
        )

    @functools.cached_property
    def scheme(self) -> str:
        match = _SCHEME.match(self.masked_url.strip())
        return match.group(1).lower() if match else ""

    @property
    def whole_expression(self) -> bool:
        stripped = self.masked_url.strip()
        return bool(stripped) and set(stripped) == {FILLER}

    @property
    def templated_host(self) -> bool:
        """The scheme or host is a template expression: `{{ base_url }}/pricing`."""
        stripped = self.masked_url.strip()
        head = stripped.split("/", 3)[:3]
        return stripped.startswith(FILLER) or FILLER in "/".join(head)


# A host expression starts the URL (`{{ base_url }}/x`) or follows `scheme://` (`https://{{ h }}`).
_HOST_EXPRESSION = re.compile(rf"^\s*(?:[a-z][a-z0-9+.-]*://)?({FILLER}+)(?=[/?#])", re.I)
# Delimiters around an expression's name: `{{ x }}`, `{{{ x }}}`, `{{- x -}}`, `*|X|*`,
# `%%x%%`, `%%=v(@x)=%%`, `[[X]]`, `%recipient.x%`, `<%x%>`, Braze's `{{${x}}}`.
_DELIMITERS = re.compile(r"^(?:\{\{\{?-?|\*\||%%=?|\[\[|<%|%)|(?:-?\}?\}\}|\|\*|=?%%|\]\]|%>|%)$")

_BRAZE = re.compile(r"\{\{\s*\$\{\s*(.*?)\s*\}\s*\}\}")


# `https://{{ tenant }}.example.com/…`: the expression is a subdomain of a written domain.
_TEMPLATED_SUBDOMAIN = re.compile(
    rf"(?i)^\s*https?://{FILLER}+\.((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*)\.?(?=[:/?#]|$)"
)


def _literal_parent(masked_url: str) -> str:
    """The written domain under a templated subdomain (`example.com` of
    `https://{{ tenant }}.example.com/x`), "" when the host is not of that shape. Whose site
    it is, is decided on that domain like any other host."""
    match = _TEMPLATED_SUBDOMAIN.match(masked_url)
    return match.group(1).lower() if match else ""


def host_expression(raw: str, masked: str) -> str:
    """The template expression standing for the scheme and host of a URL followed by a path,
    query or fragment (`{{ base_url }}` of `{{ base_url }}/pricing`), "" when there is none."""
    match = _HOST_EXPRESSION.match(masked)
    return raw[match.start(1) : match.end(1)] if match else ""


def expression_name(expression: str) -> str:
    """What a host expression is called: `{{ base_url|safe }}` -> `base_url`,
    `*|SITE_URL|*` -> `SITE_URL`; a plain name is itself."""
    inner = expression.strip()
    if braze := _BRAZE.fullmatch(inner):
        return braze.group(1)
    inner = _DELIMITERS.sub("", inner).strip()
    if expression.lstrip().startswith("{"):
        inner = inner.split("|", 1)[0].strip()  # Jinja/Liquid filters are not the name
    return inner


def _is_image(group: list[Link], is_text: bool) -> bool:
    link = group[0]
    if link.tag in ("mj-image", "mj-carousel-image"):
        return True
    return (
        link.tag == "a" and "<img" in link.content_masked.lower() and not visible_text(link.content)
    )


def _is_button(group: list[Link], is_text: bool) -> bool:
    link = group[-1]
    if any(o.tag.startswith("v:") or o.tag == "mj-button" for o in group):
        return True
    style = link.attrs.get("style", "")
    return bool(
        _BUTTON_CLASS.search(link.attrs.get("class", ""))
        or link.attrs.get("role", "").lower() == "button"
        or (_BUTTON_STYLE.search(style) and _BUTTON_SHAPE.search(style))
    )


_KIND_TESTS: tuple[tuple[str, Callable[[list[Link], bool], bool]], ...] = (
    ("text-version", lambda group, is_text: is_text),
    ("area", lambda group, is_text: group[0].tag == "area"),
    ("image", _is_image),
    ("button", _is_button),
    ("text", lambda group, is_text: True),
)


def _text(group: list[Link], is_text: bool) -> str:
    """The CTA's name: anchor text, else image alt, else the VML text, else a label attribute."""
    for link in sorted(group, key=lambda o: o.tag.startswith("v:")):
        if is_text:
            return link.label
        text = visible_text(link.content)
        if text:
            return text
        image = first_image(link.content)
        if image and image.get("alt", "").strip():
            return image["alt"].strip()
        for name in ("alt", "title", "name", "aria-label"):
            if link.attrs.get(name, "").strip():
                return visible_text(link.attrs[name])
    return ""


def _pair_twins(links: tuple[Link, ...]) -> tuple[list[list[Link]], list[tuple[Link, Link]]]:
    """Group a VML shape with the `<a>` right beside it (inside it, or just after it)."""
    groups: list[list[Link]] = []
    mismatched: list[tuple[Link, Link]] = []
    index = 0
    while index < len(links):
        link = links[index]
        nxt = links[index + 1] if index + 1 < len(links) else None
        if (
            link.tag.startswith("v:")
            and nxt is not None
            and nxt.tag == "a"
            and nxt.start <= link.end + 600
        ):
            if nxt.url == link.url:
                groups.append([link, nxt])
                index += 2
                continue
            mismatched.append((link, nxt))
        groups.append([link])
        index += 1
    return groups, mismatched
