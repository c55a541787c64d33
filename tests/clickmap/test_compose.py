"""Composing an email from its layouts and partials, per template language, as the click map
shows it: the text a recipient gets, in order, and every composed link marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.clickmap import pageinfo
from tests.clickmap.conftest import instrument, report, write_events
from tests.conftest import FIXTURES

#: Case -> (files, the email, the text its frame must read in this order, its links' texts).
CASES: dict[str, tuple[dict[str, str], str, list[str], set[str]]] = {
    "jinja-three-levels-with-super": (
        {
            "base.html": "<html><head><title>{% block title %}Base{% endblock %}</title></head>"
            '<body><a href="https://www.example.com/">Home</a>'
            "{% block body %}<p>base body</p>{% endblock %}"
            "{% block footer %}<p>base footer</p>{% endblock %}</body></html>",
            "section.html": '{% extends "base.html" %}{% block body %}<p>section intro</p>'
            "{% block inner %}<p>section inner</p>{% endblock %}{% endblock %}"
            "{% block footer %}{{ super() }}<p>section footer</p>{% endblock %}",
            "email.html": '{% extends "section.html" %}{% block title %}Hello{% endblock %}'
            '{% block inner %}<a href="https://www.example.com/deal">Deal</a>{% endblock %}'
            "<p>outside every block: never sent</p>",
        },
        "email.html",
        ["Home", "section intro", "Deal", "base footer", "section footer"],
        {"Home", "Deal"},
    ),
    "django-block-super": (
        {
            "base.html": "<html><body>{% block content %}<p>default</p>{% endblock %}"
            '{% include "footer.html" %}</body></html>',
            "footer.html": '<a href="https://www.example.com/help">Help</a>',
            "email.html": '{% extends "base.html" %}{% block content %}{{ block.super }}'
            '<a href="https://www.example.com/go">Go</a>{% endblock content %}',
        },
        "email.html",
        ["default", "Go", "Help"],
        {"Go", "Help"},
    ),
    "handlebars-partial-block": (
        {
            "layouts/frame.hbs": '<html><body><a href="https://www.example.com/">Home</a>'
            "{{> @partial-block }}{{> footer }}</body></html>",
            "partials/footer.hbs": '<a href="https://www.example.com/help">Help</a>',
            "email.hbs": '{{#> layouts/frame }}<a href="https://www.example.com/go">Go</a>'
            "{{/layouts/frame}}",
        },
        "email.hbs",
        ["Home", "Go", "Help"],
        {"Home", "Go", "Help"},
    ),
    "liquid-layout-and-render": (
        {
            "layout/theme.liquid": '<html><body><a href="https://www.example.com/">Home</a>'
            "{{ content_for_layout }}</body></html>",
            "snippets/card.liquid": '<a href="https://www.example.com/card">Card</a>',
            "email.liquid": "{% layout 'theme' %}<p>Hi</p>{% render 'card' %}"
            '<a href="https://www.example.com/go">Go</a>',
        },
        "email.liquid",
        ["Home", "Hi", "Card", "Go"],
        {"Home", "Card", "Go"},
    ),
    "mjml-include": (
        {
            "header.mjml": '<mj-section><mj-column><mj-text><a href="https://www.example.com/">'
            "Home</a></mj-text></mj-column></mj-section>",
            "email.mjml": '<mjml><mj-body><mj-include path="./header.mjml" /><mj-section>'
            '<mj-column><mj-button href="https://www.example.com/go">Go</mj-button></mj-column>'
            "</mj-section></mj-body></mjml>",
        },
        "email.mjml",
        ["Home", "Go"],
        {"Home", "Go"},
    ),
    "include-cycle-stops": (
        {
            "a.html": '<a href="https://www.example.com/a">A</a>{% include "b.html" %}',
            "b.html": '<a href="https://www.example.com/b">B</a>{% include "a.html" %}',
            "email.html": '<html><body>{% include "a.html" %}'
            '<a href="https://www.example.com/go">Go</a></body></html>',
        },
        "email.html",
        ["A", "B", "Go"],
        {"A", "B", "Go"},
    ),
}


def _frames(text: str) -> dict[str, Any]:
    page = pageinfo.parse(text)
    return {
        " ".join(fig.find("figcaption").text_content().split()).split("/")[-1]: doc
        for fig, doc in zip(page.root.find_class("email-frame"), page.frames, strict=True)
    }


def _text(doc: Any) -> str:
    for extra in [*doc.find_class("ctamap-tip"), *doc.find_class("ctamap-badge")]:
        extra.drop_tree()
    return " ".join(doc.find(".//body").text_content().split())


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_email_reads_as_sent(case: str, tmp_path: Path) -> None:
    files, email, expected, links = CASES[case]
    folder = tmp_path / case
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n', "utf-8")
    link_map = instrument(folder, "--config", str(folder / "ctamap.toml"))
    _, text = report(link_map, write_events(link_map))
    frames = _frames(text)
    assert list(frames) == [email]  # layouts and partials are inside it, not emails
    body = _text(frames[email])
    at = 0
    for piece in expected:  # each piece, in this order
        found = body.find(piece, at)
        assert found >= 0, (piece, body)
        at = found + len(piece)
    assert all(body.count(text) == 1 for text in links), body
    assert "never sent" not in body and "{%" not in body and "{{" not in body
    # Every link of the email, its layouts and partials is marked, with its link ID.
    marked = {link["id"] for link in pageinfo.links(frames[email])}
    assert len(marked) == len(links) and None not in marked and "" not in marked


def test_a_partial_that_finds_no_place_is_shown_apart_with_its_links(tmp_path: Path) -> None:
    # The email replaces the block the partial is included in: the composed email has no
    # place for it, but the partial's links are the email's links (inventory lists them), so
    # they are shown, in a frame of their own, rather than silently dropped.
    folder = tmp_path / "apart"
    folder.mkdir()
    (folder / "base.html").write_text(
        '<html><body>{% block body %}{% endblock %}{% block footer %}{% include "footer.html" %}'
        "{% endblock %}</body></html>",
        encoding="utf-8",
    )
    (folder / "footer.html").write_text('<a href="https://www.example.com/help">Help</a>', "utf-8")
    (folder / "email.html").write_text(
        '{% extends "base.html" %}{% block body %}<a href="https://www.example.com/go">Go</a>'
        "{% endblock %}{% block footer %}<p>no footer</p>{% endblock %}",
        encoding="utf-8",
    )
    link_map = instrument(folder)
    _, text = report(link_map, write_events(link_map))
    page = pageinfo.parse(text)
    captions = [" ".join(f.text_content().split()) for f in page.root.iter("figcaption")]
    assert captions[0].startswith("HTML:") and captions[0].endswith("email.html")
    assert captions[1].startswith("layout:") and "footer.html" in captions[1]
    assert "could not be placed in the composed email" in captions[1]
    assert [link["id"] for link in pageinfo.links(page.frames[1])] == ["footer.help"]
    assert len(page.root.find_class("tab-label")) == 1


def test_a_block_inside_an_attribute_gets_plain_text(tmp_path: Path) -> None:
    folder = tmp_path / "attribute"
    folder.mkdir()
    (folder / "base.html").write_text(
        '<html><body class="{% block cls %}plain{% endblock %}">'
        '<a href="https://www.example.com/">Home</a>{% block body %}{% endblock %}</body></html>',
        encoding="utf-8",
    )
    (folder / "email.html").write_text(
        '{% extends "base.html" %}{% block cls %}theme-{{ user.theme }} "x"{% endblock %}'
        '{% block body %}<a href="https://www.example.com/go">Go</a>{% endblock %}',
        encoding="utf-8",
    )
    link_map = instrument(folder)
    _, text = report(link_map, write_events(link_map))
    body = pageinfo.parse(text).frames[0].find(".//body")
    assert body.get("class") == 'theme-user.theme "x"'
    assert _text(pageinfo.parse(text).frames[0]).startswith("Home")


def test_a_hostile_partial_is_made_inert_in_the_composed_email(tmp_path: Path) -> None:
    # Sanitising runs on the composed email: a partial (or layout) gets no way around it.
    folder = tmp_path / "hostile-partial"
    folder.mkdir()
    hostile = (FIXTURES / "clickmap" / "hostile.html").read_text(encoding="utf-8")
    (folder / "partial.html").write_text(hostile, encoding="utf-8")
    (folder / "email.html").write_text(
        '<html><body><a href="https://www.example.com/go">Go</a>{% include "partial.html" %}'
        "</body></html>",
        encoding="utf-8",
    )
    link_map = instrument(folder)
    _, text = report(link_map, write_events(link_map))
    page = pageinfo.parse(text)
    assert len(page.frames) == 1
    assert pageinfo.fetching(page.frames[0]) == []
    assert not list(page.frames[0].iter("script"))
    marked = {link["id"] for link in pageinfo.links(page.frames[0])}
    assert {"email.go", "partial.offer"} <= marked  # the partial's links are the email's
