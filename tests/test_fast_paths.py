"""The scanner's and the masker's shortcuts give what the general path gives: the same spans,
links and errors for any input, so a template is masked and scanned the same either way."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctamap import classify, instrument, source, urls
from ctamap import scan as scan_module
from ctamap.scan import scan

_NEVER = re.compile(r"(?!)")


def _by_lexer(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """`_jinja_spans` with every tag read by jinja2's lexer (no shortcut), or the problem."""
    with monkeypatch.context() as patched:
        patched.setattr(source, "_SIMPLE_TAG", _NEVER)
        patched.setattr(source, "_tight_end", lambda lexable, start: 0)
        return _spans(text)


def _spans(text: str) -> object:
    try:
        return source._jinja_spans(text)
    except source.TemplateSyntaxProblem as problem:
        return problem.message, problem.offset


CASES = [
    "<p>{{ name }}</p>",
    "{{name}}{{ a.b.c }} {{a .b}}",
    "{% if x %}<a href='{{ url }}'>x</a>{% endif %}",
    "{% for item in items %}{{ item.url }}{% endfor %}",
    "{%- if x -%}\n\n  {{ y }}  {%- endif %}",
    "{% if x -%}   \n",
    "{{ x -}}\n\n<p>",
    "{% raw %}{{ not a tag }}{% endraw %}",
    "{% set x = 1 %}{{ x }}",
    '{{ "}}" }} {{ {"a": 1} }}',
    "{# a comment #}{#- trimmed -#}  x",
    "{% comment %}{{ x }}{% endcomment %}",
    "{% if x %}never closed",
    "{% endif %}",
    "{{ unclosed",
    "{% if a %}{% for b in c %}{% endif %}",
    "{{ a }}}",
    "{{{ a }}}",
    "{% cell %}{% line %}",
    "{%+ if x %}{% endif +%}",
    "{{ a\r\n}}",
]


@pytest.mark.parametrize("text", CASES)
def test_simple_tags_are_read_as_the_lexer_reads_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _spans(text) == _by_lexer(text, monkeypatch)


_PIECES = st.sampled_from(
    ["{{", "}}", "{%", "%}", "{#", "#}", "-", " ", "\n", "x", "a.b", "if", "endif", "for", "in",
     "raw", "endraw", "=", '"', "'", "1", "<p>", "{", "}", "%", "\t", "set"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_any_tag_soup_is_read_as_the_lexer_reads_it(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _spans(text) == _by_lexer(text, monkeypatch)


_HTML_PIECES = st.sampled_from(
    ["<a href=\"https://example.com/x\">", "</a>", "</A >", "<A HREF='#'>", "<a>", "text",
     "\n", "<img src=x data-ctamap-pixel=\"1\">", "<body>", "</body>", "<BODY class=x>",
     "</Body>", "<style>", "</style>", "<STYLE>a</Style >", "<!-- c -->", "<!--[if mso]>",
     "<![endif]-->", "<v:roundrect href=\"https://e.com/v\">", "</v:roundrect>", "<mj-body>",
     "</mj-body>", "<title>x</title>", "<a href=u/>", "\u0130", "\u212a", "<a\xa0href=y>",
     "<body data-ctamap-pixel=\"off\">", "DATA-CTAMAP-PIXEL"]
)  # fmt: skip


def _found(text: str) -> object:
    found = scan(source.from_text(text, "t.html"))
    links = [(k.tag, k.start, k.line, k.column, k.end, k.href, k.content) for k in found.links]
    return links, found.body_open_end, found.body_close, found.pixels, found.pixel_off


# Every tag the scanner knows, closing tags and `<img>` included: what it tokenized before
# it learnt to skip those that cannot matter.
_EVERY_TAG = re.compile(
    scan_module._TOKEN_PATTERN.replace("{img}", "|img").replace(
        "(?P<close>/(?=(?:mj-)?body[\\s/>\\ue000]))?", "(?P<close>/?)"
    ),
    re.S | re.X | re.I,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_HTML_PIECES, max_size=30).map("".join))
def test_skipping_tags_that_cannot_matter_finds_the_same(text: str) -> None:
    assert "(?P<close>/?)" in _EVERY_TAG.pattern
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(scan_module, "_TOKEN", _EVERY_TAG)
        monkeypatch.setattr(scan_module, "_TOKEN_WITH_IMG", _EVERY_TAG)
        every = _found(text)
    assert _found(text) == every


@settings(max_examples=300, deadline=None)
@given(st.lists(_HTML_PIECES, max_size=30).map("".join))
def test_positions_are_those_of_the_line_table(text: str) -> None:
    src = source.from_text(text, "t.html")
    for link in scan(src).links:
        assert (link.line, link.column) == src.position(link.start)


_WORDING = st.sampled_from(
    ["unsub", "UnSub", "scribe", "opt", "-", "_", " ", "out", "remove", "me", "preference",
     "update", "profile", "email", "settings", "manage", "your", "subscription", "view",
     "VIEW", "in", "browser", "online", "as a web page", "web", "version", "archive", "x",
     "\u0130", "\u0131", "\u017f", "\u212a", "v\u0131ew", "un\u017fub", "/", "?", "="]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDING, max_size=12).map("".join))
def test_the_wording_hints_never_hide_a_match(text: str) -> None:
    """Whatever the unsubscribe/preferences/view-online regexes find, the substring test
    that spares them lets through (in any case, with the letters a regex folds to ASCII)."""
    if classify._WORDED.search(text):
        assert classify._may_be_worded(text)


@pytest.mark.parametrize(
    "text",
    ["Unsubscribe", "OPT-OUT", "optout", "Remove me", "preferences", "update_profile",
     "Email Settings", "manage your subscription", "manage email", "View in browser",
     "view this email online", "view as a web page", "web-version", "view_email", "Archive",
     "un\u017fubscribe", "V\u0131ew online", "View \u0130n browser", "WEB VERSION"],
)  # fmt: skip
def test_each_wording_passes_the_hints(text: str) -> None:
    assert classify._WORDED.search(text)  # each is a wording the regexes know
    assert classify._may_be_worded(text)
    assert classify._may_be_worded(f"https://example.com/{text}?a=1")


_URL_PIECES = st.sampled_from(
    ["https://e.com/p", "?", "&", "&amp;", "&#38;", "&#x26;", "&am", "&#3", "=", "a", "b=1",
     "utm_source=x", "%20", "+", "#", "&#35;", ";", "{{ v }}", "/", "ref=digest", "&lt;"]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(
    st.lists(_URL_PIECES, max_size=10).map("".join),
    st.sampled_from(["&", "?", "", "#", "&amp;"]),
    st.lists(_URL_PIECES, max_size=6).map("".join),
)
def test_a_destinations_parameters_read_off_its_tracked_url_are_its_own(
    url: str, joint: str, rest: str
) -> None:
    """A re-run reads the authored URL's parameters off the tracked URL's parse when the
    tracked URL only appends to it: whenever that shortcut answers, it equals parsing `url`."""
    tracked = url + joint + rest
    leading = instrument._leading_params(url, tracked, urls.layout(tracked))
    if leading is not None:
        assert leading == set(urls.params_of(url))


def test_the_shortcut_answers_for_the_urls_ctamap_writes() -> None:
    url = "https://www.example.com/p/7?ref=digest&amp=1"
    tracked = f"{url}&utm_source=newsletter&utm_medium=email&cta_id=digest.shop-now-7"
    assert instrument._leading_params(url, tracked, urls.layout(tracked)) == {
        ("ref", "digest"),
        ("amp", "1"),
    }
    bare = "https://www.example.com/p/7"
    assert (
        instrument._leading_params(
            bare, f"{bare}?utm_source=x", urls.layout(f"{bare}?utm_source=x")
        )
        == set()
    )
