"""Every provider's fixtures (payloads written from the provider's own documentation, cited in
each folder's README): detection picks the provider, and the normalised rows match a golden."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ctamap.report import ReportOptions, read_events
from ctamap.report.detect import detect, scores
from ctamap.report.model import Event
from ctamap.report.providers import PROVIDERS
from ctamap.report.sources import _describe

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "providers"
FILES = sorted(path for path in FOLDER.glob("*/*") if path.name not in ("README.md", "golden.json"))
LINK_MAP = Path(__file__).resolve().parents[2] / "fixtures" / "events" / "linkmap.json"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def events_of(path: Path, **options: Any) -> list[Event]:
    return read_events(ReportOptions(maps=(LINK_MAP,), logs=(str(path),), **options))


def stable_rows(events: list[Event]) -> list[dict[str, Any]]:
    """Rows with hashes replaced by names in order of appearance (`r1`, `m1`, `e1`), so the
    golden reads and does not depend on one engine's hash function."""
    names: dict[str, dict[int, str]] = {"recipient": {}, "message_id": {}, "event_id": {}}
    out = []
    for event in events:
        row = dict(event.__dict__)
        for column, seen in names.items():
            if row[column] is not None:
                row[column] = seen.setdefault(row[column], f"{column[0]}{len(seen) + 1}")
        row["time"] = row["time"].isoformat() if row["time"] else None
        out.append(row)
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True))


def test_every_provider_has_fixtures() -> None:
    assert {path.parent.name for path in FILES} == {p.name for p in PROVIDERS}
    for provider in PROVIDERS:
        readme = FOLDER / provider.name / "README.md"
        assert "Source" in readme.read_text(), f"{readme}: cite where the payloads come from"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_detection_matrix_own_provider_scores_highest(path: Path) -> None:
    source = _describe(path.name, path)
    ranked = scores(source.sample)
    own = ranked.pop(path.parent.name)
    assert own > 0
    assert all(own > other for other in ranked.values()), ranked
    assert detect(path.name, source.sample).name == path.parent.name


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_normalised_rows_match_the_golden(path: Path, update_goldens: bool) -> None:
    golden_file = path.parent / "golden.json"
    golden = json.loads(golden_file.read_text()) if golden_file.exists() else {}
    rows = stable_rows(events_of(path))
    if update_goldens:
        golden[path.name] = rows
        golden_file.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    assert rows == golden[path.name]
    assert not any(row["malformed"] for row in rows), "documented payloads are well formed"


def _types(path: Path) -> Counter[str | None]:
    return Counter(event.type for event in events_of(path))


def test_sendgrid_batches_per_line_are_expanded_and_blocked_is_not_a_bounce() -> None:
    types = _types(FOLDER / "sendgrid" / "webhook-batches.jsonl")
    # Two lines, each a whole POST body: 3 + 6 events.
    assert sum(types.values()) == 9
    assert types["bounce"] == 1  # type: bounce
    assert types["blocked"] == 1  # type: blocked is a temporary block
    assert types["deferred"] == 1


def test_postmark_suppressions_after_bounce_or_complaint_are_not_unsubscribes() -> None:
    types = _types(FOLDER / "postmark" / "webhooks.jsonl")
    assert types["unsubscribe"] == 1  # ManualSuppression only
    assert types["suppression"] == 2  # HardBounce, SpamComplaint
    assert types["bounce"] == 1  # HardBounce; Transient and SoftBounce are temporary
    assert types["soft_bounce"] == 2
    assert types["complaint"] == 1


def test_postmark_messages_api_exports_are_read() -> None:
    clicks = events_of(FOLDER / "postmark" / "messages-clicks.json")
    assert [(e.type, e.part, e.malformed) for e in clicks] == [
        ("click", "html", False),
        ("click", "text", False),
    ]
    (opened,) = events_of(FOLDER / "postmark" / "messages-opens.json")
    assert (opened.type, opened.template) == ("open", "welcome")


def test_postmark_explicit_format_reads_a_messages_export() -> None:
    clicks = events_of(FOLDER / "postmark" / "messages-clicks.json", format="postmark")
    assert len(clicks) == 2 and not any(e.malformed for e in clicks)


def test_ses_sns_redelivery_counts_once_and_every_recipient_is_a_row() -> None:
    events = events_of(FOLDER / "ses" / "sns.jsonl")
    types = Counter(e.type for e in events)
    # Control messages give no row; the Delivery to two recipients gives two rows, twice
    # (the redelivery), with the same event IDs per recipient.
    assert types["delivered"] == 4
    deliveries = [e for e in events if e.type == "delivered"]
    assert len({e.recipient for e in deliveries}) == 2
    assert len({e.event_id for e in deliveries}) == 2
    assert types["bounce"] == 2  # Permanent bounce of two recipients
    assert types["soft_bounce"] == 1  # Transient
    assert types["complaint"] == 1


def test_ses_firehose_objects_concatenated() -> None:
    types = _types(FOLDER / "ses" / "firehose.json")
    assert types == Counter({"delivered": 2, "bounce": 2, "open": 1, "click": 1})


def test_sparkpost_ping_gives_no_row_and_soft_bounce_classes_are_temporary() -> None:
    types = _types(FOLDER / "sparkpost" / "webhooks.jsonl")
    assert sum(types.values()) == 6
    assert types["bounce"] == 1 and types["soft_bounce"] == 1


def test_mailjet_and_brevo_are_not_read_as_sendgrid() -> None:
    for name, file in (("mailjet", "webhook.json"), ("brevo", "webhooks.jsonl")):
        events = events_of(FOLDER / name / file)
        assert {e.provider for e in events} == {name}
        assert not any(e.malformed for e in events)
    mailjet = _types(FOLDER / "mailjet" / "webhook.json")
    assert (mailjet["delivered"], mailjet["bounce"], mailjet["soft_bounce"]) == (1, 1, 1)
    brevo = events_of(FOLDER / "brevo" / "webhooks.jsonl")
    opens = [e.machine_open for e in brevo if e.type == "open"]
    assert sorted(opens) == [False, True]  # unique_proxy_open is a machine open


def test_customerio_push_clicks_are_not_email_clicks() -> None:
    types = _types(FOLDER / "customerio" / "webhooks.jsonl")
    assert types["click"] == 2  # one event delivered twice (same event_id)
    assert types["push_clicked"] == 1


def test_mailchimp_activity_rows_carry_the_address() -> None:
    events = events_of(FOLDER / "mailchimp" / "email-activity.json")
    assert Counter(e.type for e in events) == Counter(
        {"open": 1, "click": 1, "soft_bounce": 1, "bounce": 1}
    )
    assert {e.template for e in events} == {"42694e9e57"}
