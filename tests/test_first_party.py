"""First-party or not, as a new user meets it: no first-party list configured (the well-known
platforms stay third-party, and stderr says the list is missing), or a list; and hosts that
are template expressions (`{{ base_url }}/pricing`, L010, `dynamic_hosts`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ctamap import THIRD_PARTY_PLATFORMS
from ctamap.classify import Classifier
from ctamap.config import from_mapping
from ctamap.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from ctamap.scan import scan
from ctamap.source import from_text

from .conftest import REPO

FOOTER = """<html><body>
<p><a href="https://example.com/start">Get started</a></p>
<p><a href="https://twitter.com/example">Twitter</a> <a href="https://x.com/example">X</a>
<a href="https://www.youtube.com/@example">YouTube</a> <a href="https://m.facebook.com/ex">FB</a>
<a href="https://apps.apple.com/app/id1">App Store</a>
<a href="https://play.google.com/store/apps/details?id=x">Google Play</a>
<a href="https://us02web.zoom.us/j/1">Join the webinar</a></p>
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body></html>
"""


def _ctas(data: dict[str, object], html: str = FOOTER) -> dict[str, tuple[str, bool]]:
    template = Classifier(from_mapping(data)).classify(scan(from_text(html, "x.html")))
    return {cta.text: (cta.role, cta.tracked) for cta in template.ctas}


def test_without_a_list_the_platforms_stay_third_party() -> None:
    ctas = _ctas({})
    assert ctas["Get started"] == ("cta", True)
    for name in ("Twitter", "X", "YouTube", "FB", "App Store", "Google Play", "Join the webinar"):
        assert ctas[name] == ("third-party", False), name


def test_a_list_decides_alone() -> None:
    ctas = _ctas({"first_party_domains": ["example.com", "youtube.com"]})
    assert ctas["Get started"] == ("cta", True)
    assert ctas["YouTube"] == ("cta", True)  # the company's own channel, listed on purpose
    assert ctas["Twitter"] == ("third-party", False)


def test_the_docs_list_every_platform() -> None:
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(h for h in THIRD_PARTY_PLATFORMS if f"`{h}`" not in page)
    assert missing == [], f"docs/configuration.md does not list {missing}"


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


def _repo(tmp_path: Path, config: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text(config)
    for name in ("a/welcome.html", "b/sale.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(FOOTER)
    return tmp_path


@pytest.mark.parametrize("command", ["instrument", "audit"])
def test_no_first_party_list_is_said_once_on_stderr(tmp_path: Path, command: str) -> None:
    repo = _repo(tmp_path, 'campaign = "spring"\n')
    done = _ctamap(command, "a", "b", cwd=repo)
    assert done.returncode in (EXIT_OK, EXIT_FINDINGS), done.stderr
    notices = [line for line in done.stderr.splitlines() if "first-party" in line]
    assert notices == [
        "ctamap: no first-party list is configured (first_party_domains in ctamap.toml): "
        "every web domain counts as yours except well-known social, video, app-store and "
        "meeting platforms"
    ], done.stderr
    if command == "instrument":
        sale = (repo / "b/sale.html").read_text()
        assert "example.com/start?utm_source=" in sale
        assert re.search(r"twitter\.com/example\"", sale)  # left alone


def test_a_first_party_list_silences_the_notice(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 'first_party_domains = ["example.com"]\n')
    done = _ctamap("instrument", "a", cwd=repo)
    assert done.returncode == EXIT_OK and "first-party" not in done.stderr, done.stderr
    assert "first-party" not in _ctamap("inventory", "a", cwd=repo).stderr


# -- Expression hosts --------------------------------------------------------------------------

DYNAMIC = '<a href="{{ base_url }}/pricing">See pricing</a> <a href="{{ app }}/x">App</a>'


def test_an_expression_host_is_untracked_until_declared() -> None:
    config = {"first_party_domains": ["example.com"]}
    assert _ctas(config, DYNAMIC) == {"See pricing": ("dynamic", False), "App": ("dynamic", False)}
    declared = {**config, "dynamic_hosts": {"base_url": "example.com"}}
    assert _ctas(declared, DYNAMIC) == {
        "See pricing": ("cta", True),
        "App": ("dynamic", False),
    }


def test_a_templated_subdomain_is_judged_on_its_written_domain() -> None:
    html = (
        '<a href="https://{{ tenant }}.example.com/login">Sign in</a>'
        '<a href="https://{{ shop }}.partner.org/x">Partner</a>'
        '<a href="https://{{ brand }}.com/x">Brand</a>'
    )
    ctas = _ctas({"first_party_domains": ["example.com"]}, html)
    assert ctas == {
        "Sign in": ("cta", True),
        "Partner": ("third-party", False),
        "Brand": ("dynamic", False),  # `{{ brand }}.com`: no domain is written
    }


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ({"base_url": "https://Example.com/"}, "write the host alone: 'example.com'"),
        ({"base_url": "Example.com"}, "not a lowercase host name"),
        ({"base_url": 3}, "must be a host name"),
    ],
)
def test_a_bad_dynamic_host_is_a_config_error(hosts: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_mapping({"dynamic_hosts": hosts})


def test_audit_names_the_expression_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    (tmp_path / "x.html").write_text(DYNAMIC)
    done = _ctamap("audit", "--select", "L010", "x.html", cwd=tmp_path)
    assert done.returncode == EXIT_FINDINGS
    assert done.stdout.splitlines()[0] == (
        'x.html:1:1: L010 "See pricing" ({{ base_url }}/pricing) is not tracked: its host is the '
        "template expression {{ base_url }}; declare it with dynamic_hosts = {base_url = "
        '"example.com"} (your host) to track it'
    )
    (tmp_path / "ctamap.toml").write_text(
        'first_party_domains = ["example.com"]\n'
        'dynamic_hosts = {base_url = "example.com", app = "app.example.com"}\n'
    )
    assert _ctamap("audit", "--select", "L010", "x.html", cwd=tmp_path).returncode == EXIT_OK
    assert _ctamap("instrument", "x.html", cwd=tmp_path).returncode == EXIT_OK
    text = (tmp_path / "x.html").read_text()
    assert "{{ base_url }}/pricing?utm_source=newsletter" in text
    assert "{{ app }}/x?utm_source=newsletter" in text
