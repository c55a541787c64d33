"""The template graph: text twins by name and by `[pairs]`, layouts and partials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctamap import config as configuration
from ctamap.classify import Classifier, Template
from ctamap.errors import ConfigError, InputError
from ctamap.graph import Twins
from ctamap.walk import TemplateFile, collect


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("welcome.html", "welcome.txt"),
        ("receipt.html.j2", "receipt.txt.j2"),
        ("promo-body-html.html", "promo-body-text.html"),
        ("launch.mjml", "launch.txt"),
        ("reset_html.hbs", "reset_text.hbs"),
    ],
)
def test_twins_pair_by_name(tmp_path: Path, html: str, text: str) -> None:
    _write(tmp_path, {html: "<p>x</p>", text: "x", "other.txt": "y"})
    config = configuration.from_mapping({}, root=tmp_path)
    files = collect([tmp_path], config)
    by_name = {f.path.name: f for f in files}
    assert by_name[text].is_text
    twins = Twins(config, files)
    assert twins.text_of(by_name[html]) == by_name[text]
    assert twins.html_of(by_name[text]) == by_name[html]
    # Named alone (pre-commit), the HTML file still finds its twin on disk.
    alone = Twins(config, [by_name[html]])
    found = alone.text_of(by_name[html])
    assert found is not None and found.path == by_name[text].path and found.is_text


def test_configured_pairs_cross_folders(tmp_path: Path) -> None:
    _write(tmp_path, {"mjml/welcome.mjml": "<mjml/>", "plain/welcome.text.txt": "x"})
    config = configuration.from_mapping(
        {"pairs": {"mjml/*.mjml": "plain/*.text.txt"}}, root=tmp_path
    )
    files = collect([tmp_path], config)
    by_name = {f.path.name: f for f in files}
    twins = Twins(config, files)
    assert twins.text_of(by_name["welcome.mjml"]) == by_name["welcome.text.txt"]
    alone = Twins(config, [by_name["welcome.mjml"]])
    found = alone.text_of(by_name["welcome.mjml"])
    assert found is not None and found.path == by_name["welcome.text.txt"].path


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        ({"*.mjml": "text/plain.txt"}, "same wildcards (1 and 0)"),
        ({"**/*.mjml": "*.txt"}, "use `*` and `?` only"),
        ({"*.mjml": ["*.txt"]}, "must be a text-version glob"),
    ],
)
def test_bad_pairs_are_config_errors(pairs: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=r".*") as error:
        configuration.from_mapping({"pairs": pairs})
    assert says in str(error.value)


def _graph(root: Path, files: dict[str, str], named: list[str] | None = None) -> Any:
    from ctamap.graph import TemplateGraph
    from ctamap.pipeline import load, load_one

    _write(root, files)
    config = configuration.from_mapping({}, root=root)
    chosen = [root / n for n in named] if named else [root]
    loaded = load(collect(chosen, config), config)
    classifier = Classifier(config)

    def read(file: TemplateFile) -> Template | None:
        try:
            return load_one(file, classifier)
        except InputError:
            return None

    return TemplateGraph(loaded.templates, config, read)


def _names(files: tuple[TemplateFile, ...], root: Path) -> list[str]:
    return [f.path.relative_to(root.resolve()).as_posix() for f in files]


LINK = '<a href="https://www.example.com/{0}">{0}</a>'


def test_jinja_extends_and_include_from_the_template_roots(tmp_path: Path) -> None:
    graph = _graph(
        tmp_path,
        {
            "templates/layouts/base.html": "{% include 'partials/footer.html' %}"
            + LINK.format("home"),
            "templates/partials/footer.html": LINK.format("unsubscribe"),
            "templates/emails/welcome.html": '{% extends "layouts/base.html" %}{% block body %}'
            + LINK.format("start")
            + "{% endblock %}",
            "templates/emails/receipt.html": "{% extends 'layouts/base.html' %}",
            "templates/emails/note.html": "{# {% extends 'layouts/base.html' %} #}{% include x %}",
        },
    )
    by = {f.path.name: f for f in graph.emails()}
    assert sorted(by) == ["note.html", "receipt.html", "welcome.html"]
    assert _names(graph.uses(by["welcome.html"]), tmp_path) == [
        "templates/layouts/base.html",
        "templates/partials/footer.html",
    ]
    assert graph.uses(by["note.html"]) == ()  # a comment and a variable are not followed
    base = graph.uses(by["welcome.html"])[0]
    assert graph.is_layout(base)
    assert _names(graph.emails_using(base), tmp_path) == [
        "templates/emails/receipt.html",
        "templates/emails/welcome.html",
    ]
    footer = graph.uses(by["welcome.html"])[1]
    assert len(graph.emails_using(footer)) == 2


def test_liquid_handlebars_and_mjml_names(tmp_path: Path) -> None:
    graph = _graph(
        tmp_path,
        {
            "shop/layout/theme.liquid": "{{ content_for_layout }}" + LINK.format("shop"),
            "shop/snippets/card.liquid": LINK.format("card"),
            "shop/order.liquid": "{% layout 'theme' %}{% render 'card', product: p %}",
            "site/_includes/footer.html": LINK.format("footer"),
            "site/post.liquid": "{% include footer.html %}",
            "hbs/partials/header.hbs": LINK.format("header"),
            "hbs/welcome.hbs": "{{> header }}{{#> layouts/frame }}x{{/layouts/frame}}",
            "hbs/layouts/frame.hbs": "{{> @partial-block }}" + LINK.format("frame"),
            "mjml/parts/head.mjml": "<mj-section></mj-section>",
            "mjml/news.mjml": '<mjml><mj-body><mj-include path="./parts/head" />'
            '<!-- <mj-include path="./parts/old.mjml" /> --></mj-body></mjml>',
        },
    )
    uses = {f.path.name: _names(graph.uses(f), tmp_path) for f in graph.emails()}
    assert uses["order.liquid"] == ["shop/layout/theme.liquid", "shop/snippets/card.liquid"]
    assert uses["post.liquid"] == ["site/_includes/footer.html"]
    assert uses["welcome.hbs"] == ["hbs/partials/header.hbs", "hbs/layouts/frame.hbs"]
    assert uses["news.mjml"] == ["mjml/parts/head.mjml"]


def test_a_layout_the_run_did_not_name_is_read_from_disk(tmp_path: Path) -> None:
    graph = _graph(
        tmp_path,
        {"base.html": LINK.format("home"), "welcome.html": "{% extends 'base.html' %}"},
        named=["welcome.html"],
    )
    (email,) = graph.emails()
    (layout,) = graph.uses(email)
    assert layout.path.name == "base.html"
    template = graph.template(layout)
    assert template is not None and [c.text for c in template.ctas] == ["home"]


def test_a_cycle_is_followed_once(tmp_path: Path) -> None:
    graph = _graph(
        tmp_path,
        {
            "a.html": "{% include 'b.html' %}",
            "b.html": "{% include 'a.html' %}",
            "c.html": "{% include 'a.html' %}",
        },
    )
    (email,) = graph.emails()
    assert _names(graph.uses(email), tmp_path) == ["a.html", "b.html"]
