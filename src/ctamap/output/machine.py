"""Machine formats: ctamap's own JSON, and SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ctamap import __version__

if TYPE_CHECKING:
    from ctamap.audit import AuditResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF's result levels; ctamap's "notice" is SARIF's "note".
_SARIF_LEVEL = {"error": "error", "warning": "warning", "notice": "note"}


def render_json(result: AuditResult) -> str:
    data = {
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "name": f.name,
                "severity": f.severity.value,
                "message": f.message,
            }
            for f in result.findings
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _sarif_rules() -> list[dict[str, Any]]:
    from ctamap.rules import catalogue

    return [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.sections().get("What it does", rule.summary)},
            "help": {"text": rule.doc, "markdown": rule.doc},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity.value]},
        }
        for rule in catalogue()
    ]


def _artifact(path: str) -> dict[str, str]:
    """A file reference relative to the checkout (how code scanning resolves it), or an
    absolute `file:` URI for a file outside the current folder."""
    if PurePath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(PurePath(path).as_posix()), "uriBaseId": "%SRCROOT%"}


def render_sarif(result: AuditResult) -> str:
    rules = _sarif_rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(f.path),
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        for f in result.findings
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": str(e)},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path)}}],
        }
        for e in result.errors
        if e.path
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "ctamap",
                "version": __version__,
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if notifications:
        run["invocations"] = [
            {"executionSuccessful": False, "toolExecutionNotifications": notifications}
        ]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
