"""Every rule's cases as data: fixtures/rules/<CODE>.toml holds `pass`, `fail` and `fix` cases.

A case is one template (`template`, named `filename`, default `email.html`) or several
(`files`, with `path` naming the one audited for findings). `fail` cases list the expected
`[line, column]` of each finding of the rule; `fix` cases give the text after applying the
findings' edits, which must itself pass the rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ctamap import config as configuration
from ctamap.audit import audit
from ctamap.rules import RULES, Finding, apply_edits
from ctamap.walk import collect

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "rules"


@dataclass(frozen=True)
class Case:
    code: str
    kind: str  # pass | fail | fix
    name: str
    data: dict[str, Any]
    config: dict[str, Any]


def _load() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        code = data["rule"]
        assert path.stem == code, f"{path.name} describes {code}"
        for kind in ("pass", "fail", "fix"):
            for entry in data.get(kind, []):
                merged = {**data.get("config", {}), **entry.get("config", {})}
                cases.append(Case(code, kind, entry["name"], entry, merged))
    return cases


CASES = _load()


def _run(case: Case, tmp_path: Path, files: dict[str, str] | None = None) -> list[Finding]:
    files = files or _files(case)
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    config = configuration.from_mapping(case.config, root=tmp_path)
    audited = case.data.get("audit", list(files))
    found = collect([tmp_path / name for name in audited], config)
    # Only the rule under test runs, unless the case needs others (M001 judges suppressions).
    result = audit(found, config, select=case.data.get("select", [case.code]))
    target_file = (tmp_path / _target(case)).resolve()
    return [
        f for f in result.findings if Path(f.path).resolve() == target_file and f.code == case.code
    ]


def _files(case: Case) -> dict[str, str]:
    if "files" in case.data:
        return dict(case.data["files"])
    return {case.data.get("filename", "email.html"): case.data["template"]}


def _target(case: Case) -> str:
    return str(case.data.get("path", next(iter(_files(case)))))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.kind}-{c.name}" for c in CASES])
def test_rule_case(case: Case, tmp_path: Path) -> None:
    findings = _run(case, tmp_path)
    if case.kind == "pass":
        assert findings == [], [f.message for f in findings]
    elif case.kind == "fail":
        positions = [[f.line, f.column] for f in findings]
        assert positions == case.data["expected"], [f.message for f in findings]
        for finding, needle in zip(findings, case.data.get("messages", []), strict=False):
            assert needle in finding.message
    else:
        assert findings, "a fix case must fail before its fix"
        original = _files(case)[_target(case)]
        edits = [edit for f in findings for edit in f.fixes]
        assert edits, "the rule offered no fix"
        fixed = apply_edits(original, edits)
        assert fixed == case.data["fixed"]
        rerun = _run(case, tmp_path / "fixed", {**_files(case), _target(case): fixed})
        assert rerun == [], "the fixed text still fails the rule"


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_cases(code: str) -> None:
    kinds = {c.kind for c in CASES if c.code == code}
    assert {"pass", "fail"} <= kinds, f"fixtures/rules/{code}.toml needs pass and fail cases"
    if "suggested fix" in RULES[code].doc:
        assert "fix" in kinds, f"{code} documents a suggested fix: add a fix case"
