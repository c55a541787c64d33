"""Every rule documents itself in ruff's sections; `ctamap rules` prints that documentation."""

from __future__ import annotations

import re

import pytest

from ctamap.rules import DOC_SECTIONS, RULES, catalogue


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_docstring_has_every_section_in_order(code: str) -> None:
    rule = RULES[code]
    sections = rule.sections()
    assert list(sections) == list(DOC_SECTIONS), f"{code} sections: {list(sections)}"
    assert all(body for body in sections.values()), f"{code} has an empty section"
    assert rule.summary and not rule.summary.startswith("#")


def test_a_docstring_without_a_section_is_caught() -> None:
    from ctamap.rules.base import Rule, Severity

    def check(ctx: object) -> list[object]:
        """Summary.

        ## What it does
        Something.

        ## Example
        x
        """
        return []

    rule = Rule("X999", "example", Severity.NOTICE, "Summary.", check)  # type: ignore[arg-type]
    assert list(rule.sections()) != list(DOC_SECTIONS)


def test_codes_names_and_families() -> None:
    codes = [rule.code for rule in catalogue()]
    expected = [f"L00{i}" for i in range(1, 10)] + ["L010"] + [f"T00{i}" for i in range(1, 8)]
    expected += ["V001", "V002", "P001", "P002", "P003", "S001", "M001"]
    assert codes == expected
    for rule in catalogue():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name), rule.name
    assert len({rule.name for rule in catalogue()}) == len(codes)
