"""Golden files of the click map's page structure (`pageinfo.structure`): sections, summary
cards, row accounting, tabs, per frame its decorated links with their badges, placeholders and
image boxes, the link tables, the unmatched URLs. A change in layout, badges or escaping shows
up as a diff of `fixtures/clickmap/golden/<case>.json` in review.

After a deliberate change, rewrite them and read the diff before committing:

    .venv/bin/pytest tests/clickmap/test_goldens.py --update-goldens
    git diff fixtures/clickmap/golden/
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clickmap import pageinfo
from tests.clickmap.conftest import (
    DEMO_EVENTS,
    LAYOUTS,
    instrument,
    layout_events,
    report,
    write_events,
)
from tests.conftest import CORPUS, FIXTURES, NO_CORPUS

GOLDEN = FIXTURES / "clickmap" / "golden"


def _demo(tmp_path: Path) -> tuple[Path, Path]:
    from typer.testing import CliRunner

    from ctamap.cli import app

    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        ["instrument", str(FIXTURES / "campaign"), "--config",
         str(FIXTURES / "campaign" / "ctamap.toml"), "--out-dir", str(out), "--map",
         str(out / "ctamap.linkmap.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "ctamap.linkmap.json", DEMO_EVENTS


def _hostile(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "hostile"
    folder.mkdir()
    shutil.copy(FIXTURES / "clickmap" / "hostile.html", folder / "offer.html")
    link_map = instrument(folder)
    return link_map, write_events(link_map)


def _escaping(tmp_path: Path) -> tuple[Path, Path]:
    """Entities, quotes and markup-like text in a template and in a clicked URL."""
    folder = tmp_path / "escaping"
    folder.mkdir()
    (folder / "promo.html").write_text(
        "<html><head><title>Tom &amp; Jerry&#39;s &lt;deal&gt;</title></head><body>"
        '<p>5 &lt; 6 &amp;&amp; "quotes" &#8212; {{ user.name }}</p>'
        '<a href="https://www.example.com/a?q=&quot;&gt;&lt;b&gt;&amp;x=1">&lt;b&gt;Bold&lt;/b&gt;'
        " &amp; more</a></body></html>",
        encoding="utf-8",
    )
    link_map = instrument(folder)
    events = write_events(link_map)
    with events.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"email": "a@example.org", "event": "click", "sg_event_id": "x1",
                              "timestamp": 1767225600,
                              "url": 'https://elsewhere.example.com/"><script>x</script>'})
                  + "\n")  # fmt: skip
    return link_map, events


def _layouts(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    link_map = instrument(folder, "--config", str(folder / "ctamap.toml"))
    return link_map, layout_events(link_map)


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    source = CORPUS / "postmark-templates" / "templates-inlined" / "basic-full"
    if not source.is_dir():
        pytest.skip(NO_CORPUS)
    folder = tmp_path / "corpus"
    shutil.copytree(source, folder)
    link_map = instrument(folder)
    return link_map, write_events(link_map)


def _scenario(tmp_path: Path) -> tuple[Path, Path]:
    """The report's shared oracle scenario (tests/report/test_scenario.py, seed 1): a link map
    whose templates are not beside it, so the page says so and lists the figures."""
    from tests.report.test_scenario import _scenario as rows
    from tests.report.test_scenario import _write

    folder = tmp_path / "scenario"
    folder.mkdir()
    shutil.copy(FIXTURES / "events" / "linkmap.json", folder / "ctamap.linkmap.json")
    _write(rows(1), folder / "events.csv")
    return folder / "ctamap.linkmap.json", folder / "events.csv"


def _provider_samples(tmp_path: Path) -> tuple[Path, Path]:
    """Every provider sample of fixtures/events in one report (each read by its own reader)."""
    folder = tmp_path / "samples"
    folder.mkdir()
    shutil.copy(FIXTURES / "events" / "linkmap.json", folder / "ctamap.linkmap.json")
    return folder / "ctamap.linkmap.json", FIXTURES / "events" / "sendgrid.json"


#: Case name -> how to build its link map and events in a temp folder.
CASES: dict[str, Callable[[Path], tuple[Path, Path]]] = {
    "scenario": _scenario,
    "provider-sample-sendgrid": _provider_samples,
    "demo": _demo,
    "escaping": _escaping,
    "hostile": _hostile,
    "layouts": _layouts,
    "corpus-postmark-basic-full": _corpus,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_page_structure_matches_the_golden(case: str, tmp_path: Path, update_goldens: bool) -> None:
    link_map, events = CASES[case](tmp_path)
    # The scenario's window ends where its out-of-window rows begin.
    options = ("--until", "2024-05-03T08:00:00Z") if case == "scenario" else ()
    _, text = report(link_map, events, options=options)
    found = pageinfo.structure(pageinfo.parse(text), {str(tmp_path.resolve()): "<tmp>"})
    golden = GOLDEN / f"{case}.json"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert golden.is_file(), f"no golden for {case}: run with --update-goldens and read it"
    assert found == json.loads(golden.read_text(encoding="utf-8"))
