"""UTM values as a marketing-ops team writes them: placeholders, send-time template expressions,
parameters left out, per-path overrides, and a policy change that reaches ctamap's own values
while the author's stay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctamap.config import from_mapping
from ctamap.errors import EXIT_FINDINGS, EXIT_OK, ConfigError


@pytest.mark.parametrize(
    "utm",
    [
        {"campaign": "{{ utm_campaign }}"},
        {"campaign": "*|CAMPAIGN_UID|*"},
        {"campaign": "{{utm_campaign|default('x')}}"},
        {"content": ""},
        {"content": "", "term": ""},
        {"source": "{template}-news", "campaign": "{campaign}.{template}"},
    ],
)
def test_valid_utm_values(utm: dict[str, str]) -> None:
    config = from_mapping({"utm": utm})
    for name, value in utm.items():
        assert getattr(config.utm, name) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"utm": {"campaign": "{{ utm_campaign"}}, "utm.campaign"),
        ({"utm": {"campaign": "{{ a }}-{{ b }}"}}, "one template expression"),
        ({"utm": {"campaign": "x-{{ a }}"}}, "one template expression"),
        ({"utm": {"campaign": '{{ a|default("b") }}'}}, "quote"),
        ({"utm": {"source": "{sender}"}}, "unknown placeholder {sender}"),
        ({"link_id_param": "", "utm": {"content": "{template}"}}, "must carry {link_id}"),
        ({"link_id_param": "", "utm": {"content": ""}}, "utm.content must carry {link_id}"),
        (
            {
                "link_id_param": "",
                "utm": {"override": [{"paths": ["layouts/*"], "content": "footer"}]},
            },
            "utm.override[0].content must carry {link_id}",
        ),
        ({"utm": {"override": [{"campaign": "x"}]}}, "utm.override[0].paths"),
        ({"utm": {"override": [{"paths": ["a/*"], "campain": "x"}]}}, "did you mean 'campaign'"),
        ({"utm": {"override": [{"paths": ["a/*"], "campaign": "Big Sale"}]}}, "not house style"),
        ({"utm": {"override": {"paths": ["a/*"]}}}, "[[utm.override]]"),
    ],
)
def test_bad_utm_values_are_config_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_mapping(data)
    assert message in str(caught.value)


def test_link_id_param_may_be_empty_when_content_carries_the_id() -> None:
    config = from_mapping({"link_id_param": "", "utm": {"content": "{template}.{link_id}"}})
    assert config.link_id_param == ""


def test_override_errors_name_their_lines(tmp_path: Path) -> None:
    from ctamap.config import load

    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text(
        '[utm]\ncampaign = "{template}"\n\n[[utm.override]]\npaths = ["layouts/*"]\n'
        'campaign = "{{ utm_campaign }}"\n\n[[utm.override]]\npaths = ["x/*"]\n'
        'medium = "E Mail"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(start=tmp_path)
    assert str(caught.value).endswith(":10: utm.override[1].medium = 'E Mail' is not house "
        "style: use lowercase letters, digits, '.', '_' or '-'")  # fmt: skip


def test_override_applies_to_matching_templates_last_one_wins() -> None:
    config = from_mapping(
        {
            "utm": {
                "campaign": "{template}",
                "override": [
                    {"paths": ["layouts/*"], "campaign": "{{ utm_campaign }}"},
                    {"paths": ["layouts/legal-*"], "campaign": "legal", "source": "legal"},
                ],
            }
        }
    )
    assert config.utm.for_template("emails/welcome.html").campaign == "{template}"
    assert config.utm.for_template("layouts/base.html").campaign == "{{ utm_campaign }}"
    legal = config.utm.for_template("layouts/legal-footer.html")
    assert (legal.campaign, legal.source, legal.medium) == ("legal", "legal", "email")


# -- A policy change in a real repository, as the pre-commit hooks and CI see it ---------------

PAGE = """<html><body>
<a href="https://www.example.com/start">Start</a>
<a href="https://www.example.com/partner?utm_source=partner">Partner offer</a>
<a href="https://example.com/unsubscribe">Unsubscribe</a>
</body></html>
"""


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


def _config(repo: Path, utm: str) -> None:
    (repo / "ctamap.toml").write_text(f'first_party_domains = ["example.com"]\n[utm]\n{utm}')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "welcome.html").write_text(PAGE)
    _config(tmp_path, 'campaign = "spring"\n')
    assert _ctamap("instrument", ".", cwd=tmp_path).returncode == EXIT_OK
    return tmp_path


def test_policy_change_reaches_values_ctamap_wrote(repo: Path) -> None:
    _config(repo, 'campaign = "summer"\n')
    audit = _ctamap("audit", ".", cwd=repo)
    assert audit.returncode == EXIT_FINDINGS, audit.stdout + audit.stderr
    drift = [line for line in audit.stdout.splitlines() if "policy value" in line]
    assert len(drift) == 2, audit.stdout  # both tracked links, not the author's utm_source
    assert all(" T002 " in line and "utm_campaign='spring'" in line for line in drift)
    assert "'summer': `ctamap instrument` rewrites it" in drift[0]
    assert " T001 " not in audit.stdout  # the links are instrumented: this is drift
    fixed = _ctamap("instrument", ".", cwd=repo)
    assert fixed.returncode == EXIT_OK, fixed.stderr
    text = (repo / "welcome.html").read_text()
    assert "utm_campaign=spring" not in text and text.count("utm_campaign=summer") == 2
    assert "partner?utm_source=partner&amp;" in text  # author-set: kept under `keep`
    clean = _ctamap("audit", ".", cwd=repo)
    assert "policy value" not in clean.stdout, clean.stdout
    again = _ctamap("instrument", "--check", ".", cwd=repo)
    assert again.returncode == EXIT_OK, again.stderr


def test_a_parameter_the_policy_drops_is_removed_where_ctamap_wrote_it(repo: Path) -> None:
    _config(repo, 'campaign = "spring"\ncontent = ""\n')
    assert _ctamap("instrument", ".", cwd=repo).returncode == EXIT_OK
    text = (repo / "welcome.html").read_text()
    assert "utm_content" not in text
    assert 'start?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=spring&amp;' \
        'cta_id=welcome.start"' in text  # fmt: skip
    links = json.loads((repo / "ctamap.linkmap.json").read_text())["links"]
    start = next(e for e in links if e["id"] == "welcome.start")
    assert "utm_content" not in start["tracked_url"]
    assert _ctamap("instrument", "--check", ".", cwd=repo).returncode == EXIT_OK


def test_author_set_value_stays_and_the_map_says_it_is_the_authors(repo: Path) -> None:
    links = json.loads((repo / "ctamap.linkmap.json").read_text())["links"]
    partner = next(e for e in links if e["text"] == "Partner offer")
    # `url` is the destination as the author wrote it: their own utm_source is part of it.
    assert partner["url"] == "https://www.example.com/partner?utm_source=partner"
    _config(repo, 'campaign = "spring"\nsource = "weekly"\n')
    assert _ctamap("instrument", ".", cwd=repo).returncode == EXIT_OK
    text = (repo / "welcome.html").read_text()
    assert "partner?utm_source=partner&amp;" in text
    assert "start?utm_source=weekly&amp;" in text


def test_send_time_campaign_is_written_as_the_expression(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "base.html").write_text(
        "<html><body>{% block content %}{% endblock %}"
        '<a href="https://www.example.com/">Logo</a></body></html>\n'
    )
    (tmp_path / "welcome.html").write_text(
        '{% extends "layouts/base.html" %}{% block content %}'
        '<a href="https://www.example.com/start">Start</a>{% endblock %}\n'
    )
    _config(
        tmp_path,
        'campaign = "{template}"\n[[utm.override]]\npaths = ["layouts/*"]\n'
        'campaign = "{{ utm_campaign }}"\n',
    )
    result = _ctamap("instrument", ".", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    base = (tmp_path / "layouts" / "base.html").read_text()
    assert "utm_campaign={{ utm_campaign }}&amp;" in base
    assert "utm_campaign=welcome&amp;" in (tmp_path / "welcome.html").read_text()
    assert _ctamap("instrument", "--check", ".", cwd=tmp_path).returncode == EXIT_OK
    audit = _ctamap("audit", "--select", "T", ".", cwd=tmp_path)
    assert " T00" not in audit.stdout.replace(" T007 ", ""), audit.stdout


def test_link_id_param_left_out(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "welcome.html").write_text(PAGE)
    (tmp_path / "ctamap.toml").write_text(
        'first_party_domains = ["example.com"]\nlink_id_param = ""\n'
    )
    assert _ctamap("instrument", ".", cwd=tmp_path).returncode == EXIT_OK
    text = (tmp_path / "welcome.html").read_text()
    assert "cta_id" not in text
    assert "utm_content=welcome.start" in text
    assert _ctamap("instrument", "--check", ".", cwd=tmp_path).returncode == EXIT_OK
    audit = _ctamap("audit", "--select", "T001", ".", cwd=tmp_path)
    assert audit.returncode == EXIT_OK, audit.stdout


def test_config_command_shows_overrides() -> None:
    from ctamap.config import describe

    shown = describe(
        from_mapping(
            {"utm": {"override": [{"paths": ["layouts/*"], "campaign": "{{ utm_campaign }}"}]}}
        )
    )
    assert '[[utm.override]]\npaths = ["layouts/*"]\ncampaign = "{{ utm_campaign }}"' in shown


def test_single_quote_value_in_single_quoted_href_is_refused_not_broken(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    page = "<html><body><a href='https://www.example.com/go'>Go</a></body></html>\n"
    (tmp_path / "x.html").write_text(page)
    (tmp_path / "ctamap.toml").write_text(
        "[utm]\ncampaign = \"{{ utm_campaign|default('news') }}\"\n"
    )
    result = _ctamap("instrument", "x.html", cwd=tmp_path)
    assert result.returncode == 2
    assert "x.html:1: a UTM value with a single quote" in result.stderr
    assert (tmp_path / "x.html").read_text() == page
