"""Per-provider parsing: realistic payloads (varied from the documented samples) to Events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ctamap.errors import InputError
from ctamap.report import ReportOptions, read_events
from ctamap.report.model import Event


def _events(link_map: Path, *files: Path, **kw: object) -> list[Event]:
    options = ReportOptions(maps=(link_map,), logs=tuple(map(str, files)), **kw)  # type: ignore[arg-type]
    return read_events(options)


def _by_type(events: list[Event]) -> dict[str | None, list[Event]]:
    out: dict[str | None, list[Event]] = {}
    for event in events:
        out.setdefault(event.type, []).append(event)
    return out


def test_sendgrid_array(link_map: Path, events_dir: Path) -> None:
    events = _by_type(_events(link_map, events_dir / "sendgrid.json"))
    assert sorted(events) == ["bounce", "click", "delivered", "open", "unsubscribe"]
    (opened,) = events["open"]
    assert opened.machine_open is True
    click = events["click"][0]
    assert click.time == datetime(2024, 5, 1, 8, 10)  # "1714551000" as a string
    assert click.part == "html"
    assert click.campaign == "welcome"  # first of a category array
    # The address is hashed, case-insensitively: Ada@ and ada@ are one recipient.
    assert events["delivered"][0].recipient == click.recipient
    assert isinstance(click.recipient, int)
    assert events["delivered"][0].campaign == "welcome"  # category as a plain string


def test_sendgrid_json_lines_gzip_keeps_a_broken_line_as_malformed(
    link_map: Path, events_dir: Path
) -> None:
    events = _events(link_map, events_dir / "sendgrid.jsonl.gz")
    assert len(events) == 4
    assert [e.malformed for e in events].count(True) == 1


@pytest.mark.parametrize("name", ["mailgun-events.json", "mailgun-webhooks.jsonl"])
def test_mailgun_pages_and_webhooks(link_map: Path, events_dir: Path, name: str) -> None:
    events = _by_type(_events(link_map, events_dir / name))
    assert events["open"][0].machine_open is True  # client-info.bot == "apple"
    assert events["click"][0].bot is False
    assert events["click"][0].time is not None
    assert events["click"][0].time.microsecond == 94891  # float seconds kept
    if name == "mailgun-events.json":
        assert events["click"][1].bot is True  # client-info.bot == "generic"
        assert len(events["bounce"]) == 1  # only the permanent failure
        assert len(events["soft_bounce"]) == 1  # severity: temporary is retried
        assert len(events["unsubscribe"]) == 1


def test_postmark(link_map: Path, events_dir: Path) -> None:
    events = _by_type(_events(link_map, events_dir / "postmark.jsonl"))
    click = events["click"][0]
    assert click.part == "text"
    assert click.url == "https://app.example.com/begin"
    assert click.time == datetime(2024, 5, 1, 8, 4, 5, 907025)  # 7-digit fraction
    assert events["bounce"][0].event_id is not None
    assert len(events["unsubscribe"]) == 1
    assert events["delivered"][0].campaign == "welcome"


def test_ses_including_sns_wrapped_record(link_map: Path, events_dir: Path) -> None:
    events = _by_type(_events(link_map, events_dir / "ses.jsonl"))
    assert sorted(events) == ["click", "delivered", "open", "soft_bounce", "unsubscribe"]
    assert "safelinks" in (events["click"][0].url or "")
    assert events["delivered"][0].campaign == "welcome"


def test_sparkpost_events_api_and_webhook_batch(link_map: Path, events_dir: Path) -> None:
    api = _by_type(_events(link_map, events_dir / "sparkpost-events.json"))
    clicks = api["click"]
    # "+02:00" is converted to UTC.
    assert clicks[0].time == datetime(2024, 5, 1, 8, 0)
    assert clicks[1].bot is True  # python-requests user agent
    assert api["delivered"][0].template == "welcome"
    hook = _by_type(_events(link_map, events_dir / "sparkpost-webhook.json"))
    assert hook["click"][0].time == datetime(2024, 5, 1, 10, 0)  # Unix seconds as a string
    assert len(hook["delivered"]) == 1


def test_generic_csv_with_column_mapping(link_map: Path, events_dir: Path) -> None:
    columns = (("recipient", "Subscriber"), ("url", "Clicked Link"), ("time", "When"))
    events = _events(link_map, events_dir / "clicks-custom.csv", columns=columns)
    assert [e.type for e in events] == ["click"] * 4
    assert [e.malformed for e in events] == [False, False, False, True]


def test_generic_csv_common_headers_need_no_mapping(link_map: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "Email,Link,Timestamp,Event Type,User Agent\n"
        "a@example.org,https://www.example.com/pricing,2024-05-01T08:00:00Z,Clicked,curl/8.0\n"
        "a@example.org,,1714550400,delivered,\n"
        "a@example.org,https://www.example.com/pricing,2024-05-01T08:00:00Z\n"
    )
    events = _events(link_map, log)
    assert [(e.type, e.bot, e.malformed) for e in events] == [
        ("click", True, False),
        ("delivered", False, False),
        (None, False, True),  # a short line is rejected by the CSV reader: one malformed row
    ]


def test_unmappable_csv_names_the_missing_column(link_map: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("who,where\na@example.org,https://x.example\n")
    with pytest.raises(InputError, match="no recipient, time, url column"):
        _events(link_map, log)


def test_unknown_json_provider_is_an_input_error(link_map: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    log.write_text('[{"who": "a", "when": 1}]')
    with pytest.raises(InputError, match=r"unsupported shape \(keys when, who\)"):
        _events(link_map, log)


def test_explicit_format_wins_over_detection(link_map: Path, events_dir: Path) -> None:
    events = _events(link_map, events_dir / "sendgrid.json", format="sendgrid")
    assert len(events) == 6
