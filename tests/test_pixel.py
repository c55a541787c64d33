"""The open pixel as a user configures it: placeholders, `[pixel] exclude`, the body opt-out."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ctamap.audit import run as audit_run
from ctamap.config import from_mapping, load
from ctamap.errors import ConfigError
from ctamap.workspace import instrument, open_workspace

from .conftest import CORPUS, needs_corpus

PIXEL = "https://t.example.com/o.gif?m={{ message_id }}&t={template}&c={campaign}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://t.example.com/o.gif?e={email}", "unknown placeholder {email}"),
        ("https://t.example.com/o.gif?t={tmplate}", "{tmplate}: did you mean {template}?"),
        ("https://t.example.com/o.gif?l={link_id}", "{link_id}"),
        ("https://t.example.com/o.gif?m={{ message_id }", "pixel.url"),
    ],
)
def test_a_bad_pixel_url_is_a_config_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        from_mapping({"pixel": {"url": url}})


def test_every_problem_of_the_pixel_table_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "ctamap.toml").write_text(
        '[pixel]\nurl = "https://t.example.com/o.gif?x={nope}"\nexclude = "reset.html"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load(tmp_path / "ctamap.toml")
    shown = str(raised.value)
    assert "ctamap.toml:2:" in shown and "{nope}" in shown
    assert "ctamap.toml:3:" in shown and "pixel.exclude must be a list of strings" in shown


def _project(tmp_path: Path, files: dict[str, str], pixel: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text(
        f'first_party_domains = ["example.com"]\ncampaign = "spring"\n[pixel]\n{pixel}\n'
    )
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return tmp_path


DOC = '<html><body><p><a href="https://example.com/a">A page</a></p></body></html>\n'


def test_placeholders_are_filled_per_template(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"emails/welcome.html": DOC, "emails/receipt.html": DOC},
        f'url = "{PIXEL}"',
    )
    instrument(open_workspace([root], load(root / "ctamap.toml")))
    welcome = (root / "emails/welcome.html").read_text()
    receipt = (root / "emails/receipt.html").read_text()
    # The send-time expression stays as written; the placeholders are this email's values.
    assert 'src="https://t.example.com/o.gif?m={{ message_id }}&amp;t=welcome&amp;c=spring"' in (
        welcome
    )
    assert "t=receipt&amp;c=spring" in receipt
    assert "{template}" not in welcome + receipt and "{campaign}" not in welcome + receipt


def test_excluded_and_opted_out_templates_get_no_pixel_and_audit_stays_quiet(
    tmp_path: Path,
) -> None:
    off = DOC.replace("<body>", '<body data-ctamap-pixel="off">')
    root = _project(
        tmp_path,
        {
            "emails/welcome.html": DOC,
            "emails/security/password-reset.html": DOC,
            "emails/legal/terms.html": off,
        },
        'url = "https://t.example.com/o.gif"\nexclude = ["emails/security/*"]',
    )
    config = load(root / "ctamap.toml")
    before = {p: p.read_bytes() for p in root.rglob("*.html")}
    found = audit_run([root], config, select=["P"])
    assert [(Path(f.path).name, f.code) for f in found.findings] == [("welcome.html", "P001")]
    instrument(open_workspace([root], config))
    assert "data-ctamap-pixel" in (root / "emails/welcome.html").read_text()
    for path in (root / "emails/security/password-reset.html", root / "emails/legal/terms.html"):
        assert path.read_bytes().count(b"<img") == 0
        assert b"utm_source=" in path.read_bytes()  # its links are still tracked
    after = audit_run([root], config, select=["P"])
    assert after.findings == ()
    assert before  # the files existed before instrumenting


def test_exclude_matches_the_file_name_too(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"emails/a/password-reset.html": DOC},
        'url = "https://t.example.com/o.gif"\nexclude = ["password-reset.html"]',
    )
    config = load(root / "ctamap.toml")
    assert audit_run([root], config, select=["P001"]).findings == ()


def test_a_body_opt_out_is_not_counted_as_a_pixel(tmp_path: Path) -> None:
    pixel = '<img src="https://t.example.com/o.gif" data-ctamap-pixel="1">'
    root = _project(
        tmp_path,
        {"x.html": f'<html><body data-ctamap-pixel="off">{pixel}<p>Hi</p></body></html>'},
        'url = "https://t.example.com/o.gif"',
    )
    assert audit_run([root], load(root / "ctamap.toml"), select=["P"]).findings == ()


@needs_corpus
def test_real_password_resets_get_no_pixel_and_the_rest_one(tmp_path: Path) -> None:
    """Postmark's templates: every password-reset email is excluded, every other full document
    gets exactly one pixel naming itself, and a second run changes nothing."""
    source = CORPUS / "postmark-templates" / "templates-inlined" / "basic-full"
    copy = tmp_path / "templates"
    shutil.copytree(source, copy)
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text(
        f'first_party_domains = ["example.com"]\n[pixel]\nurl = "{PIXEL}"\n'
        'exclude = ["*/password-reset*/*"]\n'
    )
    config = load(tmp_path / "ctamap.toml")
    assert instrument(open_workspace([copy], config)).errors == ()
    resets = sorted(copy.rglob("password-reset*/*.html"))
    others = [
        p for p in copy.rglob("*.html") if p not in resets and b"<body" in p.read_bytes().lower()
    ]
    assert resets and others
    for path in resets:
        assert b"data-ctamap-pixel" not in path.read_bytes(), path
    for path in others:
        text = path.read_text(encoding="utf-8")
        assert text.count("data-ctamap-pixel") == 1, path
        # Without a campaign, {campaign} is the template's slug, as in its utm_campaign.
        assert re.search(r'&amp;t=([a-z0-9-]+)&amp;c=\1"', text), path
        assert "{template}" not in text and "{campaign}" not in text, path
    assert audit_run([tmp_path], config, select=["P001", "P002"]).findings == ()
    again = instrument(open_workspace([copy], config))
    assert again.changed == () and not again.map_changed
