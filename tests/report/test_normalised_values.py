"""The values stage one normalises, as exports carry them: an address written with other cases
and stray spaces is one recipient, every timestamp form a provider sends is one instant, and
every click of a scanner's user agent is a bot's, however many clicks share that agent.

Rows come back in no particular order: each carries its case in `template`."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from ctamap.report import ReportOptions, read_events
from ctamap.report.model import Event

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LINK_MAP = FIXTURES / "events" / "linkmap.json"
URL = "https://example.com/pricing?cta_id=welcome.cta-1"


def _read(path: Path) -> dict[str, Event]:
    events = read_events(ReportOptions(maps=(LINK_MAP,), logs=(str(path),)))
    return {str(event.template): event for event in events}


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_one_address_however_it_is_written_is_one_recipient(tmp_path: Path) -> None:
    addresses = {
        "plain": "ada@example.org",
        "capitals": "Ada@Example.org",
        "leading space": " ada@example.org",
        "shouted, trailing spaces": "ADA@EXAMPLE.ORG  ",
        # No-break and ideographic spaces, as a pasted spreadsheet cell carries them.
        "unicode spaces": "\u00a0ada@example.org\u3000",
        "other domain": "ada@example.com",
        "umlaut": "\u00e4da@example.org",
        "capital umlaut": "\u00c4DA@example.org",
        "empty": "",
        "spaces only": "   ",
        "no-break space only": "\u00a0",
    }
    rows = [
        {"email": address, "timestamp": "2024-05-01T08:00:00Z", "url": URL, "template": case}
        for case, address in addresses.items()
    ]
    events = _read(_csv(tmp_path / "clicks.csv", rows))
    ada = events["plain"].recipient
    assert ada is not None
    for case in ("capitals", "leading space", "shouted, trailing spaces", "unicode spaces"):
        assert events[case].recipient == ada, case
    assert events["other domain"].recipient not in (None, ada)
    assert events["umlaut"].recipient == events["capital umlaut"].recipient not in (None, ada)
    for case in ("empty", "spaces only", "no-break space only"):
        assert events[case].recipient is None and events[case].malformed, case


def test_every_timestamp_form_is_the_same_instant_and_nonsense_is_malformed(
    tmp_path: Path,
) -> None:
    instant = datetime(2024, 5, 1, 8, 10, 0, 250000)
    forms: dict[str, object] = {
        "iso utc": "2024-05-01T08:10:00.25Z",
        "iso east": "2024-05-01T10:10:00.25+02:00",
        "iso west": "2024-05-01T04:10:00.250-04:00",
        "iso no zone": "2024-05-01 08:10:00.25",
        "seconds": 1714551000.25,
        "seconds as text": "1714551000.25",
        "seconds with spaces": " 1714551000.25 ",
        "seconds exponent": 1.71455100025e9,
        "milliseconds": 1714551000250,
        "milliseconds as text": "1714551000250",
    }
    bad: dict[str, object] = {
        "words": "yesterday",
        "empty": "",
        "negative": -5,
        "too large": 10**15,
        "hex": "0x1F",
        "no such day": "2024-13-45T00:00:00Z",
    }
    event = {"email": "ada@example.org", "event": "click", "url": URL}
    lines = [
        json.dumps({**event, "timestamp": value, "template": case})
        for case, value in {**forms, **bad}.items()
    ]
    log = tmp_path / "sendgrid.jsonl"
    log.write_text("\n".join(lines) + "\n")
    events = _read(log)
    assert {case: events[case].time for case in forms} == dict.fromkeys(forms, instant)
    for case in bad:
        assert events[case].time is None and events[case].malformed, case


def test_every_click_of_a_scanner_agent_is_a_bot_and_only_clicks(tmp_path: Path) -> None:
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"
    scanners = ("python-requests/2.32.3", "Mozilla/5.0 (compatible; Barracuda Sentinel)")
    rows = [
        {
            "email": f"user{n}@example.org",
            "timestamp": "2024-05-01T08:00:00Z",
            "event": "open" if n % 5 == 0 else "click",
            "url": URL,
            "user_agent": scanners[n % 2] if n % 3 == 0 else browser,
            "template": f"row {n}",
        }
        for n in range(300)
    ]
    events = _read(_csv(tmp_path / "events.csv", rows))
    flags = {f"row {n}": events[f"row {n}"].bot for n in range(300)}
    expected = {
        row["template"]: row["event"] == "click" and row["user_agent"] in scanners for row in rows
    }
    assert flags == expected
    assert sum(flags.values()) == 80
