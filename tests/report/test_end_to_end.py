"""From templates to figures: instrument writes the map, report joins a log against it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_OK

HTML = """<html><body>
<a href="https://example.com/start" class="button">Get started</a>
<a href="https://example.com/unsubscribe">Unsubscribe</a>
</body></html>
"""
TEXT = (
    "Get started ( https://example.com/start )\nUnsubscribe ( https://example.com/unsubscribe )\n"
)


def _event(n: int, email: str, url: str, event: str = "click") -> dict[str, object]:
    return {"email": email, "event": event, "timestamp": 1_700_000_100 + n, "url": url,
            "sg_event_id": f"e{n}", "useragent": "Mozilla/5.0"}  # fmt: skip


def test_html_and_text_clicks_land_on_their_own_ctas(tmp_path: Path) -> None:
    (tmp_path / "welcome.html").write_text(HTML)
    (tmp_path / "welcome.txt").write_text(TEXT)
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    runner = CliRunner()
    done = runner.invoke(
        app, ["instrument", str(tmp_path), "--config", str(tmp_path / "ctamap.toml")]
    )
    assert done.exit_code == EXIT_OK, done.output
    tracked = next(
        e["tracked_url"]
        for e in json.loads((tmp_path / "ctamap.linkmap.json").read_text())["links"]
        if e["id"] == "welcome.get-started"
    )
    deliveries = [
        _event(-100, f"r{i}@x.org", "", "delivered") | {"sg_event_id": f"d{i}"} for i in range(4)
    ]
    clicks = [
        _event(1, "r0@x.org", tracked),  # the HTML button, with its link ID
        _event(2, "r1@x.org", "https://example.com/start"),  # the text version: no ID
        _event(3, "r2@x.org", "https://example.com/unsubscribe"),  # HTML and text alike
    ]
    log = tmp_path / "events.json"
    log.write_text(json.dumps(deliveries + clicks))
    result = runner.invoke(
        app,
        ["report", "--map", str(tmp_path / "ctamap.linkmap.json"), "--output", "json", str(log)],
    )
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    clicks_by_id = {c["id"]: c["total_clicks"] for c in data["ctas"] if c["total_clicks"]}
    assert clicks_by_id == {"welcome.get-started": 1, "welcome.txt.get-started": 1}
    # Both unsubscribe links are untracked: the click cannot be told apart, and says so.
    assert data["unmatched"] == [{"url": "https://example.com/unsubscribe", "clicks": 1}]
    summary = data["summary"]
    assert summary["delivered"] == 4 and summary["unique_clickers"] == 2
    assert summary["ctr"] == 0.5
