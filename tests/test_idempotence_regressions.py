"""Regressions found by the property tests: each one made a second `instrument` run differ from
the first (or broke a destination), which a pre-commit `instrument --check` would report forever.
"""

from __future__ import annotations

import json
from pathlib import Path

from ctamap.config import from_mapping
from ctamap.inventory import rows
from ctamap.urls import set_params, without_params
from ctamap.workspace import instrument, open_workspace

MANAGED = {"utm_source", "utm_medium", "utm_campaign", "utm_content", "cta_id"}


def _run(tmp_path: Path, html: str, *, check: bool = False) -> tuple[bool, tuple[str, ...]]:
    """Instrument `email.html` under `tmp_path` once; (link map changed, templates changed)."""
    path = tmp_path / "email.html"
    if not path.exists():
        path.write_text(html, encoding="utf-8")
    config = from_mapping(
        {"first_party_domains": ["example.com"], "pixel": {"url": "https://t.example.com/o.gif"}},
        root=tmp_path,
    )
    result = instrument(open_workspace([path], config), check=check)
    return result.map_changed, result.changed


def _ids_by_line(tmp_path: Path) -> list[tuple[int, str]]:
    """(line, ID) of every link, as `inventory` shows them (the map keeps no positions)."""
    config = from_mapping({"first_party_domains": ["example.com"]}, root=tmp_path)
    workspace = open_workspace([tmp_path / "email.html"], config)
    known = {e["id"] for e in json.loads((tmp_path / "ctamap.linkmap.json").read_text())["links"]}
    found = sorted((r.line, r.id) for r in rows(workspace))
    assert {i for _, i in found} <= known
    return found


def test_check_passes_right_after_instrument_when_links_share_a_line(tmp_path: Path) -> None:
    # The map used to record columns of the text before the edits; the second run saw the
    # columns of the instrumented text and rewrote the map.
    html = '<body><a href="https://example.com/a">A</a> <a href="https://example.com/b">B</a>'
    map_changed, changed = _run(tmp_path, html + "</body>\n")
    assert map_changed and len(changed) == 1
    assert _run(tmp_path, "", check=True) == (False, ())


def test_alike_ctas_keep_their_ids_in_document_order(tmp_path: Path) -> None:
    # IDs `x`, `x-2` … `x-10` used to be handed back in string order (`x`, `x-10`, `x-2` …).
    # Untracked links carry no `cta_id` in the href to find their ID by.
    html = "<body>\n" + '<a href="https://other.org/vote">Vote</a>\n' * 11 + "</body>\n"
    _run(tmp_path, html)
    first = _ids_by_line(tmp_path)
    assert first[0][1] == "email.vote" and first[-1][1] == "email.vote-11"
    assert _run(tmp_path, "") == (False, ())
    assert _ids_by_line(tmp_path) == first


def test_a_data_cta_used_twice_keeps_both_ids(tmp_path: Path) -> None:
    html = '<body>\n<a href="" data-cta="hero">A</a>\n<a href="" data-cta="hero">B</a>\n</body>'
    _run(tmp_path, html)
    assert [i for _, i in _ids_by_line(tmp_path)] == ["email.hero", "email.hero-2"]
    assert _run(tmp_path, "") == (False, ())


def test_a_dangling_separator_maps_to_the_same_url_before_and_after(tmp_path: Path) -> None:
    assert without_params("https://example.com/?a=1&", MANAGED) == "https://example.com/?a=1"
    tracked = "https://example.com/?a=1&utm_medium=email&cta_id=x"
    assert without_params(tracked, MANAGED) == "https://example.com/?a=1"
    _run(tmp_path, '<body><a href="https://example.com/?a=1&amp;">Go</a></body>')
    assert _run(tmp_path, "") == (False, ())


def test_numeric_ampersand_reference_is_a_separator_not_a_fragment() -> None:
    # `&#38;` used to be read as a fragment (`#38;b=2`): `b` was cut off the query.
    wanted = [("utm_medium", "email")]
    assert set_params("https://e.com/?a=1&#38;b=2", wanted) == (
        "https://e.com/?a=1&#38;b=2&utm_medium=email"
    )
    assert set_params("https://e.com/?a=1&#x26;b=2#top", wanted) == (
        "https://e.com/?a=1&#x26;b=2&utm_medium=email#top"
    )
    # `&#35;` is an encoded `#`: it does start the fragment.
    assert set_params("https://e.com/?a=1&#35;top", wanted, default_separator="&") == (
        "https://e.com/?a=1&utm_medium=email&#35;top"
    )


def test_unquoted_href_ending_in_slash_is_not_a_self_closing_tag(tmp_path: Path) -> None:
    # `<a href=https://example.com/>Go</a>` lost its text "Go" (read as `<a/>`) until the
    # first run quoted the value; the second run then renamed the CTA.
    _run(tmp_path, "<body><a href=https://example.com/>Go now</a></body>")
    assert [i for _, i in _ids_by_line(tmp_path)] == ["email.go-now"]
    assert _run(tmp_path, "") == (False, ())
