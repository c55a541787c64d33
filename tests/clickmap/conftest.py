"""Click map fixtures: the demo campaign instrumented into a temp folder with its bundled
events, a campaign built from the shared corpus with generated events, and a page reader."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from tests.conftest import CORPUS, FIXTURES

DEMO_EVENTS = FIXTURES / "demo" / "sendgrid-events.jsonl"


def instrument(folder: Path, *extra: str) -> Path:
    """`ctamap instrument` a folder in place; returns its link map."""
    link_map = folder / "ctamap.linkmap.json"
    result = CliRunner().invoke(app, ["instrument", str(folder), "--map", str(link_map), *extra])
    assert result.exit_code == 0, result.output
    return link_map


def report(link_map: Path, *logs: Path | str, options: tuple[str, ...] = ()) -> tuple[str, str]:
    """Run `ctamap report --html`; returns (stdout, the page)."""
    page = link_map.parent / "clickmap.html"
    result = CliRunner().invoke(
        app, ["report", "--map", str(link_map), *map(str, logs), "--html", str(page), *options]
    )
    assert result.exit_code == 0, result.output
    return result.stdout, page.read_text(encoding="utf-8")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo campaign as `make demo` builds it: an instrumented copy and its link map."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        [
            "instrument", str(FIXTURES / "campaign"), "--config",
            str(FIXTURES / "campaign" / "ctamap.toml"), "--out-dir", str(out), "--map",
            str(out / "ctamap.linkmap.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "ctamap.linkmap.json"


def _sendgrid_events(link_map: Path, seed: int) -> list[dict[str, object]]:
    """Deliveries, opens and clicks for every email of a link map, with figures that differ
    per CTA; clicked URLs are the tracked URLs with template tags filled in."""
    rng = random.Random(seed)
    links = json.loads(link_map.read_text(encoding="utf-8"))["links"]
    tracked = [link for link in links if link["tracked"] and link["status"] == "active"]
    events: list[dict[str, object]] = []
    serial = iter(range(1, 10**6))
    start = 1_767_225_600  # 2026-01-01
    for n in range(60):
        email = f"user{n}@example.org"
        at = start + n * 600
        events.append({"email": email, "event": "delivered", "sg_event_id": f"e{next(serial)}",
                       "sg_message_id": f"m{n}", "timestamp": at})  # fmt: skip
        if n % 3 == 0:
            continue
        events.append({"email": email, "event": "open", "sg_event_id": f"e{next(serial)}",
                       "sg_message_id": f"m{n}", "timestamp": at + 60})  # fmt: skip
        for i, link in enumerate(tracked):
            if rng.random() < 0.9 / (i + 1):
                url = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "x", str(link["tracked_url"]))
                when = at + 120 + i * 30 + n % 7 * 86400
                events.append({"email": email, "event": "click",
                               "sg_event_id": f"e{next(serial)}", "sg_message_id": f"m{n}",
                               "timestamp": when, "url": url})  # fmt: skip
    return events


def write_events(link_map: Path, seed: int = 10) -> Path:
    path = link_map.parent / "events.jsonl"
    lines = [json.dumps(e) for e in _sendgrid_events(link_map, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus_campaign(tmp_path: Path) -> Path:
    """Postmark's inlined basic templates (HTML + text twins), instrumented in a temp folder."""
    source = CORPUS / "postmark-templates" / "templates-inlined" / "basic-full"
    if not source.is_dir():
        pytest.skip("the shared corpus is not beside this checkout")
    folder = tmp_path / "corpus"
    shutil.copytree(source, folder)
    return instrument(folder)
