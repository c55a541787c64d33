"""Per-email truth: each email's deliveries, opens and clickers, and each CTA's rates over the
emails it is sent in. Every expected figure is worked out by hand in the test, from the rows
the test writes. Events are SendGrid Event Webhook records (github:sendgrid/docs,
`content/docs/for-developers/tracking-events/event.md`: `category` arrays, custom args as
top-level keys, `sg_message_id`, `url_offset`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.config import load
from ctamap.errors import EXIT_OK
from ctamap.report import Report, ReportOptions, load_link_maps, run_report, run_reports
from ctamap.report.catalog import composition

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"
T0 = int(datetime(2024, 5, 1, 8, 0, tzinfo=UTC).timestamp())
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5"

BASE = """<html><body>
{% block content %}{% endblock %}
<a href="https://www.example.com/help">Help centre</a>
</body></html>
"""
WELCOME = """{% extends "layouts/base.html" %}
{% block content %}<a href="https://app.example.com/start" class="button">Get started</a>
{% endblock %}
"""
WELCOME_TEXT = "Get started ( https://app.example.com/start-text )\n"
RECEIPT = """{% extends "layouts/base.html" %}
{% block content %}<a href="https://shop.example.com/orders">View your order</a>{% endblock %}
"""


def _rate(value: float) -> Any:
    """Rates are rounded to 6 decimals."""
    return pytest.approx(value, abs=1e-6)


def _assert_accounted(report: Report, rows: int) -> None:
    """Counted + excluded = rows read, overall and in every email."""
    assert report.summary.rows_read == rows
    for summary in (report.summary, *(e.summary for e in report.emails)):
        counted = sum(summary.counted.values()) + sum(summary.excluded.values())
        assert counted == summary.rows_read
    in_emails = sum(e.summary.rows_read for e in report.emails)
    unidentified = report.unidentified.rows_read if report.unidentified else 0
    assert in_emails + unidentified == rows


class _Log:
    """SendGrid events, one message per (recipient, email)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, event: str, who: str, email: str | None, minute: int, **more: Any) -> None:
        row: dict[str, Any] = {
            "email": who,
            "event": event,
            "timestamp": T0 + minute * 60,
            "sg_event_id": f"ev{len(self.rows)}",
            "sg_message_id": f"{who}/{more.pop('message', email)}",
            "useragent": BROWSER,
            **more,
        }
        if email is not None:
            row["template"] = email  # the custom arg the sender set
        self.rows.append(row)

    def write(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(row) + "\n" for row in self.rows))
        return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two emails sharing a layout, one with a text twin, instrumented by ctamap."""
    (tmp_path / "layouts").mkdir()
    (tmp_path / "emails").mkdir()
    (tmp_path / "layouts" / "base.html").write_text(BASE)
    (tmp_path / "emails" / "welcome.html").write_text(WELCOME)
    (tmp_path / "emails" / "welcome.txt").write_text(WELCOME_TEXT)
    (tmp_path / "emails" / "receipt.html").write_text(RECEIPT)
    config = tmp_path / "ctamap.toml"
    config.write_text(
        'first_party_domains = ["example.com"]\n'
        "[[utm.override]]\n"
        'paths = ["layouts/*"]\n'
        'campaign = "{{ utm_campaign }}"\n'
    )
    done = CliRunner().invoke(app, ["instrument", str(tmp_path), "--config", str(config)])
    assert done.exit_code == EXIT_OK, done.output
    return tmp_path


def _tracked(project: Path) -> dict[str, tuple[str, str]]:
    """Link ID -> (template, the URL a recipient clicks)."""
    links = json.loads((project / "ctamap.linkmap.json").read_text())["links"]
    return {e["id"]: (e["template"], e["tracked_url"] or e["url"]) for e in links}


def _shared_layout_log(project: Path) -> tuple[Path, dict[str, str]]:
    links = _tracked(project)
    ids = {
        "start": "welcome.get-started",
        "text": "welcome.txt.get-started",
        "order": "receipt.view-your-order",
    }
    ids["help"] = next(i for i, (t, _) in links.items() if t == "layouts/base.html")
    url = {name: links[link_id][1] for name, link_id in ids.items()}
    log = _Log()
    for n in range(6):  # welcome: 6 deliveries
        log.add("delivered", f"w{n}@x.org", "welcome", 0)
    for n in range(4):  # receipt: 4 deliveries
        log.add("delivered", f"r{n}@x.org", "receipt", 0)
    log.add("open", "w0@x.org", "welcome", 5)
    log.add("open", "w4@x.org", "welcome", 5)  # opens, never clicks
    log.add("open", "r3@x.org", "receipt", 5)  # opens, never clicks
    log.add("click", "w0@x.org", "welcome", 10, url=url["start"])
    # The click names no email: its message (same sg_message_id) does.
    log.add("click", "w2@x.org", None, 10, url=url["help"], message="welcome")
    log.add("click", "w1@x.org", "welcome", 12, url=url["text"], url_offset={"type": "text"})
    log.add("click", "r0@x.org", "receipt", 10, url=url["help"])
    log.add("click", "r0@x.org", "receipt", 20, url=url["order"])
    log.add("click", "r1@x.org", "receipt", 10, url=url["order"])
    return log.write(project / "events.jsonl"), ids


def test_two_emails_sharing_a_layout_with_a_text_twin(project: Path) -> None:
    events, ids = _shared_layout_log(project)
    link_map = project / "ctamap.linkmap.json"
    config = load(project / "ctamap.toml")
    layouts = composition(load_link_maps((link_map,)), (project,), config)
    assert layouts == {"layouts/base.html": ("emails/receipt.html", "emails/welcome.html")}
    report = run_report(
        ReportOptions(maps=(link_map,), logs=(str(events),), layouts=tuple(layouts.items()))
    )
    _assert_accounted(report, 19)  # 10 deliveries, 3 opens, 6 clicks

    # By hand. welcome: delivered w0-w5 = 6; clickers w0, w1 (text), w2 (layout) = 3;
    # openers w0, w4 and the clickers w1, w2 = 4. receipt: delivered 4; clickers r0, r1 = 2;
    # openers r3 and the clickers = 3.
    emails = {e.email: e for e in report.emails}
    assert sorted(emails) == ["emails/receipt.html", "emails/welcome.html"]
    welcome, receipt = emails["emails/welcome.html"], emails["emails/receipt.html"]
    assert welcome.templates == ("emails/welcome.html", "emails/welcome.txt", "layouts/base.html")
    assert (welcome.delivered, welcome.unique_opens, welcome.unique_clickers) == (6, 4, 3)
    assert welcome.ctr == _rate(3 / 6) and welcome.ctor == _rate(3 / 4)
    assert (receipt.delivered, receipt.unique_opens, receipt.unique_clickers) == (4, 3, 2)
    assert receipt.ctr == _rate(2 / 4) and receipt.ctor == _rate(2 / 3)

    # Each email lists its own CTAs, its text twin's and the layout's, with its own figures.
    in_welcome = {c.id: c for c in welcome.ctas}
    assert set(in_welcome) == {ids["start"], ids["text"], ids["help"]}
    assert in_welcome[ids["text"]].part == "text"
    assert in_welcome[ids["help"]].unique_clicks == 1
    assert in_welcome[ids["help"]].ctr == _rate(1 / 6)
    in_receipt = {c.id: c for c in receipt.ctas}
    assert set(in_receipt) == {ids["order"], ids["help"]}
    assert in_receipt[ids["help"]].ctr == _rate(1 / 4)
    assert in_receipt[ids["order"]].ctr == _rate(2 / 4)
    assert in_receipt[ids["order"]].ctor == _rate(2 / 3)

    # Overall, a CTA divides by the emails it is sent in: the layout's by both (10 delivered,
    # 7 openers), the others by their own email's.
    ctas = {c.id: c for c in report.ctas}
    assert ctas[ids["help"]].unique_clicks == 2
    assert ctas[ids["help"]].ctr == _rate(2 / 10)
    assert ctas[ids["help"]].ctor == _rate(2 / 7)
    assert ctas[ids["help"]].emails == ("emails/receipt.html", "emails/welcome.html")
    assert ctas[ids["start"]].ctr == _rate(1 / 6)
    assert ctas[ids["text"]].ctr == _rate(1 / 6)
    assert ctas[ids["order"]].ctr == _rate(2 / 4)
    assert report.summary.delivered == 10 and report.summary.unique_clickers == 5

    # `--by template` gives the same per-email figures: no group for the layout or the twin.
    by_template = run_report(
        ReportOptions(
            maps=(link_map,), logs=(str(events),), layouts=tuple(layouts.items()), by="template"
        )
    )
    groups = {g.key: g for g in by_template.groups}
    assert sorted(groups) == ["emails/receipt.html", "emails/welcome.html"]
    assert groups["emails/welcome.html"].summary == welcome.summary
    assert {c.id: c.ctr for c in groups["emails/receipt.html"].ctas} == {
        ids["order"]: _rate(2 / 4),
        ids["help"]: _rate(1 / 4),
    }


def test_the_cli_finds_the_layout_from_the_templates(project: Path) -> None:
    events, ids = _shared_layout_log(project)
    result = CliRunner().invoke(
        app,
        ["report", "--map", str(project / "ctamap.linkmap.json"), "--by", "template",
         "--output", "json", str(events)],
    )  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    groups = {g["key"]: g["summary"] for g in data["groups"]}
    assert sorted(groups) == ["emails/receipt.html", "emails/welcome.html"]
    assert groups["emails/welcome.html"]["delivered"] == 6
    assert groups["emails/welcome.html"]["ctor"] == 0.75
    help_cta = next(c for c in data["ctas"] if c["id"] == ids["help"])
    assert help_cta["ctr"] == 0.2


def test_without_the_templates_a_layout_rate_is_null_and_says_why(project: Path) -> None:
    events, ids = _shared_layout_log(project)
    report = run_report(ReportOptions(maps=(project / "ctamap.linkmap.json",), logs=(str(events),)))
    _assert_accounted(report, 19)
    # The clicks still count in the email their message names...
    welcome = next(e for e in report.emails if e.email == "emails/welcome.html")
    assert welcome.unique_clickers == 3 and welcome.delivered == 6
    # ...but nothing is delivered as `layouts/base.html`: its CTA's rates are unknown.
    help_cta = next(c for c in report.ctas if c.id == ids["help"])
    assert help_cta.unique_clicks == 2
    assert help_cta.ctr is None and help_cta.note


NEWSLETTER_SIZE = 71
SIX_EMAILS = {
    "newsletter": 71,
    "welcome": 40,
    "receipt": 30,
    "reset": 25,
    "promo": 20,
    "digest": 14,
}


def test_six_email_export_hero_ctr_is_the_newsletters(tmp_path: Path) -> None:
    links = []
    for email in SIX_EMAILS:
        for cta in ("hero", "footer"):
            link_id = f"{email}.{cta}"
            url = f"https://www.example.com/{email}/{cta}"
            links.append(
                {"id": link_id, "template": f"emails/{email}.html", "text": cta, "kind": "button",
                 "role": "cta", "url": url, "tracked_url": f"{url}?cta_id={link_id}",
                 "tracked": True, "status": "active", "tags": ["a"]}
            )  # fmt: skip
    link_map = tmp_path / "ctamap.linkmap.json"
    link_map.write_text(json.dumps({"schema": "ctamap.linkmap/2", "links": links}))
    rows: list[dict[str, Any]] = []

    def add(event: str, who: str, email: str, minute: int, **more: Any) -> None:
        # A SendGrid export: every event carries the send's categories.
        rows.append(
            {"email": who, "event": event, "timestamp": T0 + minute * 60,
             "sg_event_id": f"e{len(rows)}", "sg_message_id": f"{who}.{email}",
             "category": [email, "2024-05"], "useragent": BROWSER, **more}
        )  # fmt: skip

    for email, size in SIX_EMAILS.items():
        for n in range(size):
            add("delivered", f"{email}{n}@x.org", email, 0)
        for n in range(size // 2):  # half of each email's recipients open it
            add("open", f"{email}{n}@x.org", email, 5)
        for n in range(3):  # three click the footer of each email
            add("click", f"{email}{n}@x.org", email, 9, url=f"https://www.example.com/{email}/"
                f"footer?cta_id={email}.footer")  # fmt: skip
    for n in range(7):  # seven newsletter readers click the hero, one of them twice
        url = "https://www.example.com/newsletter/hero?cta_id=newsletter.hero"
        add("click", f"newsletter{n}@x.org", "newsletter", 10, url=url)
    add("click", "newsletter0@x.org", "newsletter", 30, url=url)
    log = tmp_path / "export.json"
    log.write_text(json.dumps(rows))

    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),), by="template"))
    _assert_accounted(report, len(rows))
    delivered = sum(SIX_EMAILS.values())
    assert report.summary.delivered == delivered == 200
    hero = next(c for c in report.ctas if c.id == "newsletter.hero")
    # 7 unique clickers over the newsletter's 71 deliveries (9.9 %), not over all 200 (3.5 %).
    assert (hero.total_clicks, hero.unique_clicks) == (8, 7)
    assert hero.ctr == _rate(7 / 71)
    # Openers: the 35 who opened (71 // 2) plus none new (clickers n < 7 opened already).
    assert hero.ctor == _rate(7 / 35)
    groups = {g.key: g.summary for g in report.groups}
    assert sorted(groups) == sorted(f"emails/{e}.html" for e in SIX_EMAILS)
    for email, size in SIX_EMAILS.items():
        summary = groups[f"emails/{email}.html"]
        clickers = 7 if email == "newsletter" else 3
        assert summary.delivered == size, email
        assert summary.unique_opens == size // 2, email
        assert summary.unique_clickers == clickers, email
        assert summary.ctr == _rate(clickers / size), email
        assert summary.ctor == _rate(clickers / (size // 2)), email


def test_sparkpost_sample_message_is_one_email() -> None:
    report = run_report(
        ReportOptions(
            maps=(FIXTURES / "linkmap.json",),
            logs=(str(FIXTURES / "sparkpost-events.json"),),
            by="template",
        )
    )
    # `template_id: welcome` on the delivery, and the clicks of the same message, are one
    # email: the link map's `emails/welcome.html`.
    assert [g.key for g in report.groups] == ["emails/welcome.html"]
    assert report.groups[0].summary.rows_read == 3
    assert report.groups[0].summary.delivered == 1
    _assert_accounted(report, 3)


def test_deliveries_that_name_no_email_leave_cta_rates_unknown(tmp_path: Path) -> None:
    link_map = FIXTURES / "linkmap.json"
    log = tmp_path / "events.csv"
    start = "https://app.example.com/start?cta_id=welcome.get-started"
    order = "https://shop.example.com/orders?cta_id=receipt.view-order"
    log.write_text(
        "email,event,url,time\n"
        "a@x.org,delivered,,2024-05-01T08:00:00Z\n"
        "b@x.org,delivered,,2024-05-01T08:00:00Z\n"
        f"a@x.org,click,{start},2024-05-01T09:00:00Z\n"
        f"b@x.org,click,{order},2024-05-01T09:00:00Z\n"
    )
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    _assert_accounted(report, 4)
    # Two emails were clicked and the deliveries do not say which is which.
    assert report.summary.ctr == 1.0
    started = next(c for c in report.ctas if c.id == "welcome.get-started")
    assert started.unique_clicks == 1 and started.ctr is None
    assert started.note is not None and "template_field" in started.note
    result = CliRunner().invoke(app, ["report", "--map", str(link_map), str(log)])
    assert result.exit_code == EXIT_OK, result.output
    assert "template_field" in result.stdout


def test_one_email_input_gives_every_delivery_to_it(tmp_path: Path) -> None:
    log = tmp_path / "events.csv"
    start = "https://app.example.com/start?cta_id=welcome.get-started"
    log.write_text(
        "email,event,url,time\n"
        "a@x.org,delivered,,2024-05-01T08:00:00Z\n"
        "b@x.org,delivered,,2024-05-01T08:00:00Z\n"
        "c@x.org,delivered,,2024-05-01T08:00:00Z\n"
        f"a@x.org,click,{start},2024-05-01T09:00:00Z\n"
    )
    report = run_report(ReportOptions(maps=(FIXTURES / "linkmap.json",), logs=(str(log),)))
    _assert_accounted(report, 4)
    started = next(c for c in report.ctas if c.id == "welcome.get-started")
    assert started.ctr == _rate(1 / 3)
    assert [(e.email, e.delivered) for e in report.emails] == [("emails/welcome.html", 3)]


def _two_email_map(tmp_path: Path) -> Path:
    links = [
        {"id": f"{email}.go", "template": f"emails/{email}.html", "text": "Go", "kind": "button",
         "role": "cta", "url": f"https://www.example.com/{email}",
         "tracked_url": f"https://www.example.com/{email}?cta_id={email}.go", "tracked": True,
         "status": "active", "tags": ["a"]}
        for email in ("welcome", "receipt")
    ]  # fmt: skip
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(json.dumps({"schema": "ctamap.linkmap/2", "links": links}))
    return path


def _categorised_log(tmp_path: Path, category: dict[str, str]) -> Path:
    """welcome: 5 deliveries, 2 clickers; receipt: 4 deliveries, 1 clicker. Every event of a
    send carries the send's category (`category` below)."""
    rows: list[dict[str, Any]] = []
    for email, size, clickers in (("welcome", 5, 2), ("receipt", 4, 1)):
        for n in range(size):
            who = f"{email}{n}@x.org"
            base = {"email": who, "sg_message_id": f"{who}.m", "category": [category[email]],
                    "useragent": BROWSER}  # fmt: skip
            rows.append({**base, "event": "delivered", "timestamp": T0, "sg_event_id": f"d{who}"})
            if n < clickers:
                url = f"https://www.example.com/{email}?cta_id={email}.go"
                rows.append({**base, "event": "click", "timestamp": T0 + 600, "url": url,
                             "sg_event_id": f"c{who}"})  # fmt: skip
    log = tmp_path / "events.json"
    log.write_text(json.dumps(rows))
    return log


def test_a_category_on_every_email_is_not_an_email(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    log = _categorised_log(tmp_path, {"welcome": "marketing", "receipt": "marketing"})
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),), by="template"))
    _assert_accounted(report, 12)
    # `marketing` names clicks on both emails: it says nothing about which email a delivery
    # was. Clicks count in their CTA's email; no email's deliveries are known.
    welcome = next(e for e in report.emails if e.email == "emails/welcome.html")
    assert sorted(e.email for e in report.emails) == ["emails/receipt.html", "emails/welcome.html"]
    assert welcome.unique_clickers == 2 and welcome.delivered is None
    assert welcome.note is not None and "template_field" in welcome.note
    assert report.unidentified is not None and report.unidentified.counted == {"delivered": 9}
    assert [g.key for g in report.groups] == ["emails/receipt.html", "emails/welcome.html", None]
    go = next(c for c in report.ctas if c.id == "welcome.go")
    assert go.ctr is None and go.note
    assert report.summary.ctr == _rate(3 / 9)
    # The table says why each email's rates are unknown.
    shown = CliRunner().invoke(
        app, ["report", "--map", str(link_map), "--by", "template", str(log)], terminal_width=80
    )
    assert shown.exit_code == EXIT_OK, shown.output
    assert shown.stdout.count("rates —: deliveries do not say which email") == 2


def test_a_name_the_link_map_does_not_spell_is_learnt_from_its_clicks(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    log = _categorised_log(tmp_path, {"welcome": "onboarding-2024", "receipt": "orders"})
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    _assert_accounted(report, 12)
    # Every click under `onboarding-2024` is on welcome's CTA: the name is welcome's, and so
    # are its unclicked deliveries.
    emails = {e.email: e for e in report.emails}
    assert sorted(emails) == ["emails/receipt.html", "emails/welcome.html"]
    assert (emails["emails/welcome.html"].delivered, emails["emails/welcome.html"].ctr) == (
        5,
        _rate(2 / 5),
    )
    assert (emails["emails/receipt.html"].delivered, emails["emails/receipt.html"].ctr) == (
        4,
        _rate(1 / 4),
    )
    assert report.unidentified is None
    assert report.notes == ()


def test_deliveries_naming_no_email_are_left_out_and_said(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    log = _categorised_log(tmp_path, {"welcome": "welcome", "receipt": "receipt"})
    rows = json.loads(log.read_text())
    rows += [
        {"email": f"q{n}@x.org", "event": "delivered", "timestamp": T0, "sg_event_id": f"q{n}"}
        for n in range(3)
    ]
    log.write_text(json.dumps(rows))
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    _assert_accounted(report, 15)
    assert report.summary.delivered == 12
    welcome = next(e for e in report.emails if e.email == "emails/welcome.html")
    assert welcome.delivered == 5 and welcome.ctr == _rate(2 / 5)
    assert len(report.notes) == 1 and "deliveries naming no email: 3" in report.notes[0]


def test_a_name_with_no_clicks_on_the_map_is_an_email_of_its_own(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    log = _categorised_log(tmp_path, {"welcome": "welcome", "receipt": "receipt"})
    extra = json.loads(log.read_text())
    extra.append(
        {"email": "z@x.org", "event": "delivered", "timestamp": T0, "sg_event_id": "dz",
         "sg_message_id": "z.m", "category": ["black-friday"]}
    )  # fmt: skip
    log.write_text(json.dumps(extra))
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    _assert_accounted(report, 13)
    emails = {e.email: e for e in report.emails}
    assert sorted(emails) == ["black-friday", "emails/receipt.html", "emails/welcome.html"]
    assert report.notes == ()
    assert not emails["black-friday"].in_link_map and emails["black-friday"].delivered == 1
    assert emails["emails/welcome.html"].delivered == 5


def test_by_campaign_keeps_a_message_in_the_providers_campaign(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    url = "https://www.example.com/welcome?utm_campaign=welcome&cta_id=welcome.go"
    rows = [
        {"email": "a@x.org", "event": "delivered", "timestamp": T0, "sg_event_id": "d1",
         "sg_message_id": "m1", "category": ["spring-sale"]},
        {"email": "b@x.org", "event": "delivered", "timestamp": T0, "sg_event_id": "d2",
         "sg_message_id": "m2", "category": ["spring-sale"]},
        # The click's record lacks the category; its message has it.
        {"email": "a@x.org", "event": "click", "timestamp": T0 + 600, "sg_event_id": "c1",
         "sg_message_id": "m1", "url": url, "useragent": BROWSER},
        # A click with no message: the campaign of the clicked URL.
        {"email": "c@x.org", "event": "click", "timestamp": T0 + 600, "sg_event_id": "c2",
         "url": url.replace("utm_campaign=welcome", "utm_campaign=May%20news"),
         "useragent": BROWSER},
    ]  # fmt: skip
    log = tmp_path / "events.json"
    log.write_text(json.dumps(rows))
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),), by="campaign"))
    groups = {g.key: g.summary for g in report.groups}
    assert sorted(groups) == ["May news", "spring-sale"]
    assert groups["spring-sale"].delivered == 2 and groups["spring-sale"].unique_clickers == 1
    assert groups["spring-sale"].ctr == _rate(1 / 2)
    assert groups["May news"].rows_read == 1


def test_views_of_one_read_match_their_own_runs(tmp_path: Path) -> None:
    """The click map reads the logs once for several `--by` views; a run reads only the columns
    its views group by (`filter.unread_columns`), so each view must still get its own groups."""
    link_map = _two_email_map(tmp_path)
    url = "https://www.example.com/welcome?utm_campaign=welcome&cta_id=welcome.go"
    rows = [
        {"email": "a@x.org", "event": "delivered", "timestamp": T0, "sg_event_id": "d1",
         "sg_message_id": "m1", "category": ["spring-sale"]},
        {"email": "a@x.org", "event": "click", "timestamp": T0 + 600, "sg_event_id": "c1",
         "sg_message_id": "m1", "url": url, "useragent": BROWSER,
         "url_offset": {"index": 0, "type": "html"}},
        {"email": "b@x.org", "event": "click", "timestamp": T0 + 900, "sg_event_id": "c2",
         "sg_message_id": "m2", "url": url, "useragent": BROWSER, "category": ["May news"],
         "url_offset": {"index": 0, "type": "text"}},
    ]  # fmt: skip
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    options = ReportOptions(maps=(link_map,), logs=(str(log),))
    views = (None, "part", "campaign")
    together = run_reports(options, views)
    for by, report in zip(views, together, strict=True):
        alone = run_report(replace(options, by=by))
        assert [(g.key, g.summary) for g in report.groups] == [
            (g.key, g.summary) for g in alone.groups
        ]
    part = {g.key: g.summary.clicks_counted for g in together[1].groups if g.key}
    assert part == {"html": 1, "text": 1}
    campaign = {g.key: g.summary.clicks_counted for g in together[2].groups if g.key}
    assert campaign == {"May news": 1, "spring-sale": 1}


def test_template_field_from_the_config_beside_the_link_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[report] template_field` names the custom arg a sender uses; `report` finds the config
    from the link map's folder (no --config)."""
    link_map = _two_email_map(tmp_path)
    (tmp_path / "ctamap.toml").write_text('[report]\ntemplate_field = "email_name"\n')
    rows: list[dict[str, Any]] = []
    for email, size in (("welcome", 4), ("receipt", 2)):
        for n in range(size):
            who = f"{email}{n}@x.org"
            rows.append({"email": who, "event": "delivered", "timestamp": T0,
                         "sg_event_id": f"d{who}", "email_name": f"{email}.html",
                         "category": ["marketing"]})  # fmt: skip
    rows.append({"email": "welcome0@x.org", "event": "click", "timestamp": T0 + 600,
                 "sg_event_id": "c1", "email_name": "welcome.html", "useragent": BROWSER,
                 "url": "https://www.example.com/welcome?cta_id=welcome.go"})  # fmt: skip
    log = tmp_path / "events.json"
    log.write_text(json.dumps(rows))
    csv_log = tmp_path / "events.csv"
    csv_log.write_text(
        "email,event,time,url,email_name\n"
        + "".join(
            f"{r['email']},{r['event']},{r['timestamp']},{r.get('url', '')},{r['email_name']}\n"
            for r in rows
        )
    )
    monkeypatch.chdir("/")  # not the project: the config is found from the map's folder
    for events in (log, csv_log):
        result = CliRunner().invoke(
            app, ["report", "--map", str(link_map), "--by", "template", "-f", "json",
                  str(events)],
        )  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        groups = {g["key"]: g["summary"] for g in json.loads(result.stdout)["groups"]}
        assert sorted(groups) == ["emails/receipt.html", "emails/welcome.html"], events
        assert groups["emails/welcome.html"]["delivered"] == 4
        assert groups["emails/welcome.html"]["ctr"] == 0.25
        assert groups["emails/receipt.html"]["delivered"] == 2


def test_one_reader_of_two_emails_clicking_the_layout_link_is_one_clicker(project: Path) -> None:
    links = _tracked(project)
    help_url = next(url for t, url in links.values() if t == "layouts/base.html")
    log = _Log()
    for email in ("welcome", "receipt"):
        log.add("delivered", "both@x.org", email, 0)
        log.add("click", "both@x.org", email, 10 if email == "welcome" else 30, url=help_url)
    events = log.write(project / "events.jsonl")
    layouts = composition(
        load_link_maps((project / "ctamap.linkmap.json",)),
        (project,),
        load(project / "ctamap.toml"),
    )
    report = run_report(
        ReportOptions(
            maps=(project / "ctamap.linkmap.json",),
            logs=(str(events),),
            layouts=tuple(layouts.items()),
        )
    )
    _assert_accounted(report, 4)
    help_cta = next(c for c in report.ctas if c.template == "layouts/base.html")
    # Two clicks, one person; one recipient delivered to (both emails): CTR 1/1.
    assert (help_cta.total_clicks, help_cta.unique_clicks, help_cta.ctr) == (2, 1, 1.0)
    for email in report.emails:
        in_it = next(c for c in email.ctas if c.id == help_cta.id)
        assert (in_it.total_clicks, in_it.unique_clicks, in_it.ctr) == (1, 1, 1.0)


def test_clicks_named_for_an_email_without_the_cta_stay_out_of_its_rates(tmp_path: Path) -> None:
    link_map = _two_email_map(tmp_path)
    log = _categorised_log(tmp_path, {"welcome": "welcome", "receipt": "receipt"})
    rows = json.loads(log.read_text())
    # A receipt reader clicks welcome's CTA (a forwarded link), in a message named receipt.
    rows.append(
        {"email": "receipt3@x.org", "event": "click", "timestamp": T0 + 900,
         "sg_event_id": "fwd", "sg_message_id": "receipt3@x.org.m", "category": ["receipt"],
         "url": "https://www.example.com/welcome?cta_id=welcome.go", "useragent": BROWSER}
    )  # fmt: skip
    log.write_text(json.dumps(rows))
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    _assert_accounted(report, 13)
    go = next(c for c in report.ctas if c.id == "welcome.go")
    # 3 clickers, 2 of them in welcome (5 delivered): CTR 2/5, never 3/5 (or over 100 %).
    assert (go.total_clicks, go.unique_clicks, go.ctr) == (3, 3, _rate(2 / 5))
    assert go.note is not None and "1 clicker(s) in emails not known to hold this CTA" in go.note
    receipt = next(e for e in report.emails if e.email == "emails/receipt.html")
    stray = next(c for c in receipt.ctas if c.id == "welcome.go")
    assert stray.unique_clicks == 1 and stray.ctr is None and stray.note
