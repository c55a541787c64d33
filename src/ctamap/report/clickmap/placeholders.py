"""Template tags made readable: an expression becomes a labelled placeholder (or its value from
`--sample-data`), a statement or comment disappears (both branches of an `if` stay visible).

Tags are found by `ctamap.source`'s masking, so every syntax ctamap reads (Jinja, Handlebars,
Liquid, Mailchimp merge tags, AMPscript, Mailjet) gets the same treatment.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ctamap.errors import InputError
from ctamap.source import SpanKind, TemplateSpan

_OPEN = re.compile(r"^(?:\{\{\{|\{\{|\{%|\*\||%%=|%%\[|%%|\[\[)[-~+=\s]*")
_CLOSE = re.compile(r"[-~+=\s]*(?:\}\}\}|\}\}|%\}|\|\*|=%%|\]%%|%%|\]\])$")
_AMP_VAR = re.compile(r"@([A-Za-z_]\w*)")
_WORD = re.compile(r"[A-Za-z_][\w.-]*")
_BRAZE = re.compile(r"^\$\{([^}]*)\}$")
_LABEL_MAX = 40


@dataclass(frozen=True)
class Tag:
    """One template expression: the label a reader sees and the variable path it reads."""

    label: str
    path: str


def describe(expression: str) -> Tag:
    """`{{ user.first_name | title }}` -> label `user.first_name | title`, path
    `user.first_name`; `*|FNAME|*` -> `FNAME`; `%%=v(@name)=%%` -> `v(@name)`, path `name`."""
    inner = _CLOSE.sub("", _OPEN.sub("", expression.strip())).strip()
    inner = " ".join(inner.split())
    braze = _BRAZE.match(inner)
    if braze:
        inner = braze.group(1).strip()
    if amp := _AMP_VAR.search(inner):
        path = amp.group(1)
    else:
        head = re.sub(r"^(?:var|data):", "", inner)
        word = _WORD.search(head)
        path = word.group() if word else ""
    label = inner if len(inner) <= _LABEL_MAX else inner[: _LABEL_MAX - 1] + "…"
    return Tag(label or expression.strip()[:_LABEL_MAX], path)


@dataclass(frozen=True)
class SampleData:
    """Values for template variables, per template and shared (`--sample-data FILE`).

    The file is a JSON or TOML table. A key that names a template (its link-map path, file
    name or file stem) holds that template's values; `"*"` and every other key are shared by
    all templates. Values may nest (`user.first_name`) or be flat (`"user.first_name"`).
    """

    shared: Mapping[str, Any] = field(default_factory=dict)
    per_template: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_template(self, key: str) -> Mapping[str, Any]:
        name = PurePosixPath(key).name
        stem = name.split(".")[0]
        values = dict(self.shared)
        for candidate in (stem, name, key):
            values.update(self.per_template.get(candidate, {}))
        return values


def load_sample_data(path: Path, template_keys: list[str]) -> SampleData:
    """Read `--sample-data`; a bad file is one `InputError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read sample data ({error})", path=str(path)) from None
    data: Any
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"sample data is not valid TOML ({error})", path=str(path)) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"sample data is not valid JSON: {error.msg}", path=str(path), line=error.lineno
        ) from None
    if not isinstance(data, dict):
        raise InputError("sample data must be a table of values (a JSON object)", path=str(path))
    names = set()
    for key in template_keys:
        name = PurePosixPath(key).name
        names.update({key, name, name.split(".")[0]})
    shared: dict[str, Any] = dict(data.get("*", {})) if isinstance(data.get("*"), dict) else {}
    per_template: dict[str, Mapping[str, Any]] = {}
    for key, value in data.items():
        if key == "*":
            continue
        if key in names and isinstance(value, dict):
            per_template[key] = value
        else:
            shared[key] = value
    return SampleData(shared, per_template)


def lookup(values: Mapping[str, Any], path: str) -> str | None:
    """The sample value at a dotted `path`, as text; None when the data has none."""
    if not path:
        return None
    if path in values:
        found: Any = values[path]
    else:
        found = values
        for part in path.split("."):
            if isinstance(found, Mapping) and part in found:
                found = found[part]
            else:
                return None
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, (str, int, float)):
        return str(found)
    return None


@dataclass(frozen=True)
class Replacement:
    """What one template tag becomes in the page's copy."""

    span: TemplateSpan
    tag: Tag | None
    """None for statements and comments (they become nothing)."""
    value: str | None
    """The sample value, when the data has one."""


def replacements(
    text: str, spans: tuple[TemplateSpan, ...], values: Mapping[str, Any]
) -> list[Replacement]:
    out: list[Replacement] = []
    for span in spans:
        if span.kind is not SpanKind.EXPR:
            out.append(Replacement(span, None, None))
            continue
        tag = describe(text[span.start : span.end])
        out.append(Replacement(span, tag, lookup(values, tag.path)))
    return out
