"""A Django project's email templates with custom tag libraries, run as a user runs ctamap.

Laid out like healthchecks' `templates/emails/`: a base layout, `*-body-html.html` and
`*-body-text.html` twins, `{% load %}`ed libraries whose block tags (`{% line %}…{% endline %}`,
`{% cell %}…{% endcell %}`) and plain tags (`{% site_name %}`) ctamap cannot know in advance.
"""

# ruff: noqa: E501 - the templates keep their real long lines

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ctamap.errors import EXIT_OK

LINEMODE = '''"""{% linemode %}…{% endlinemode %} and {% line %}…{% endline %} for text emails."""
from django import template

register = template.Library()


@register.tag
def linemode(parser, token):
    nodes = parser.parse(("endlinemode",))
    parser.delete_first_token()
    return LineModeNode(nodes)


@register.tag
def line(parser, token):
    nodes = parser.parse(("endline",))
    parser.delete_first_token()
    return LineNode(nodes)
'''

BASE = """<!DOCTYPE html>{% load humanize hc_extras %}
<html>
<head><title>{% block title %}{% endblock %}</title><meta charset="utf-8"></head>
<body style="margin:0">
<table role="presentation" width="100%">
  <tr><td>{% block content %}{% endblock %}</td></tr>
  <tr><td>{% block content_more %}{% endblock %}</td></tr>
  <tr><td style="font-size:12px">{% block unsub %}{% endblock %}</td></tr>
</table>
</body>
</html>
"""

REPORT_HTML = """{% extends "emails/base.html" %}
{% load hc_extras humanize tz %}
{% block content %}{% timezone tz %}
<h1>Monthly report for {% site_name %}</h1>
{% cycle '' '</tr><tr>' as trtr silent %}
<table>
  {% for check in checks %}
  <tr><td>{{ check.name_then_code }}</td><td>{% if check.last_ping %}{{ check.last_ping|naturaltime }}{% else %}Never{% endif %}</td></tr>
  {% empty %}
  <tr><td>{% trans "No checks yet." %}</td></tr>
  {% endfor %}
</table>
{% emailbutton %}<a href="https://healthy.example.com/projects/{{ project.code }}/">Open your dashboard</a>{% endemailbutton %}
{% endtimezone %}{% endblock %}
{% block content_more %}
Need help? Read the <a href="https://healthy.example.com/docs/{% url 'hc-docs' %}">documentation</a>.
{% endblock %}
{% block unsub %}<a href="{{ unsub_link }}">Unsubscribe from monthly reports</a>{% endblock %}
"""

REPORT_TEXT = """{% load asciitable hc_extras humanize linemode %}{% linemode %}
{% line %}Monthly report for {% site_name %}{% endline %}
{% table %}
    {% row %}{% cell %}Name{% endcell %}{% cell %}Last ping{% endcell %}{% endrow %}
    {% for check in checks %}
        {% row %}{% cell %}{{ check.name_then_code|safe }}{% endcell %}{% cell %}{% if check.last_ping %}{{ check.last_ping|naturaltime }}{% else %}Never{% endif %}{% endcell %}{% endrow %}
    {% endfor %}
{% endtable %}
{% line %}Open your dashboard: https://healthy.example.com/projects/{{ project.code }}/{% endline %}
{% line %}Documentation: https://healthy.example.com/docs/{% url 'hc-docs' %}{% endline %}
{% line %}Unsubscribe: {{ unsub_link }}{% endline %}
{% endlinemode %}
"""

CONFIG = """[tool.ctamap]
first_party_domains = ["example.com"]
template_syntax = "django"
text = ["*-text.*", "*.txt"]
"""


def _project(root: Path) -> Path:
    (root / "hc" / "front" / "templatetags").mkdir(parents=True)
    (root / "hc" / "front" / "templatetags" / "linemode.py").write_text(LINEMODE)
    emails = root / "templates" / "emails"
    emails.mkdir(parents=True)
    (emails / "base.html").write_text(BASE)
    (emails / "report-body-html.html").write_text(REPORT_HTML)
    (emails / "report-body-text.html").write_text(REPORT_TEXT)
    (emails / "report-subject.html").write_text("{% load hc_extras %}{% site_name %} report\n")
    (root / "pyproject.toml").write_text(CONFIG)
    return root


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


def test_django_project_with_custom_tag_libraries_exits_0(tmp_path: Path) -> None:
    project = _project(tmp_path)
    text_before = (project / "templates/emails/report-body-text.html").read_bytes()
    done = _ctamap("instrument", "templates", cwd=project)
    assert done.returncode == EXIT_OK, done.stderr
    assert "syntax error" not in done.stderr and "internal error" not in done.stderr
    assert "instrumented: templates/emails/report-body-html.html" in done.stderr
    assert (project / "templates/emails/report-body-text.html").read_bytes() == text_before
    again = _ctamap("instrument", "--check", "templates", cwd=project)
    assert again.returncode == EXIT_OK, again.stderr
    audited = _ctamap("audit", "templates", cwd=project)
    assert audited.returncode == EXIT_OK, audited.stdout + audited.stderr
