"""Template syntax as the design says: valid templates are never refused, ESP tags are masked.

Django custom block tags (`{% cell %}…{% endcell %}`) are blocks because their end tag closes
them; Liquid is read as leniently as Shopify renders it; SendGrid, Mailgun and Braze tags are
recognised and masked with same-length filler.
"""

# ruff: noqa: E501 - the templates keep their real long lines

from __future__ import annotations

import pytest

from ctamap.source import FILLER, TemplateSyntaxError, from_text

# In the style of healthchecks' email templates (custom `linemode` tag library).
DJANGO_TEXT = """{% load hc_extras humanize linemode tz %}{% linemode %}
{% timezone tz %}

{% line %}The check "{{ check.name_then_code|safe }}" has gone {{ flip.new_status }}.{% endline %}
{% if flip.reason %}
{% line %}Reason: {{ flip.reason_long}}.{% endline %}
{% endif %}
{% line %}{% endline %}
{% line %}View on {% site_name %}:{% endline %}
{% line %}{{ check.cloaked_url }}{% endline %}
{% for project in projects %}
    {% with project.get_n_down as n_down %}
        {% if n_down %}{% line %}* {{ project|safe }}: {{ n_down }} down{% endline %}{% endif %}
    {% endwith %}
{% endfor %}
{% line %}Unsubscribe: {{ unsub_link }}{% endline %}
{% endtimezone %}
{% endlinemode %}
"""

DJANGO_TABLE = """{% load asciitable hc_extras humanize %}Hello,
{% if num_down == 1%}One check is DOWN:{% else %}{{ num_down }} checks are DOWN:{% endif %}
{% regroup checks by project as groups %}{% for group in groups %}
{% table %}
    {% row %}{% cell %}Status{% endcell %}{% cell %}Name{% endcell %}{% endrow %}
    {% for check in group.list|sortchecks:"name" %}
        {% row %}
            {% cell %}{% if check.last_ping %}{{ check.last_ping|naturaltime }}{% else %}Never{% endif %}{% endcell %}
        {% endrow %}
    {% endfor %}
{% endtable %}
{% endfor %}
{% cycle 'odd' 'even' as rowcolors silent %}{% trans "Cheers" %}, {% site_name %}
"""


@pytest.mark.parametrize("text", [DJANGO_TEXT, DJANGO_TABLE], ids=["linemode", "asciitable"])
def test_django_custom_block_tags_are_blocks_when_closed(text: str) -> None:
    src = from_text(text, "alert-body-text.html", is_text=True)
    assert src.syntax == "jinja"
    assert len(src.masked) == len(text)
    assert "{%" not in src.masked and "{{" not in src.masked


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% if a %}<p>x</p>", "'{% if %}' is never closed"),
        ("<p>x</p>{% endif %}", "'{% endif %}' closes nothing"),
        ("{% cell %}{% if a %}{% endcell %}{% endif %}", "'{% endcell %}' closes '{% if %}'"),
        ("{% for x in y %}{% line %}{% endif %}", "'{% endif %}' closes '{% for %}'"),
    ],
)
def test_real_imbalance_is_still_a_syntax_error(text: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message.replace("{", r"\{")):
        from_text(text, "t.html")


def test_unknown_tags_without_end_tags_are_simple_tags() -> None:
    text = "{% load x %}{% site_root %}{% endorse %}{% url 'a' %}{% csrf_token %}<p>x</p>"
    src = from_text(text, "t.html")
    assert src.masked.endswith("<p>x</p>")


@pytest.mark.parametrize(
    ("text", "path", "syntax"),
    [
        ('<a href="https://shop.example.com/{{ product.handle) }}">Buy</a>', "t.liquid", "auto"),
        ('<a href="https://shop.example.com/{{ product.handle) }}">Buy</a>', "t.html", "liquid"),
        ("{% assign n = 3 %}<p>{{ n | plus: 1 ]] }}</p>{% unless x %}y{% endunless %}", "t.html",
         "auto"),
    ],
)  # fmt: skip
def test_liquid_is_read_as_leniently_as_shopify_renders(text: str, path: str, syntax: str) -> None:
    src = from_text(text, path, syntax=syntax)
    assert "{{" not in src.masked and "}}" not in src.masked
    assert len(src.masked) == len(text)


def test_jinja_keeps_its_own_lexer_strictness() -> None:
    with pytest.raises(TemplateSyntaxError):
        from_text('<a href="https://e.example.com/{{ x) }}">x</a>', "t.html", syntax="jinja")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ('<a href="<%asm_group_unsubscribe_raw_url%>">Unsubscribe</a>',
         "<%asm_group_unsubscribe_raw_url%>"),
        ('<a href="<%asm_preferences_raw_url%>">Preferences</a> {{ name }}',
         "<%asm_preferences_raw_url%>"),
        ('<a href="%unsubscribe_url%">Unsubscribe</a>', "%unsubscribe_url%"),
        ('<a href="https://e.example.com/?u=%recipient.user_id%">Go</a>', "%recipient.user_id%"),
        ("<p>Hi %recipient_fname%,</p>", "%recipient_fname%"),
        ("<p>Hi {{${first_name}}},</p>", "{{${first_name}}}"),
        ('<a href="{{${set_user_to_unsubscribed_url}}}">Unsubscribe</a>',
         "{{${set_user_to_unsubscribed_url}}}"),
        ("<p>{{custom_attribute.${plan}}} {% if x %}y{% endif %}</p>",
         "{{custom_attribute.${plan}}}"),
        ("<p>{{${first_name} | default: 'there'}}</p>", "{{${first_name} | default: 'there'}}"),
    ],
)  # fmt: skip
def test_esp_tags_are_masked_with_same_length_filler(text: str, tag: str) -> None:
    src = from_text(text, "t.html")
    start = text.index(tag)
    assert src.masked[start : start + len(tag)] == FILLER * len(tag)
    assert len(src.masked) == len(text)


def test_a_statement_glued_to_a_text_url_ends_it() -> None:
    from ctamap.scan import scan

    text = "{% line %}Docs: https://docs.example.com/a/{% endline %}\n{% line %}x{% endline %}\n"
    links = scan(from_text(text, "t.txt", is_text=True)).links
    assert [link.href.value for link in links if link.href] == ["https://docs.example.com/a/"]
