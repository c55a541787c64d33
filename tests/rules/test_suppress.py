"""Inline suppressions: what each directive covers, and unused ones reported as notices."""

from __future__ import annotations

from pathlib import Path

from ctamap import config as configuration
from ctamap.audit import AuditResult, audit
from ctamap.rules import Severity
from ctamap.rules.suppress import parse
from ctamap.walk import collect

VAGUE = '<a href="https://www.example.com/x">click here</a>'


def _audit(tmp_path: Path, text: str, name: str = "email.html", **config: object) -> AuditResult:
    (tmp_path / name).write_text(text, encoding="utf-8")
    cfg = configuration.from_mapping({"audit": {"select": ["L006", "M001"]}, **config})
    return audit(collect([tmp_path / name], cfg), cfg)


def test_disable_next_line(tmp_path: Path) -> None:
    text = f"<!-- ctamap: disable-next-line=L006 -->\n{VAGUE}\n{VAGUE}\n"
    result = _audit(tmp_path, text)
    assert [(f.code, f.line) for f in result.findings] == [("L006", 3)]


def test_disable_to_end_of_file_and_enable(tmp_path: Path) -> None:
    text = f"{VAGUE}\n<!-- ctamap: disable=L006 -->\n{VAGUE}\n{VAGUE}\n"
    text += f"<!-- ctamap: enable=L006 -->\n{VAGUE}\n"
    result = _audit(tmp_path, text)
    assert [f.line for f in result.findings] == [1, 6]


def test_disable_line_jinja_and_handlebars_comments(tmp_path: Path) -> None:
    text = (
        f"{VAGUE} {{# ctamap: disable-line=L006 #}}\n{{# ctamap: disable-next-line=L #}}\n{VAGUE}\n"
    )
    assert _audit(tmp_path, text).findings == ()
    text = f"{{{{! ctamap: disable-next-line=L006 }}}}\n{VAGUE}\n"
    assert _audit(tmp_path, text).findings == ()


def test_disable_all_and_several_codes(tmp_path: Path) -> None:
    text = f"<!-- ctamap: disable=all -->\n{VAGUE}\n"
    assert _audit(tmp_path, text).findings == ()
    text = f"<!--ctamap: disable-next-line = L001, L006-->\n{VAGUE}\n"
    result = _audit(tmp_path, text, audit={"select": ["L", "M"]})
    assert [(f.code, f.severity) for f in result.findings] == [("M001", Severity.NOTICE)]
    assert "suppression of L001 on line 1 suppresses nothing here" in result.findings[0].message


def test_unused_suppression_is_a_notice_and_does_not_fail(tmp_path: Path) -> None:
    result = _audit(tmp_path, "<!-- ctamap: disable=L006 -->\n<p>Hi</p>\n")
    assert [(f.code, f.line, f.column) for f in result.findings] == [("M001", 1, 1)]
    assert result.exit_code == 0


def test_suppressions_of_unselected_codes_are_not_reported(tmp_path: Path) -> None:
    result = _audit(tmp_path, "<!-- ctamap: disable=T001 -->\n<p>Hi</p>\n")
    assert result.findings == ()


def test_parse_lines() -> None:
    text = "<p>\n<!-- ctamap:\n disable-next-line=L001 -->\nx\n<!-- ctamap: disable=T -->"
    first, second = parse(text)
    assert (first.code, first.line, first.first, first.last) == ("L001", 2, 4, 4)
    assert (second.code, second.first, second.last) == ("T", 5, 5)
