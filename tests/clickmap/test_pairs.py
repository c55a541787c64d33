"""Text twins in the click map: an email's text version is shown beside its HTML body, in
the same tab, whether the twin pairs by the naming convention or by a `[pairs]` rule."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clickmap import pageinfo
from tests.clickmap.conftest import instrument, report, write_events

HTML = '<html><body><a href="https://www.example.com/start">Start now</a></body></html>\n'
TEXT = "Start now: https://www.example.com/start\n"


def _campaign(tmp_path: Path, pairs: str) -> Path:
    folder = tmp_path / "paired"
    (folder / "emails").mkdir(parents=True)
    (folder / "plain").mkdir()
    (folder / "ctamap.toml").write_text(
        f'first_party_domains = ["example.com"]\n{pairs}', encoding="utf-8"
    )
    (folder / "emails" / "welcome.html").write_text(HTML, encoding="utf-8")
    (folder / "plain" / "welcome.txt").write_text(TEXT, encoding="utf-8")
    return instrument(folder, "--config", str(folder / "ctamap.toml"))


def _tabs(text: str) -> list[list[str]]:
    """Per tab: the captions of its frames."""
    page = pageinfo.parse(text)
    return [
        [
            " ".join(f.find("figcaption").text_content().split())
            for f in panel.find_class("email-frame")
        ]
        for panel in page.root.find_class("panel")
    ]


def test_a_pairs_rule_puts_the_text_twin_beside_its_html(tmp_path: Path) -> None:
    link_map = _campaign(tmp_path, '[pairs]\n"emails/*.html" = "plain/*.txt"\n')
    _, text = report(link_map, write_events(link_map))
    tabs = _tabs(text)
    assert len(tabs) == 1
    assert [caption.split(":")[0] for caption in tabs[0]] == ["HTML", "text version"]
    assert tabs[0][1].endswith("plain/welcome.txt")
    rows = " ".join(r.text_content() for r in pageinfo.parse(text).root.iter("tr"))
    assert "welcome.txt.start-now" in rows and "text version" in rows


def test_without_the_rule_twins_in_other_folders_are_two_emails(tmp_path: Path) -> None:
    link_map = _campaign(tmp_path, "")
    _, text = report(link_map, write_events(link_map))
    assert [[c.split(":")[0] for c in tab] for tab in _tabs(text)] == [["HTML"], ["text version"]]


def test_a_paired_text_twin_is_part_of_its_email_figures(tmp_path: Path) -> None:
    # Two clicks on the HTML link, one on the text version's (its bare URL: the text part is
    # never instrumented). One email: the tab counts all three, and the text link's badge shows
    # its click as a share of the email's clicks.
    link_map = _campaign(tmp_path, '[pairs]\n"emails/*.html" = "plain/*.txt"\n')
    links = {link["id"]: link for link in json.loads(link_map.read_text())["links"]}
    html_url = links["welcome.start-now"]["tracked_url"]
    events = tmp_path / "events.jsonl"
    rows = []
    for n, url in enumerate([html_url, html_url, "https://www.example.com/start"]):
        common = {"email": f"r{n}@example.org", "sg_message_id": f"m{n}", "template": "welcome"}
        rows.append(
            {**common, "event": "delivered", "sg_event_id": f"d{n}", "timestamp": 1767225600}
        )
        rows.append({**common, "event": "click", "sg_event_id": f"c{n}", "timestamp": 1767229200,
                     "url": url})  # fmt: skip
    events.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _, text = report(link_map, events)
    page = pageinfo.parse(text)
    tabs = [" ".join(t.text_content().split()) for t in page.root.find_class("tab-label")]
    assert tabs == ["emails/welcome.html 3"]
    summary = " ".join(page.root.find_class("email-summary")[0].text_content().split())
    assert summary.startswith("delivered 3 · opens 3 · clickers 3 · CTR 100.0%")
    text_links = {link["id"]: link for link in pageinfo.links(page.frames[1])}
    assert text_links["welcome.txt.start-now"]["badge"] == "1 · 1 · 33.3%"
    assert page.root.find(".//section[@id='other-emails']") is None
    # The html/text split counts the twin's click as the text part's.
    split = page.root.find(".//section[@id='parts']")
    rows = [[c.text_content() for c in r.iter("th", "td")] for r in split.iter("tr")][1:]
    assert [row[:2] for row in rows] == [["html", "2"], ["text", "1"]]
