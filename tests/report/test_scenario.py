"""End to end on a generated scenario: every row is built with the fate it must meet (counted,
or excluded for one reason), so the expected figures are counted here in plain Python, not by
re-running the SQL's logic."""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ctamap.report import EXCLUSION_REASONS, BotMode, ReportOptions, run_report

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
UNTIL = START + timedelta(days=2)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
CTAS = {
    "welcome.get-started": "https://app.example.com/start?plan=pro&utm_campaign=welcome"
    "&utm_content=welcome.get-started&cta_id=welcome.get-started",
    "welcome.pricing": "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww"
    ".example.com%2Fpricing%3Fcta_id%3Dwelcome.pricing&data=05%7C02",
    "welcome.old-offer": "https://www.example.com/offers/spring?utm_content=welcome.old-offer",
    "receipt.view-order": "https://shop.example.com/orders",
}
UNSUBSCRIBE = "https://www.example.com/unsubscribe"
TRAP = "https://www.example.com/trap?cta_id=welcome.trap"


@dataclass(frozen=True)
class Row:
    event: str
    email: str
    when: str
    url: str
    agent: str
    event_id: str
    fate: str
    """`counted` or an exclusion reason."""
    cta: str | None = None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scenario(seed: int) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    ids = iter(range(1, 10**6))

    def add(event: str, email: str, moment: datetime, url: str = "", **kw: object) -> Row:
        row = Row(
            event,
            email,
            _stamp(moment),
            url,
            str(kw.get("agent", BROWSER)),
            f"e{next(ids)}",
            str(kw.get("fate", "counted")),
            kw.get("cta"),  # type: ignore[arg-type]
        )
        rows.append(row)
        return row

    for n in range(60):
        email = f"person{n}@example.org"
        delivered = START + timedelta(minutes=n)
        add("delivered", email, delivered)
        clock = delivered + timedelta(minutes=5)
        if rng.random() < 0.5:
            add("open", email, clock)
        for _ in range(rng.randrange(0, 4)):
            clock += timedelta(minutes=2)  # far apart: never a burst
            cta = rng.choice(list(CTAS))
            row = add("click", email, clock, CTAS[cta], cta=cta)
            if rng.random() < 0.2:  # the provider delivered the same event twice
                rows.append(Row(**{**row.__dict__, "fate": "duplicate"}))
        if rng.random() < 0.15:
            clock += timedelta(minutes=3)
            add("click", email, clock, f"https://elsewhere.example.net/{n}", fate="unmatched")
    # Bots: a scanner user agent, a click 1 s after delivery, a burst, a honeypot clicker.
    add("delivered", "scan@example.org", START)
    add(
        "click",
        "scan@example.org",
        START + timedelta(hours=1),
        CTAS["welcome.pricing"],
        agent="Mozilla/5.0 (compatible; Barracuda Sentinel)",
        fate="bot",
    )
    add("delivered", "fast@example.org", START)
    add(
        "click",
        "fast@example.org",
        START + timedelta(seconds=1),
        CTAS["welcome.get-started"],
        fate="bot",
    )
    add("delivered", "burst@example.org", START)
    for k, cta in enumerate(["welcome.get-started", "welcome.pricing", "receipt.view-order"]):
        add(
            "click",
            "burst@example.org",
            START + timedelta(hours=2, seconds=k),
            CTAS[cta],
            fate="bot",
        )
    add("delivered", "trap@example.org", START)
    add(
        "click", "trap@example.org", START + timedelta(hours=3), CTAS["welcome.pricing"], fate="bot"
    )
    add("click", "trap@example.org", START + timedelta(hours=3, minutes=1), TRAP, fate="bot")
    # Unsubscribe link clicks count as clicks and as unsubscribes.
    add("click", "person1@example.org", START + timedelta(hours=5), UNSUBSCRIBE, cta="unsub")
    # Outside the window, and malformed rows.
    add(
        "click",
        "late@example.org",
        UNTIL + timedelta(hours=1),
        CTAS["welcome.pricing"],
        fate="out_of_window",
    )
    add("click", "", START, CTAS["welcome.pricing"], fate="malformed")
    add("click", "odd@example.org", START, "", fate="malformed")
    rows.append(
        Row(
            "click",
            "odd@example.org",
            "yesterday-ish",
            CTAS["welcome.pricing"],
            BROWSER,
            "m1",
            "malformed",
        )
    )
    return rows


def _write(rows: list[Row], path: Path) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "timestamp", "email", "event", "url", "user_agent"])
        for r in rows:
            writer.writerow([r.event_id, r.when, r.email, r.event, r.url, r.agent])
        fh.write("only,three,cells\n")  # a broken line: one more malformed row


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_scenario_figures(seed: int, tmp_path: Path, link_map: Path) -> None:
    rows = _scenario(seed)
    log = tmp_path / "events.csv"
    _write(rows, log)
    options = ReportOptions(maps=(link_map,), logs=(str(log),), until=UNTIL.replace(tzinfo=None))
    report = run_report(options)
    summary = report.summary

    fates = Counter(r.fate for r in rows)
    fates["malformed"] += 1  # the broken line
    counted = [r for r in rows if r.fate == "counted"]
    clicks = [r for r in counted if r.event == "click"]
    assert summary.rows_read == len(rows) + 1
    assert summary.excluded == {reason: fates[reason] for reason in EXCLUSION_REASONS}
    assert summary.clicks_counted == len(clicks)
    assert summary.counted == dict(sorted(Counter(r.event for r in counted).items()))
    # The invariant: every row read is counted or excluded for exactly one reason.
    assert summary.rows_read == sum(summary.counted.values()) + sum(summary.excluded.values())

    delivered = {r.email for r in counted if r.event == "delivered"}
    clickers = {r.email for r in clicks}
    openers = {r.email for r in counted if r.event == "open"} | clickers
    assert summary.delivered == len(delivered)
    assert summary.unique_clickers == len(clickers)
    assert summary.unique_opens == len(openers)
    assert summary.ctr == pytest.approx(len(clickers) / len(delivered), abs=1e-6)
    assert summary.ctor == pytest.approx(len(clickers) / len(openers), abs=1e-6)
    assert summary.ctor_human is None  # this log says nothing about machine opens
    assert summary.unsubscribes == 1

    per_cta = {cta.id: cta for cta in report.ctas}
    for cta_id in CTAS:
        mine = [r for r in clicks if r.cta == cta_id]
        if not mine and cta_id not in per_cta:
            continue
        assert per_cta[cta_id].total_clicks == len(mine), cta_id
        assert per_cta[cta_id].unique_clicks == len({r.email for r in mine}), cta_id
        assert per_cta[cta_id].click_share == pytest.approx(len(mine) / len(clicks), abs=1e-6)
    unmatched = Counter(r.url for r in rows if r.fate == "unmatched")
    assert {u.url: u.clicks for u in report.unmatched} == dict(unmatched)


def test_bots_flag_counts_bot_clicks_and_says_so(tmp_path: Path, link_map: Path) -> None:
    rows = _scenario(4)
    log = tmp_path / "events.csv"
    _write(rows, log)
    excluded = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    flagged = run_report(ReportOptions(maps=(link_map,), logs=(str(log),), bots=BotMode.FLAG))
    bots = excluded.summary.excluded["bot"]
    assert bots > 0
    assert flagged.summary.excluded["bot"] == 0
    assert flagged.summary.flagged_bot == bots
    # The honeypot click itself has no other CTA to land on; every bot click is counted.
    assert flagged.summary.clicks_counted == excluded.summary.clicks_counted + bots


def test_dedupe_window_and_rates_from_sent_minus_bounced(tmp_path: Path, link_map: Path) -> None:
    log = tmp_path / "clicks.csv"
    url = CTAS["welcome.get-started"]
    log.write_text(
        "email,url,time\n"
        f"a@example.org,{url},2024-05-01T08:00:00Z\n"
        f"a@example.org,{url},2024-05-01T08:00:04Z\n"  # repeat within 10 s
        f"a@example.org,{url},2024-05-01T08:05:00Z\n"
    )
    options = ReportOptions(
        maps=(link_map,), logs=(str(log),), dedupe_window=10, sent=10, bounced=2
    )
    summary = run_report(options).summary
    assert summary.clicks_counted == 2
    assert summary.excluded["duplicate"] == 1
    assert summary.delivered == 8
    assert summary.ctr == pytest.approx(1 / 8)
    assert summary.open_rate == pytest.approx(1 / 8)  # the click implies the open


def test_unknown_denominators_are_null(tmp_path: Path, link_map: Path) -> None:
    log = tmp_path / "clicks.csv"
    log.write_text(f"email,url,time\na@example.org,{CTAS['welcome.pricing']},1714550400\n")
    report = run_report(ReportOptions(maps=(link_map,), logs=(str(log),)))
    assert report.summary.delivered is None
    assert report.summary.ctr is None
    assert report.summary.open_rate is None
    assert report.summary.unsubscribe_rate is None
    assert report.summary.ctor == 1.0
    pricing = next(c for c in report.ctas if c.id == "welcome.pricing")
    assert pricing.ctr is None


def test_by_template_groups(events_dir: Path, link_map: Path) -> None:
    report = run_report(
        ReportOptions(maps=(link_map,), logs=(str(events_dir / "postmark.jsonl"),), by="template")
    )
    # The message is tagged `welcome`; its text twin's click is a part of that one email.
    assert [g.key for g in report.groups] == ["emails/welcome.html"]
    group = report.groups[0]
    assert group.summary.rows_read == 5 and group.summary.clicks_counted == 1
    assert group.summary.delivered == 1 and group.summary.ctor == 1.0
    assert [(c.id, c.part) for c in group.ctas] == [("welcome.txt.get-started", "text")]
