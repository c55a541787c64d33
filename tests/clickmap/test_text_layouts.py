"""A text version that extends a text layout is shown as it is sent: the layout's text and
links around the version's own block, each link with that email's figures, as the HTML part
is shown inside its HTML layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.clickmap import pageinfo
from tests.clickmap.conftest import LAYOUTS, instrument, report

BASE_TXT = (
    "Example\n\n{% block content %}Nothing here yet.{% endblock %}\n\n"
    "Read our news: https://www.example.com/news\n"
)
WELCOME_TXT = (
    '{% extends "layouts/base.txt" %}\n'
    "{% block content %}Welcome! Start your trial: https://www.example.com/trial{% endblock %}\n"
)


def _events(folder: Path) -> Path:
    """Ten welcome recipients click the text layout's link, four the version's own."""
    events: list[dict[str, object]] = []
    start = 1_767_225_600
    for n in range(10):
        common = {"email": f"w{n}@example.org", "sg_message_id": f"w-{n}", "template": "welcome"}
        events.append({**common, "event": "delivered", "timestamp": start + n,
                       "sg_event_id": f"d{n}"})  # fmt: skip
        events.append({**common, "event": "click", "timestamp": start + 3600 + 600 * n,
                       "sg_event_id": f"n{n}", "url": "https://www.example.com/news"})  # fmt: skip
        if n < 4:
            trial = "https://www.example.com/trial"
            events.append({**common, "event": "click", "timestamp": start + 9000 + 600 * n,
                           "sg_event_id": f"t{n}", "url": trial})  # fmt: skip
    path = folder / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def _click_map(tmp_path: Path, email: str, text: str) -> tuple[pageinfo.Page, list[str]]:
    """The click map of the layouts fixture with the text layout and `email` (a text version)
    added, instrumented and reported; with its tab labels."""
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    (folder / "layouts/base.txt").write_text(BASE_TXT, encoding="utf-8")
    (folder / email).write_text(text, encoding="utf-8")
    link_map = instrument(folder, "--config", str(folder / "ctamap.toml"))
    _, html = report(link_map, _events(folder))
    page = pageinfo.parse(html)
    tabs = [" ".join(t.text_content().split()).rsplit(" ", 1)[0] for t in
            page.root.find_class("tab-label")]  # fmt: skip
    return page, tabs


def test_a_text_version_is_composed_with_its_text_layout(tmp_path: Path) -> None:
    page, tabs = _click_map(tmp_path, "emails/welcome.txt", WELCOME_TXT)
    assert "layouts/base.txt" not in tabs  # a layout, not an email of its own
    versions = [pre for frame in page.frames for pre in frame.find_class("ctamap-text")]
    welcome = next(pre for pre in versions if "Welcome!" in pre.text_content())
    shown = welcome.text_content()
    # The layout's text around the block, the block in its place, not the layout's default.
    assert shown.startswith("Example\n\nWelcome! Start your trial:")
    assert "Read our news:" in shown and "Nothing here yet." not in shown
    frame = next(f for f in page.frames if welcome in f.iter())
    badges = {link["id"]: link["badge"] for link in pageinfo.links(frame)}
    assert badges["base.txt.read-our-news"].startswith("10 · 10 · ")
    assert badges["welcome.txt.start-your-trial"].startswith("4 · 4 · ")


def test_a_text_only_email_is_composed_with_its_text_layout(tmp_path: Path) -> None:
    notice = WELCOME_TXT.replace("Welcome! Start your trial", "Maintenance tonight, status")
    page, tabs = _click_map(tmp_path, "emails/notice.txt", notice)
    assert "emails/notice.txt" in tabs and "layouts/base.txt" not in tabs
    versions = [pre.text_content() for f in page.frames for pre in f.find_class("ctamap-text")]
    shown = next(v for v in versions if "Maintenance tonight" in v)
    assert shown.startswith("Example\n\nMaintenance tonight, status:")
    assert "Read our news:" in shown
