"""The click map in a real browser: Debian's Chromium, headless, off the network (see
browser.py). Skipped only when no chromium binary exists here; `.ci/run` installs one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clickmap.browser import Requests, browser, chromium_path, open_page
from tests.clickmap.conftest import DEMO_EVENTS, instrument, report, write_events
from tests.conftest import FIXTURES, REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="no chromium binary (apt-get install chromium; .ci/run installs it)",
    ),
]
ARTIFACTS = REPO / "build" / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> Any:
    with browser() as context:
        yield context


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_demo_loads_offline_with_every_badge_on_its_link(chromium: Any, demo: Path) -> None:
    stdout, _ = report(demo, DEMO_EVENTS, options=("-o", "json"))
    figures = {cta["id"]: cta for cta in json.loads(stdout)["ctas"]}
    requests = Requests()
    page = open_page(chromium, demo.parent / "clickmap.html", requests)
    page.wait_for_timeout(200)
    assert requests.leaving() == []
    assert len(requests.urls) == 1  # the file itself, nothing else
    frame = page.frame_locator("iframe").first
    clicked = [cta for cta, f in figures.items() if f["total_clicks"] and "txt" not in cta]
    assert clicked
    for cta in clicked:
        link = frame.locator(f'[data-ctamap-id="{cta}"]').first
        badge = link.locator(".ctamap-badge")
        f = figures[cta]
        share = f"{f['click_share'] * 100:.1f}%"
        assert badge.inner_text() == f"{f['total_clicks']} · {f['unique_clicks']} · {share}"
        link_box, badge_box = link.bounding_box(), badge.bounding_box()
        assert link_box is not None and badge_box is not None, cta
        assert badge.is_visible(), cta
        assert _overlaps(link_box, badge_box), (cta, link_box, badge_box)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "clickmap-demo.png"))
    page.close()


def test_hover_and_focus_show_id_url_ctr_ctor(chromium: Any, demo: Path) -> None:
    report(demo, DEMO_EVENTS)
    page = open_page(chromium, demo.parent / "clickmap.html", Requests())
    frame = page.frame_locator("iframe").first
    link = frame.locator('[data-ctamap-id="welcome.get-started"]').first
    tip = link.locator(".ctamap-tip")
    assert not tip.is_visible()
    link.hover()
    text = tip.inner_text()
    assert "welcome.get-started" in text and "https://app.example.com/start" in text
    assert "CTR" in text and "CTOR" in text
    other = frame.locator('[data-ctamap-id="welcome.setup-guide"]').first
    assert not other.locator(".ctamap-tip").is_visible()
    other.focus()  # keyboard users: the tip follows focus
    assert "welcome.setup-guide" in other.locator(".ctamap-tip").inner_text()
    assert other.locator(".ctamap-tip").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("figure.email-frame").first.screenshot(path=str(ARTIFACTS / "clickmap-tip.png"))
    page.close()


def test_a_hostile_template_runs_nothing_and_fetches_nothing(chromium: Any, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "offer.html").write_text(
        (FIXTURES / "clickmap" / "hostile.html").read_text(encoding="utf-8"), encoding="utf-8"
    )
    link_map = instrument(folder)
    report(link_map, write_events(link_map))
    requests = Requests()
    page = open_page(chromium, folder / "clickmap.html", requests)
    frame = page.frame_locator("iframe").first
    for selector in ('[data-ctamap-id="offer.click-me"]', '[data-ctamap-id="offer.offer"]'):
        link = frame.locator(selector)
        link.dispatch_event("click")  # what a click would fire, and what onclick= listens to
        link.dispatch_event("mouseover")
        link.focus()
        link.press("Enter")
    frame.locator("button").first.dispatch_event("click")
    page.wait_for_timeout(300)
    assert page.title() == "Click map"
    assert [f.evaluate("() => document.title") for f in page.frames[1:]] != ["pwned"]
    assert all("pwned" not in f.evaluate("() => document.title") for f in page.frames)
    assert len(page.frames) == 2  # the page and the email's frame: no frame inside it
    assert requests.leaving() == []
    page.close()


def test_tabs_switch_between_emails_without_script(chromium: Any, corpus_campaign: Path) -> None:
    report(corpus_campaign, write_events(corpus_campaign))
    requests = Requests()
    page = open_page(chromium, corpus_campaign.parent / "clickmap.html", requests)
    panels = page.locator("section.panel")
    assert panels.count() >= 10
    assert panels.nth(0).is_visible() and not panels.nth(1).is_visible()
    page.locator("label.tab-label").nth(1).click()
    assert panels.nth(1).is_visible() and not panels.nth(0).is_visible()
    frame = panels.nth(1).frame_locator("iframe").first
    assert frame.locator(".ctamap-link").count() > 0
    assert requests.leaving() == []
    page.close()
