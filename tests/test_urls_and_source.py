"""URL editing and template masking, unit by unit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ctamap.source import FILLER, from_text
from ctamap.urls import params_of, set_params, without_params

WANTED = [("utm_medium", "email"), ("cta_id", "w.go")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://e.com/a", "https://e.com/a?utm_medium=email&amp;cta_id=w.go"),
        (
            "https://e.com/a?x=1&amp;y=2",
            "https://e.com/a?x=1&amp;y=2&amp;utm_medium=email&amp;cta_id=w.go",
        ),
        ("https://e.com/a?x=1&y=2", "https://e.com/a?x=1&y=2&utm_medium=email&cta_id=w.go"),
        ("https://e.com/a#top", "https://e.com/a?utm_medium=email&amp;cta_id=w.go#top"),
        ("https://e.com/a?x=1&#38;y=2", "https://e.com/a?x=1&#38;y=2&utm_medium=email&cta_id=w.go"),
        ("https://e.com/a?utm_medium=print", "https://e.com/a?utm_medium=print&amp;cta_id=w.go"),
        ("https://e.com/a?cta_id=old", "https://e.com/a?cta_id=w.go&amp;utm_medium=email"),
        ("https://e.com/a?", "https://e.com/a?utm_medium=email&amp;cta_id=w.go"),
    ],
)
def test_set_params(raw: str, expected: str) -> None:
    assert set_params(raw, WANTED, replace={"cta_id"}) == expected
    assert set_params(expected, WANTED, replace={"cta_id"}) == expected  # nothing twice


def test_entity_risk_names_are_always_amp_escaped() -> None:
    out = set_params("https://e.com/?a=1&b=2", [("copy", "x"), ("zed", "y")])
    assert out == "https://e.com/?a=1&b=2&amp;copy=x&zed=y"


def test_template_expression_is_not_url_syntax() -> None:
    raw = "https://e.com/p?ref={{ a ? '#' : '&' }}"
    masked = "https://e.com/p?ref=" + FILLER * (len(raw) - 20)
    out = set_params(raw, WANTED, masked=masked, default_separator="&")
    assert out == raw + "&utm_medium=email&cta_id=w.go"


def test_params_and_without_params() -> None:
    url = "https://e.com/a?x=1&utm_source=n&cta_id=w.go#f"
    assert params_of(url) == [("x", "1"), ("utm_source", "n"), ("cta_id", "w.go")]
    assert without_params(url, {"utm_source", "cta_id"}) == "https://e.com/a?x=1#f"


@pytest.mark.parametrize(
    ("text", "syntax", "hidden"),
    [
        ("a {{ x }} b", "jinja", "{{ x }}"),
        ("a {# <a href='x'> #} b", "jinja", "{# <a href='x'> #}"),
        ("{% comment %}<a href='x'>{% endcomment %}", "jinja", "<a href='x'>"),
        ("{{#each xs}}<b>{{this}}</b>{{/each}}", "handlebars", "{{this}}"),
        ("*|FNAME|* x", "none", "*|FNAME|*"),
        (
            '%%=RedirectTo(concat("u?e=", %%email%%))=%% tail',
            "none",
            '%%=RedirectTo(concat("u?e=", %%email%%))=%%',
        ),
        ("%%[ SET @a = 1 ]%% x", "none", "%%[ SET @a = 1 ]%%"),
        ("[[var:name]] x", "none", "[[var:name]]"),
    ],
)
def test_masking_hides_template_syntax_with_same_length(
    text: str, syntax: str, hidden: str
) -> None:
    src = from_text(text, "t.html")
    assert src.syntax == syntax
    assert len(src.masked) == len(text)
    start = text.index(hidden)
    assert set(src.masked[start : start + len(hidden)]) == {FILLER}


def test_crlf_offsets_stay_exact() -> None:
    text = "a\r\n{{ x }}\r\n{% if y %}z{% endif %}"
    src = from_text(text, "t.html")
    assert src.masked.replace(FILLER, "") == "a\r\n\r\nz"
    assert src.position(text.index("z")) == (3, 11)


def test_tldextract_stays_offline_and_quiet() -> None:
    code = (
        "import socket\n"
        "def no(*a, **k): raise SystemExit('network used')\n"
        "socket.socket.connect = no\n"
        "from ctamap.classify import registrable_domain\n"
        "print(registrable_domain('news.example.co.uk'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "example.co.uk"
    assert out.stderr == ""


def test_explicit_template_syntax_wins_over_detection() -> None:
    text = '<a href="https://e.com/?q={{ x }}">{% if a %}x{% endif %}</a>'
    assert from_text(text, "t.html", syntax="auto").syntax == "jinja"
    assert from_text(text, "t.html", syntax="none").masked == text
    src = from_text("{{#each a}}{{/each}} {{ y }}", "t.html", syntax="mustache")
    assert src.syntax == "handlebars"


def test_tags_longer_than_the_lexing_window_are_whole() -> None:
    long_string = "x" * 5000
    raw = "<a href='https://e.com/{{ y }}'>" * 200
    text = f'{{{{ "{long_string}" }}}} {{% raw %}}{raw}{{% endraw %}} {{{{ z }}}}'
    src = from_text(text, "t.html")
    assert [text[s.start : s.end][:8] for s in src.spans] == [
        '{{ "xxxx', "{% raw %", "{% endra", "{{ z }}",
    ]  # fmt: skip
    assert src.masked[text.index(raw) : text.index(raw) + len(raw)] == raw  # raw is markup
