"""Which rules run and how loud they are: select, ignore, per-file ignores, severity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ctamap import config as configuration
from ctamap.audit import Selection, audit
from ctamap.errors import ConfigError
from ctamap.rules import RULES, Severity
from ctamap.walk import collect

TEMPLATE = """<html><body>
<a href="#">click here</a>
<a href="http://www.example.com/a">Pricing</a>
</body></html>
"""


def _codes(tmp_path: Path, data: dict[str, object], **kwargs: object) -> list[str]:
    folder = tmp_path / "emails"
    folder.mkdir(exist_ok=True)
    (folder / "promo.html").write_text(TEMPLATE, encoding="utf-8")
    (folder / "welcome.html").write_text(TEMPLATE, encoding="utf-8")
    config = configuration.from_mapping(data, root=tmp_path)
    result = audit(collect([folder], config), config, **kwargs)  # type: ignore[arg-type]
    return [f"{Path(f.path).name}:{f.code}:{f.severity.value}" for f in result.findings]


def test_default_runs_everything(tmp_path: Path) -> None:
    codes = {c.split(":")[1] for c in _codes(tmp_path, {})}
    assert {"L001", "L002", "L006", "L009", "T001"} <= codes


def test_cli_select_replaces_config_select_and_ignore_adds(tmp_path: Path) -> None:
    data = {"audit": {"select": ["T"], "ignore": ["L002"]}}
    assert {c.split(":")[1] for c in _codes(tmp_path, data)} == {"T001"}
    got = _codes(tmp_path, data, select=["L"], ignore=["L009"])
    assert {c.split(":")[1] for c in got} == {"L001", "L006"}


def test_most_specific_wins() -> None:
    config = configuration.from_mapping({"audit": {"ignore": ["L"], "select": ["L006"]}})
    selection = Selection.resolve(config)
    assert selection.enabled("L006") and not selection.enabled("L001")
    assert not selection.enabled("T001")  # select names only L006
    selection = Selection.resolve(configuration.from_mapping({}), ["ALL"], ["L00"])
    assert selection.enabled("T001") and not selection.enabled("L001")


def test_per_file_ignores_and_severity(tmp_path: Path) -> None:
    data = {
        "audit": {
            "select": ["L001", "L006"],
            "per_file_ignores": {"emails/welcome.*": ["L"]},
            "severity": {"L006": "notice", "L0": "warning"},
        }
    }
    assert _codes(tmp_path, data) == ["promo.html:L001:warning", "promo.html:L006:notice"]


def test_notices_only_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<a href="/x">here</a>', encoding="utf-8")
    config = configuration.from_mapping({"audit": {"severity": {"L": "notice"}}})
    result = audit(collect([tmp_path / "a.html"], config), config, select=["L006"])
    assert [f.severity for f in result.findings] == [Severity.NOTICE]
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        ({"audit": {"select": ["L0006"]}}, "did you mean 'L006'"),
        ({"audit": {"ignore": ["T01"]}}, "unknown rule code 'T01'"),
        ({"audit": {"severity": {"P004": "error"}}}, "did you mean"),
        ({"audit": {"per_file_ignores": {"*.txt": ["V9"]}}}, "per_file_ignores '*.txt'"),
    ],
)
def test_unknown_codes_are_config_errors(data: dict[str, object], hint: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(hint)):
        Selection.resolve(configuration.from_mapping(data))


def test_every_code_is_selectable() -> None:
    selection = Selection.resolve(configuration.from_mapping({}))
    assert all(selection.enabled(code) for code in RULES)
