"""Every output format, parsed back: text, JSON, SARIF 2.1.0, GitHub annotations, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ctamap import config as configuration
from ctamap.audit import AuditResult, run
from ctamap.errors import InputError
from ctamap.output import FORMATTERS
from ctamap.rules import RULES, Finding, Severity

BAD = """<html><body>
<a href="#">click here</a>
<a href="http://www.example.com/a,b">Pricing, 100%</a>
</body></html>
"""


@pytest.fixture
def result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditResult:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "bad.html").write_text(BAD, encoding="utf-8")
    (tmp_path / "emails" / "clean.txt").write_text("Hello\n", encoding="utf-8")
    (tmp_path / "emails" / "broken.html").write_bytes(b"\xff\xfe<a href='x'>")
    config = configuration.load(None, start=tmp_path)
    return run([Path("emails")], config, select=["L"])


def test_text_is_sorted_path_line_col_code_message(result: AuditResult) -> None:
    lines = FORMATTERS["text"](result).splitlines()
    assert lines == [
        "emails/bad.html:1:7: L009 HTML document has no unsubscribe link",
        'emails/bad.html:2:1: L001 "click here" (#) has a placeholder href: link the real page',
        'emails/bad.html:2:1: L006 "click here" (#) has vague link text: say what it leads to',
        'emails/bad.html:3:1: L002 "Pricing, 100%" (http://www.example.com/a,b) uses insecure '
        "http://: use https://",
    ]


def test_json_shape(result: AuditResult) -> None:
    data = json.loads(FORMATTERS["json"](result))
    first = data["findings"][0]
    assert list(first) == ["path", "line", "column", "code", "name", "severity", "message"]
    assert first["code"] == "L009" and first["severity"] == "warning"
    assert isinstance(first["line"], int) and isinstance(first["column"], int)
    assert [e["path"] for e in data["errors"]] == ["emails/broken.html"]


def test_sarif_2_1_0(result: AuditResult) -> None:
    log = json.loads(FORMATTERS["sarif"](result))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "ctamap"
    assert [r["id"] for r in driver["rules"]] == [
        r.code for r in sorted(RULES.values(), key=lambda r: ("LTVPSM".find(r.code[0]), r.code))
    ]
    for described in driver["rules"]:
        assert described["shortDescription"]["text"]
        assert described["fullDescription"]["text"]
        assert "## Why it matters" in described["help"]["markdown"]
        assert described["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run_["results"]
    assert len(results) == len(result.findings)
    for item, finding in zip(results, result.findings, strict=True):
        assert item["ruleId"] == finding.code
        assert driver["rules"][item["ruleIndex"]]["id"] == finding.code
        assert item["message"]["text"] == finding.message
        (location,) = item["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "emails/bad.html", "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == {"startLine": finding.line, "startColumn": finding.column}
    notification = run_["invocations"][0]["toolExecutionNotifications"][0]
    assert "broken.html" in notification["message"]["text"]


def test_sarif_levels_and_absolute_paths() -> None:
    finding = Finding("/abs/a b.html", 1, 2, "T006", "too-many-ctas", Severity.NOTICE, "m")
    log = json.loads(FORMATTERS["sarif"](AuditResult((finding,), ("/abs/a b.html",))))
    item = log["runs"][0]["results"][0]
    assert item["level"] == "note"
    assert item["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///abs/a%20b.html"
    }


def test_github_annotations(result: AuditResult) -> None:
    lines = FORMATTERS["github"](result).splitlines()
    assert lines[0] == (
        "::warning file=emails/bad.html,line=1,col=7,title=L009::"
        "L009 HTML document has no unsubscribe link"
    )
    assert lines[1].startswith("::error file=emails/bad.html,line=2,col=1,title=L001::L001 ")
    # `%` is escaped in the message; `,` and `:` only in properties.
    assert "Pricing, 100%25" in lines[3]
    assert lines[-1].startswith("::error file=emails/broken.html,line=1,title=ctamap::")


def test_github_escapes_properties() -> None:
    finding = Finding("a,b:c.html", 1, 1, "L001", "placeholder-href", Severity.ERROR, "x\ny")
    out = FORMATTERS["github"](AuditResult((finding,), ("a,b:c.html",)))
    assert out == "::error file=a%2Cb%3Ac.html,line=1,col=1,title=L001::L001 x%0Ay\n"


def test_junit_one_testcase_per_file(result: AuditResult) -> None:
    root = ET.fromstring(FORMATTERS["junit"](result))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"emails/bad.html", "emails/broken.html", "emails/clean.txt"}
    failures = cases["emails/bad.html"].findall("failure")
    assert [f.get("message", "").split()[0] for f in failures] == ["L009", "L001", "L006", "L002"]
    assert cases["emails/clean.txt"].findall("failure") == []
    assert cases["emails/broken.html"].find("error") is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("errors") == "1"


def test_every_format_handles_an_empty_result() -> None:
    empty = AuditResult((), ())
    for name, render in FORMATTERS.items():
        out = render(empty)
        if name in ("json", "sarif"):
            json.loads(out)
        elif name == "junit":
            ET.fromstring(out)
        else:
            assert out == ""


def test_errors_are_kept_apart_from_findings() -> None:
    error = InputError("not valid UTF-8", path="x.html", line=3)
    result = AuditResult((), ("x.html",), (error,))
    assert result.exit_code == 2
    assert json.loads(FORMATTERS["json"](result))["errors"] == [
        {"path": "x.html", "line": 3, "message": "not valid UTF-8"}
    ]
