"""Each provider's docs page (docs/providers/NAME.md) stays in step with its reader: it names
`--input-format NAME`, every field the reader reads and every key detection looks for, and the
report page links it. Adding a field to a provider module without documenting it fails here."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from ctamap.report.providers import PROVIDERS, Provider
from ctamap.report.providers.generic import CSV_FIELDS
from tests.conftest import REPO

DOCS = REPO / "docs"

#: JSON paths in a reader's SQL: `json_extract_string(j, '$.a.b')`, `json_type(j, '$.items')`.
_PATH = re.compile(r"json_\w+\(\w+, '(\$[^']*)'\)")


def _key(path: str) -> str:
    """`$."client-info".bot` -> `client-info.bot`; `$.category[0]` -> `category`."""
    key = path.removeprefix("$").removeprefix(".").replace('"', "")
    return re.sub(r"\[[^\]]*\]|\.\*$", "", key)


def _read_keys(provider: Provider) -> set[str]:
    """Every key of the provider's events the reader reads (its own helper keys aside)."""
    sql = [getattr(provider.fields, f.name) for f in fields(provider.fields)]
    sql += list(provider.records)
    keys = {_key(path) for text in sql for path in _PATH.findall(text.replace("''", '"'))}
    return {key for key in keys if key and not key.startswith("ctamap_")}


def _detection_keys(provider: Provider) -> set[str]:
    signature = provider.signature
    keys = {key for entry in signature.required for key in entry.split("|")}
    keys |= set(signature.distinctive) | set(signature.values)
    return {key for key in keys if not key.startswith("ctamap_")}


def _page(name: str) -> str:
    path = DOCS / "providers" / f"{name}.md"
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: one page per provider"
    return path.read_text("utf-8")


def _quoted(page: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", page))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_provider_page_names_every_field_read(provider: Provider) -> None:
    page = _page(provider.name)
    assert f"`--input-format {provider.name}`" in page
    missing = sorted(_read_keys(provider) - _quoted(page))
    assert not missing, f"docs/providers/{provider.name}.md does not mention {missing}"


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_provider_page_names_every_detection_key(provider: Provider) -> None:
    missing = sorted(_detection_keys(provider) - _quoted(_page(provider.name)))
    assert not missing, f"docs/providers/{provider.name}.md does not mention {missing}"


def test_csv_page_names_every_field_and_header() -> None:
    quoted = _quoted(_page("csv"))
    names = {*CSV_FIELDS, *(alias for aliases in CSV_FIELDS.values() for alias in aliases)}
    missing = sorted(names - quoted)
    assert not missing, f"docs/providers/csv.md does not mention {missing}"


def test_key_extraction_finds_what_a_reader_reads() -> None:
    # Guards the test itself: if the SQL helpers change shape, the checks above must not pass
    # by finding nothing.
    sendgrid = next(p for p in PROVIDERS if p.name == "sendgrid")
    assert {"email", "sg_event_id", "url_offset.type", "category"} <= _read_keys(sendgrid)
    mailgun = next(p for p in PROVIDERS if p.name == "mailgun")
    assert {"client-info.bot", "event-data", "items"} <= _read_keys(mailgun)


def test_report_page_links_every_provider_page() -> None:
    report = (DOCS / "report.md").read_text("utf-8")
    pages = sorted(Path(DOCS / "providers").glob("*.md"))
    assert {p.stem for p in pages} == {*(p.name for p in PROVIDERS), "csv"}
    for page in pages:
        assert f"(providers/{page.name})" in report


# -- docs/report.md ------------------------------------------------------------------------------


def test_report_page_defines_every_figure_reason_and_output() -> None:
    from ctamap.report.model import EXCLUSION_REASONS, Summary
    from ctamap.report.render import _CTA_FIELDS, CSV_TABLES, RENDERERS

    quoted = _quoted((DOCS / "report.md").read_text("utf-8"))
    names = {f.name for f in fields(Summary)} | set(_CTA_FIELDS) | set(EXCLUSION_REASONS)
    names |= {"ctamap.report/1", "time_range", "first_event", "last_event", "groups"}
    missing = sorted(names - quoted)
    assert not missing, f"docs/report.md does not define {missing}"
    page = (DOCS / "report.md").read_text("utf-8")
    for name in (*RENDERERS, *CSV_TABLES):
        assert re.search(rf"`[^`]*\b{name}\b[^`]*`", page), name


def test_report_page_lists_every_option() -> None:
    import typer.main

    from ctamap.cli import app

    command = typer.main.get_command(app)
    report = command.commands["report"]  # type: ignore[attr-defined]
    page = (DOCS / "report.md").read_text("utf-8")
    options = [opt for param in report.params for opt in param.opts if opt.startswith("--")]
    missing = [opt for opt in options if f"`{opt}" not in page and f", `{opt}" not in page]
    assert not missing, f"docs/report.md does not list {missing}"
