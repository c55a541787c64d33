"""JUnit XML for CI dashboards: one testcase per audited file, one failure per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctamap.audit import AuditResult
    from ctamap.rules import Finding


def render(result: AuditResult) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_file[finding.path].append(finding)
    errors = {e.path or "": e for e in result.errors}
    failures = sum(bool(v) for v in by_file.values())
    suite = ET.Element(
        "testsuite",
        name="ctamap audit",
        tests=str(len(result.files)),
        failures=str(failures),
        errors=str(len(errors)),
    )
    for path in result.files:
        case = ET.SubElement(suite, "testcase", name=path, classname="ctamap.audit", file=path)
        for f in by_file.get(path, []):
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{f.code} {f.message}",
                type=f"{f.code} {f.name} ({f.severity.value})",
            )
            failure.text = f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}"
        if path in errors:
            ET.SubElement(case, "error", message=errors[path].message).text = str(errors[path])
    root = ET.Element(
        "testsuites",
        name="ctamap",
        tests=suite.get("tests", "0"),
        failures=suite.get("failures", "0"),
        errors=suite.get("errors", "0"),
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
