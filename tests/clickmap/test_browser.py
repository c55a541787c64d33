"""The click map in a real browser: Debian's Chromium, headless, off the network (see
browser.py). Skipped only when no chromium binary exists here; `.ci/run` installs one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.clickmap.browser import Requests, browser, chromium_path, open_page
from tests.clickmap.conftest import DEMO_EVENTS, instrument, layout_events, report, write_events
from tests.clickmap.test_layouts import expected_badge
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
    clicked = [cta for cta, f in figures.items() if f["total_clicks"]]
    assert any("txt" in cta for cta in clicked) and any("txt" not in cta for cta in clicked)
    for cta in clicked:  # the HTML frame's links, and the text version's beside it
        frame = page.frame_locator("iframe").nth(1 if ".txt." in cta else 0)
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


def _hostile_page(chromium: Any, tmp_path: Path) -> tuple[Any, Requests]:
    """The click map of `fixtures/clickmap/hostile.html`, opened, with every trap poked."""
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
    for selector in ("a", "button"):
        for n in range(frame.locator(selector).count()):
            link = frame.locator(selector).nth(n)
            try:  # what a click would fire, and what onclick= listens to
                link.dispatch_event("click", timeout=2000)
                link.dispatch_event("mouseover", timeout=2000)
            except PlaywrightError:  # with defences off, the frame may have navigated away
                break
    page.wait_for_timeout(300)
    return page, requests


def what_ran(page: Any, requests: Requests) -> list[str]:
    """Signs that the hostile template's script ran: a title it set, the beacon it sends."""
    signs = [f"title of {f.url[:40]}" for f in page.frames if "pwned" in _title(f)]
    return signs + [url for url in requests.urls if "evil.example.net/ran" in url]


def _title(frame: Any) -> str:
    try:
        return str(frame.evaluate("() => document.title"))
    except Exception:  # a frame that navigated away while being asked
        return ""


def test_a_hostile_template_runs_nothing_and_fetches_nothing(chromium: Any, tmp_path: Path) -> None:
    page, requests = _hostile_page(chromium, tmp_path)
    frame = page.frame_locator("iframe").first
    for selector in ('[data-ctamap-id="offer.click-me"]', '[data-ctamap-id="offer.offer"]'):
        link = frame.locator(selector)
        link.focus()
        link.press("Enter")
    page.wait_for_timeout(200)
    assert what_ran(page, requests) == []
    assert page.title() == "Click map"
    assert len(page.frames) == 2  # the page and the email's frame: no frame inside it
    assert requests.leaving() == []
    page.close()


#: The three things that keep a template's script from running, each switched off by a test:
#: the sanitising of the copy, the Content-Security-Policy, the frame's sandbox.
LAYERS = ("sanitise", "policy", "sandbox")


def _switch_off(monkeypatch: pytest.MonkeyPatch, layers: set[str]) -> None:
    from ctamap.report import clickmap
    from ctamap.report.clickmap import frame, page

    if "sanitise" in layers:
        monkeypatch.setattr(frame, "make_inert", lambda soup, load_images: None)
    if "policy" in layers:
        anything = "default-src * 'unsafe-inline' data:; script-src * 'unsafe-inline'"
        monkeypatch.setattr(clickmap, "csp", lambda load_images: anything)
        monkeypatch.setattr(page, "csp", lambda load_images: anything)
    if "sandbox" in layers:
        monkeypatch.setattr(page, "SANDBOX", "allow-scripts allow-same-origin")


def test_control_with_every_defence_off_the_check_sees_the_script_run(
    chromium: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Proves the check above can fail: the same page with nothing between the template's
    # script and the browser trips it. If this passes no more, the hostile test proves nothing.
    _switch_off(monkeypatch, set(LAYERS))
    page, requests = _hostile_page(chromium, tmp_path)
    assert what_ran(page, requests) != []
    assert requests.leaving() != []
    page.close()


@pytest.mark.parametrize("kept", LAYERS)
def test_each_defence_alone_keeps_the_script_from_running(
    chromium: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: str
) -> None:
    # Defence in depth: any one of the three is enough on its own.
    _switch_off(monkeypatch, set(LAYERS) - {kept})
    page, requests = _hostile_page(chromium, tmp_path)
    assert what_ran(page, requests) == []
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


def test_two_emails_show_their_shared_layout_links_with_their_own_figures(
    chromium: Any, layout_campaign: Path
) -> None:
    report(layout_campaign, layout_events(layout_campaign))
    requests = Requests()
    page = open_page(chromium, layout_campaign.parent / "clickmap.html", requests)
    labels = page.locator("label.tab-label")
    assert labels.count() == 3  # the layout and the partial are not emails of their own
    for n, email in enumerate(("password-reset", "receipt", "welcome")):
        labels.nth(n).click()
        panel = page.locator("section.panel").nth(n)
        assert panel.is_visible()
        frame = panel.frame_locator("iframe").first
        for link_id in ("base.example-home", "footer.our-blog"):
            link = frame.locator(f'[data-ctamap-id="{link_id}"]')
            badge = link.locator(".ctamap-badge")
            assert badge.inner_text() == expected_badge(email, link_id), (email, link_id)
            link_box, badge_box = link.bounding_box(), badge.bounding_box()
            assert link_box is not None and badge_box is not None
            assert _overlaps(link_box, badge_box), (email, link_id, link_box, badge_box)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / f"clickmap-layout-{email}.png"))
    assert requests.leaving() == []
    page.close()
