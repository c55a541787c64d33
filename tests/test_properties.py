"""Properties of `instrument` over every real template of the corpus and over generated ones.

The checks here do not reuse ctamap's scanner: they find href values with their own small regex
and require everything else — every byte outside those values, bar the one pixel after `<body>` —
to be identical. Instrumenting twice must equal once; text templates never change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctamap.config import Config, from_mapping
from ctamap.errors import InputError
from ctamap.workspace import instrument, open_workspace

from .conftest import CORPUS, needs_corpus

# Placeholders too: filled per template, they must not break byte preservation or idempotence.
PIXEL_URL = "https://t.example.com/o.gif?m={{ message_id }}&t={template}&c={campaign}"
CONFIG: dict[str, Any] = {
    "first_party_domains": [
        "example.com",
        "sendwithus.com",
        "mailgun.com",
        "postmarkapp.com",
        "yoursitename.com",
    ],
    "campaign": "props",
    "pixel": {"url": PIXEL_URL},
}
CONFIG_TOML = """\
first_party_domains = ["example.com", "sendwithus.com", "mailgun.com", "postmarkapp.com",
  "yoursitename.com"]
campaign = "props"
[pixel]
url = "https://t.example.com/o.gif?m={{ message_id }}&t={template}&c={campaign}"
"""
MAP_NAME = "ctamap.linkmap.json"


# -- An independent reading of what may change ---------------------------------------------------

# An href attribute value with its quotes (attribute names like `xlink:href` or `data-href` are
# not matched, so they must not change at all).
_HREF = re.compile(rb"""(?<![\w:.-])href\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""", re.I)
_PIXEL = re.compile(rb"<img\b[^>]*\bdata-ctamap-pixel\b[^>]*>")
_BODY = re.compile(rb"<body\b[^>]*>", re.I)
_TEMPLATE_TAG = re.compile(rb"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_CHAR_REF = re.compile(rb"&#(?!0*35;|x0*23;)(?:x[0-9a-f]+|[0-9]+);", re.I)
_HTML_COMMENT = re.compile(rb"<!--(?!\[if|>).*?-->", re.S)


def _hrefs(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """The text between href values, and the values themselves (quotes included)."""
    pieces: list[bytes] = []
    values: list[bytes] = []
    cursor = 0
    for match in _HREF.finditer(data):
        pieces.append(data[cursor : match.start(1)])
        values.append(match.group(1))
        cursor = match.end(1)
    pieces.append(data[cursor:])
    return pieces, values


def _without_new_pixel(before: bytes, after: bytes) -> bytes:
    """`after` with the pixel ctamap inserted taken out; asserts it is where the design says."""
    had_pixel = _PIXEL.search(before) is not None
    body = _BODY.search(before)
    added = len(_PIXEL.findall(after)) - len(_PIXEL.findall(before))
    if had_pixel or body is None:
        assert added == 0, "a pixel was inserted into a partial or a document that had one"
        return after
    assert added == 1, f"expected exactly one new pixel, found {added}"
    out_body = _BODY.search(after)
    assert out_body is not None
    pixel = _PIXEL.match(after, out_body.end())
    assert pixel is not None, "the pixel is not right after <body …>"
    return after[: pixel.start()] + after[pixel.end() :]


def _split_fragment(value: bytes) -> tuple[bytes, bytes]:
    """(before `#`, from `#`): the `#` of `&#38;` and of template tags (`{#…#}`) is not one."""
    hidden = _CHAR_REF.sub(lambda m: b"\0" * len(m.group()), value)
    hidden = _TEMPLATE_TAG.sub(lambda m: b"\0" * len(m.group()), hidden)
    at = hidden.find(b"#")
    return (value, b"") if at < 0 else (value[:at], value[at:])


def assert_surgical(before: bytes, after: bytes, *, append_only: bool = True) -> None:
    """`after` differs from `before` only inside href values and at one pixel after `<body>`."""
    rest = _without_new_pixel(before, after)
    pieces_before, values_before = _hrefs(before)
    pieces_after, values_after = _hrefs(rest)
    assert len(values_after) == len(values_before), "the number of href values changed"
    for i, (a, b) in enumerate(zip(pieces_before, pieces_after, strict=True)):
        assert a == b, f"bytes changed outside href values (piece {i}):\n{a[-300:]!r}\n{b[-300:]!r}"
    for old, new in zip(values_before, values_after, strict=True):
        if old == new:
            continue
        if old[:1] in (b'"', b"'"):
            assert new[:1] == old[:1] and new[-1:] == old[:1], f"quoting changed: {old!r} {new!r}"
            old_inner, new_inner = old[1:-1], new[1:-1]
        else:  # an unquoted value stays unquoted, or gains double quotes when it needs them
            quoted = new[:1] == b'"'
            new_inner = new[1:-1] if quoted else new
            old_inner = old
        if append_only:  # parameters are added before the fragment; nothing else moves
            head, fragment = _split_fragment(old_inner)
            assert new_inner.startswith(head), f"existing URL text changed: {old!r} -> {new!r}"
            assert new_inner.endswith(fragment), f"fragment not kept last: {old!r} -> {new!r}"
    # Template tags and HTML comments survive byte for byte, the same number of times.
    assert Counter(_TEMPLATE_TAG.findall(rest)) == Counter(_TEMPLATE_TAG.findall(before))
    assert Counter(_HTML_COMMENT.findall(rest)) == Counter(_HTML_COMMENT.findall(before))


def test_checker_catches_a_change_outside_hrefs() -> None:
    """The checker itself must be able to fail."""
    before = b'<body>\r\n<a href="https://example.com/a">A &amp; B</a></body>'
    good = before.replace(b'/a"', b'/a?x=1"').replace(
        b"<body>", b'<body><img src="p" data-ctamap-pixel="1" />'
    )
    assert_surgical(before, good)
    for bad in (
        good.replace(b"&amp; B", b"& B"),
        good.replace(b"\r\n", b"\n"),
        good.replace(b'href="', b"href='").replace(b'x=1"', b"x=1'"),
        before.replace(b'/a"', b'/a?x=1"'),  # no pixel in a full document
        good.replace(b"<body><img", b"<body>\n<img"),  # pixel not right after <body>
        good.replace(b"/a?x=1", b"/b?x=1"),  # existing URL text rewritten
    ):
        with pytest.raises(AssertionError):
            assert_surgical(before, bad)


# -- Running ctamap ------------------------------------------------------------------------------


def _config(root: Path, **overrides: Any) -> Config:
    return from_mapping({**CONFIG, **overrides}, origin="test", root=root)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _instrument_in_place(root: Path, target: Path) -> list[InputError]:
    """One library run over `target`, in place, link map at `root/ctamap.linkmap.json`."""
    workspace = open_workspace([target], _config(root))
    result = instrument(workspace)
    assert not result.errors, result.errors
    for error in workspace.errors:
        assert isinstance(error, InputError)
    return list(workspace.errors)


@dataclass(frozen=True)
class CorpusRuns:
    original: dict[str, bytes]
    once: dict[str, bytes]
    twice: dict[str, bytes]
    by_cli: dict[str, bytes]
    map_once: bytes
    map_twice: bytes
    map_by_cli: bytes
    errors: list[InputError]


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return [
        p.relative_to(CORPUS).as_posix()
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".txt")
    ]


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> CorpusRuns:
    """Instrument a copy of the corpus twice through the library, and once (from scratch, in
    another folder) through the installed command."""
    lib = tmp_path_factory.mktemp("lib")
    shutil.copytree(CORPUS, lib / "corpus")
    errors = _instrument_in_place(lib, lib / "corpus")
    once, map_once = _snapshot(lib / "corpus"), (lib / MAP_NAME).read_bytes()
    _instrument_in_place(lib, lib / "corpus")
    twice, map_twice = _snapshot(lib / "corpus"), (lib / MAP_NAME).read_bytes()

    cli = tmp_path_factory.mktemp("cli")
    shutil.copytree(CORPUS, cli / "corpus")
    (cli / "ctamap.toml").write_text(CONFIG_TOML, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI", "NO_COLOR")}
    done = subprocess.run(
        [sys.executable, "-m", "ctamap", "instrument", "corpus", "--config", "ctamap.toml"],
        cwd=cli,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == (2 if errors else 0), done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    return CorpusRuns(
        original=_snapshot(CORPUS),
        once=once,
        twice=twice,
        by_cli=_snapshot(cli / "corpus"),
        map_once=map_once,
        map_twice=map_twice,
        map_by_cli=(cli / MAP_NAME).read_bytes(),
        errors=errors,
    )


@needs_corpus
@pytest.mark.slow
@pytest.mark.parametrize("name", _corpus_files())
def test_corpus_file_is_edited_surgically_and_idempotently(
    corpus_runs: CorpusRuns, name: str
) -> None:
    before, once = corpus_runs.original[name], corpus_runs.once[name]
    if name.endswith(".txt"):
        assert once == before, "a text template was written"
    failed = [e for e in corpus_runs.errors if e.path is not None and e.path.endswith(name)]
    if failed:
        assert once == before, "a file that failed was modified"
    else:
        assert_surgical(before, once)
    assert corpus_runs.twice[name] == once, "instrumenting twice differs from once"
    assert corpus_runs.by_cli[name] == once, "the command and the library disagree"


@needs_corpus
@pytest.mark.slow
def test_corpus_link_map_is_idempotent_and_deterministic(corpus_runs: CorpusRuns) -> None:
    assert corpus_runs.map_twice == corpus_runs.map_once, "second run changed the link map"
    assert corpus_runs.map_by_cli == corpus_runs.map_once, "two runs from scratch differ"


@needs_corpus
@pytest.mark.slow
def test_corpus_does_something(corpus_runs: CorpusRuns) -> None:
    """Guards the properties above against passing vacuously."""
    changed = [n for n in corpus_runs.original if corpus_runs.once[n] != corpus_runs.original[n]]
    html = [n for n in corpus_runs.original if n.endswith(".html")]
    assert len(changed) > len(html) // 2
    assert corpus_runs.map_once.count(b'"tracked": true') > 100
    assert not corpus_runs.errors, [str(e) for e in corpus_runs.errors]


# -- Generated templates -------------------------------------------------------------------------

_SEPARATORS = st.sampled_from(["&amp;", "&", "&#38;"])
_PARAMS = st.sampled_from(
    [
        "plan=pro",
        "ref={{ r }}",
        "ref={{r}}",
        "utm_source=partner",
        "utm_campaign=Spring Sale",
        "copy=1",
        "reg=2",
        "q=a%20b",
        "flag",
        "x={% if a %}1{% endif %}",
    ]
)
_ORIGINS = st.sampled_from(
    [
        "https://example.com",
        "https://www.example.com",
        "http://news.example.com",
        "HTTPS://EXAMPLE.COM",
        "https://other.org",
        "https://bit.ly",
        "{{ base_url }}",
    ]
)
_PATHS = st.sampled_from(
    ["", "/", "/start", "/p/{{ id }}", "/{% if pro %}pro{% else %}free{% endif %}", "/a/b.html"]
)
_SPECIAL_URLS = st.sampled_from(
    [
        "",
        "#",
        "#top",
        "http://",
        "mailto:hi@example.com?subject=Hi&amp;body=x",
        "tel:+123",
        "{{ action_url }}",
        "{{action_url}}",
        "https://example.com/unsubscribe",
    ]
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(_SPECIAL_URLS)
    url = draw(_ORIGINS) + draw(_PATHS)
    params = draw(st.lists(_PARAMS, max_size=3))
    if params:
        url += "?"
        for i, param in enumerate(params):
            url += (draw(_SEPARATORS) if i else "") + param
        if draw(st.integers(0, 6)) == 0:
            url += draw(_SEPARATORS)  # a dangling separator
    if draw(st.booleans()):
        url += draw(st.sampled_from(["#section", "#", "#{{ anchor }}"]))
    return url


def _case(draw: st.DrawFn, name: str) -> str:
    return draw(st.sampled_from([name, name.upper()]))


@st.composite
def _href(draw: st.DrawFn, url: str) -> str:
    quote = draw(st.sampled_from(['"', "'", ""]))
    if quote == "" and (not url or re.search(r"[\s\"'=<>`]", url)):
        quote = '"'
    space = draw(st.sampled_from(["", " "]))
    return f"{_case(draw, 'href')}{space}={space}{quote}{url}{quote}"


_TEXTS = st.sampled_from(
    [
        "Get started",
        "Read more",
        "",
        '<img src="logo.png" alt="Logo">',
        "{{ cta_label }}",
        "Buy &amp; save",
        "Tom & Jerry",
        "<b>Now</b>",
        "Unsubscribe",
    ]
)
_EXTRA_ATTRS = st.sampled_from(
    [
        'class="btn"',
        "target=_blank",
        'style="background-color:#f00;padding:10px"',
        'data-ctamap="off"',
        "data-cta='hero'",
        'title="x > y"',
    ]
)


@st.composite
def _anchor(draw: st.DrawFn, url: str | None = None) -> str:
    url = draw(_urls()) if url is None else url
    attrs = [draw(_href(url)), *draw(st.lists(_EXTRA_ATTRS, max_size=2, unique=True))]
    attrs = draw(st.permutations(attrs))
    a = _case(draw, "a")
    return f"<{a} {' '.join(attrs)}>{draw(_TEXTS)}</{a}>"


@st.composite
def _vml_twin(draw: st.DrawFn) -> str:
    url = draw(_urls())
    q = draw(st.sampled_from(['"', "'"]))
    vml = (
        f'<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href={q}{url}{q} '
        'style="height:40px;width:200px;" arcsize="10%" fillcolor="#f00">'
        "<w:anchorlock/><center>Go</center></v:roundrect><![endif]-->"
    )
    return vml + draw(st.sampled_from(["", "\n", "<!--[if !mso]><!-->"])) + draw(_anchor(url))


_FILLER = st.sampled_from(
    [
        "Hello {{ name }},",
        "a < b and c > d",
        "&nbsp;&copy; 2024",
        "<p>Paragraph</p>",
        '<!-- a note: <a href="https://example.com/commented">x</a> -->',
        '{# <a href="https://example.com/in-comment">old</a> #}',
        "{% set x = 1 %}",
        "<table><tr><td>cell</td></tr></table>",
        "<link href=\"https://example.com/style.css\" rel='stylesheet'>",
        '<div style="background:url(https://example.com/bg.png)">bg</div>',
        "<a name=top></a>",
        '<area shape="rect" coords="0,0,1,1" href="https://example.com/area" alt="Area">',
        '<img src="https://t.example.com/old.gif" data-ctamap-pixel="1">',
    ]
)


@st.composite
def _blocks(draw: st.DrawFn, depth: int = 0) -> list[str]:
    choices = [_anchor(), _vml_twin(), _FILLER]
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 5 if depth < 2 else 4))
        if kind == 5:  # a block statement around more content
            inner = draw(_blocks(depth + 1))
            cond = draw(st.sampled_from(["{% if show %}", "{%- if show -%}", "{% for x in xs %}"]))
            end = (
                "{% endfor %}"
                if "for" in cond
                else draw(st.sampled_from(["{% endif %}", "{% else %}x{% endif %}"]))
            )
            parts.extend([cond, *inner, end])
        else:
            parts.append(draw(choices[min(kind, 2)]))
    return parts


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = draw(_blocks())
    shape = draw(st.sampled_from(["document", "partial", "child"]))
    if shape == "document":
        body_attrs = draw(st.sampled_from(["", ' class="b"', " style='margin:0'", " bgcolor=#fff"]))
        head = draw(
            st.sampled_from(
                ["", "<!DOCTYPE html>", '<html lang="en"><head><style>a{color:red}</style></head>']
            )
        )
        body = _case(draw, "body")
        parts = [head, f"<{body}{body_attrs}>", *parts, f"</{body}>"]
    elif shape == "child":
        parts = ['{% extends "base.html" %}', "{% block content %}", *parts, "{% endblock %}"]
    newline = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    text = ""
    for part in parts:
        sep = newline if newline != "mixed" else draw(st.sampled_from(["\n", "\r\n", ""]))
        text += part + sep
    return ("\ufeff" if draw(st.booleans()) else "") + text


def _run_twice(text: str) -> tuple[bytes, bytes, bytes, bytes, bytes]:
    """Instrument a generated template in place twice: (before, once, twice, map1, map2)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "email.html"
        before = text.encode("utf-8")
        path.write_bytes(before)
        outputs: list[bytes] = []
        for _ in range(2):
            workspace = open_workspace([path], _config(root))
            assert not workspace.errors, [str(e) for e in workspace.errors]
            assert not instrument(workspace).errors
            outputs += [path.read_bytes(), (root / MAP_NAME).read_bytes()]
        return before, outputs[0], outputs[2], outputs[1], outputs[3]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_templates_are_edited_surgically_and_idempotently(text: str) -> None:
    before, once, twice, map_once, map_twice = _run_twice(text)
    assert_surgical(before, once)
    assert twice == once, "instrumenting twice differs from once"
    assert map_twice == map_once, "second run changed the link map"
