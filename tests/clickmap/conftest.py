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
    """Deliveries, opens and clicks for every template of a link map, with figures that differ
    per CTA; clicked URLs are the tracked URLs with template tags filled in. As in a real send,
    each message is one email: recipients take the templates in turn, click only that
    template's links, and every event carries its template as the `template` custom arg
    (SendGrid posts custom args as top-level keys of each event)."""
    rng = random.Random(seed)
    links = json.loads(link_map.read_text(encoding="utf-8"))["links"]
    tracked = [link for link in links if link["tracked"] and link["status"] == "active"]
    by_template: dict[str, list[dict[str, object]]] = {}
    for link in tracked:
        by_template.setdefault(str(link["template"]), []).append(link)
    templates = sorted(by_template) or [""]
    events: list[dict[str, object]] = []
    serial = iter(range(1, 10**6))
    start = 1_767_225_600  # 2026-01-01
    for n in range(max(60, 6 * len(templates))):
        email = f"user{n}@example.org"
        template = templates[n % len(templates)]
        common = {"email": email, "sg_message_id": f"m{n}", "template": template}
        at = start + n * 600
        events.append({**common, "event": "delivered", "sg_event_id": f"e{next(serial)}",
                       "timestamp": at})  # fmt: skip
        if n % 3 == 0:
            continue
        events.append({**common, "event": "open", "sg_event_id": f"e{next(serial)}",
                       "timestamp": at + 60})  # fmt: skip
        for i, link in enumerate(by_template.get(template, [])):
            if rng.random() < 0.9 / (i + 1):
                url = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "x", str(link["tracked_url"]))
                when = at + 120 + i * 30 + n % 7 * 86400
                events.append({**common, "event": "click", "sg_event_id": f"e{next(serial)}",
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


LAYOUTS = FIXTURES / "clickmap" / "layouts"

#: Who clicks what in the layout scenario: (email, link ID) -> the recipients' numbers, one
#: click per entry (a number twice is a repeat click). Two emails share `layouts/base.html`
#: and `partials/footer.html`; their clicks on the layout's links differ on purpose.
LAYOUT_CLICKS: dict[tuple[str, str], list[int]] = {
    ("welcome", "welcome.start-your-trial"): list(range(10)),
    ("welcome", "base.example-home"): [0, 0, 1, 2, 3, 4, 5],
    ("welcome", "footer.our-blog"): [10, 11],
    ("receipt", "receipt.view-your-order"): list(range(8)),
    ("receipt", "base.example-home"): [0, 1],
    # An email with no link of its own (so not in the link map): only the layout's links.
    ("password-reset", "base.example-home"): [0, 1, 2],
}
#: (email, delivered, opened): recipients 0..delivered-1 get it, 0..opened-1 open it.
LAYOUT_SENDS = (("welcome", 40, 30), ("receipt", 20, 15), ("password-reset", 10, 8))


def layout_events(link_map: Path) -> Path:
    """SendGrid Event Webhook lines for the layout scenario. Every event carries the `template`
    custom arg naming its email, as SendGrid posts custom args: top-level keys of each event
    (docs.sendgrid.com, "Event Webhook Reference", unique arguments / custom args)."""
    links = json.loads(link_map.read_text(encoding="utf-8"))["links"]
    tracked = {link["id"]: str(link["tracked_url"]) for link in links if link["tracked"]}
    start = 1_767_225_600  # 2026-01-01
    serial = iter(range(1, 10**6))
    events: list[dict[str, object]] = []

    def event(email: str, n: int, kind: str, at: int, **extra: object) -> None:
        events.append({"email": f"{email}{n}@example.org", "event": kind, "timestamp": at,
                       "sg_event_id": f"e{next(serial)}", "sg_message_id": f"{email}-{n}",
                       "template": email, **extra})  # fmt: skip

    for email, delivered, opened in LAYOUT_SENDS:
        for n in range(delivered):
            event(email, n, "delivered", start + n)
            if n < opened:
                event(email, n, "open", start + 600 + n)
    for (email, link_id), who in LAYOUT_CLICKS.items():
        url = re.sub(r"\{\{\s*utm_campaign\s*\}\}", "spring", tracked[link_id])
        url = re.sub(r"\{\{.*?\}\}", "1001", url)
        for i, n in enumerate(who):  # minutes apart: no click is a bot's burst
            event(email, n, "click", start + 3600 + 600 * i + 60 * n, url=url)
    path = link_map.parent / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.fixture
def layout_campaign(tmp_path: Path) -> Path:
    """Two emails on one layout and partial, instrumented in a temp folder; its link map."""
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    return instrument(folder, "--config", str(folder / "ctamap.toml"))
