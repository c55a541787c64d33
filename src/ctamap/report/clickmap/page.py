"""The click map page around the emails: summary, accounting, clicks per day (inline SVG), the
html/text split, one tab per email with its frame and CTA table, the unmatched URLs.

Plain strings with every value escaped; no script at all (tabs are radio buttons and CSS), so
the page's Content-Security-Policy can forbid scripts outright.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ctamap.report.clickmap.emails import Breakdown, EmailView, LinkView, Part
from ctamap.report.clickmap.style import all_steps, badge_text, count, heat_of, page_css, pct
from ctamap.report.model import EXCLUSION_REASONS, Report, Summary, UnmatchedUrl


def e(value: object) -> str:
    """Escaped text for element content and quoted attribute values."""
    return html.escape(str(value), quote=True)


def csp(load_images: bool) -> str:
    """The page's policy, inherited by every `srcdoc` frame: no script, no fetch, no form."""
    images = "data: https:" if load_images else "data:"
    return (
        "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        f"form-action 'none'; style-src 'unsafe-inline'; img-src {images}; font-src 'none'; "
        "connect-src 'none'; media-src 'none'; frame-src 'self'"
    )


#: Each email's frame: no `allow-scripts`, no `allow-same-origin`, so whatever its document
#: holds can neither run nor reach the page (behind the sanitising and the policy, not instead).
SANDBOX = ""


@dataclass(frozen=True)
class PageData:
    """Everything the page shows."""

    title: str
    report: Report
    emails: Sequence[EmailView]
    frames: Sequence[Sequence[str]]
    """Per email, per part: the frame document (srcdoc)."""
    breakdown: Breakdown
    load_images: bool
    sources: Sequence[str]
    """The event files and link maps the figures come from, as shown to the user."""


def _range(report: Report, breakdown: Breakdown) -> str:
    """The span of the events read: exact when the report knows it, else by day."""
    first, last = report.first_event, report.last_event
    if first is not None and last is not None:
        return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} (UTC)"
    if breakdown.first_day is None or breakdown.last_day is None:
        return "no counted events"
    if breakdown.first_day == breakdown.last_day:
        return f"{breakdown.first_day.isoformat()} (UTC)"
    return f"{breakdown.first_day.isoformat()} to {breakdown.last_day.isoformat()} (UTC)"


def _card(label: str, value: str, note: str = "") -> str:
    extra = f'<span class="note">{e(note)}</span>' if note else ""
    return f'<div class="card"><span class="label">{e(label)}</span><b>{e(value)}</b>{extra}</div>'


def _why_unknown(summary: Summary) -> str:
    return "no delivery events: pass --delivered N" if summary.delivered is None else ""


def summary_cards(summary: Summary) -> str:
    cards = [
        _card("Delivered", count(summary.delivered), _why_unknown(summary)),
        _card("Unique opens", count(summary.unique_opens), f"open rate {pct(summary.open_rate)}"),
        _card("Unique clickers", count(summary.unique_clickers)),
        _card("CTR", pct(summary.ctr), "clickers / delivered"),
        _card("CTOR", pct(summary.ctor), "clickers / opens"),
        _card(
            "Human CTOR",
            pct(summary.ctor_human),
            "machine opens left out" if summary.ctor_human is not None else "machine opens unknown",
        ),
        _card(
            "Unsubscribes",
            count(summary.unsubscribes),
            f"rate {pct(summary.unsubscribe_rate)}",
        ),
        _card("Clicks counted", count(summary.clicks_counted)),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def accounting(summary: Summary) -> str:
    """Rows read = counted (by event type) + excluded (by reason): the design's accounting."""
    rows = [
        f"<tr><th>counted: {e(kind)}</th><td>{count(n)}</td></tr>"
        for kind, n in summary.counted.items()
    ]
    for reason in EXCLUSION_REASONS:
        n = summary.excluded.get(reason, 0)
        rows.append(
            f'<tr class="excluded"><th>excluded: {e(reason.replace("_", " "))}</th>'
            f"<td>{count(n)}</td></tr>"
        )
    if summary.flagged_bot:
        rows.append(
            f"<tr><th>counted clicks flagged as bot</th><td>{count(summary.flagged_bot)}</td></tr>"
        )
    rows.append(f'<tr class="total"><th>rows read</th><td>{count(summary.rows_read)}</td></tr>')
    return (
        '<table class="figures accounting"><caption>Every row read, counted or excluded'
        f"</caption><tbody>{''.join(rows)}</tbody></table>"
    )


def daily_svg(days: Sequence[tuple[date, int]]) -> str:
    """Clicks per day as an inline SVG bar chart (one bar per day, gaps included)."""
    if not days:
        return '<p class="empty">No counted clicks.</p>'
    top = max(n for _, n in days) or 1
    width, height, pad = 640, 160, 28
    bar = (width - 2 * pad) / len(days)
    bars = []
    for i, (day, n) in enumerate(days):
        h = (height - 2 * pad) * n / top
        x = pad + i * bar
        y = height - pad - h
        bars.append(
            f'<rect x="{x + bar * 0.1:.1f}" y="{y:.1f}" width="{max(bar * 0.8, 1):.1f}" '
            f'height="{h:.1f}"><title>{e(day.isoformat())}: {n:,} clicks</title></rect>'
        )
    first, last = days[0][0].isoformat(), days[-1][0].isoformat()
    labels = (
        f'<text x="{pad}" y="{height - 8}" class="axis">{e(first)}</text>'
        f'<text x="{width - pad}" y="{height - 8}" class="axis" text-anchor="end">{e(last)}</text>'
        f'<text x="{pad}" y="{pad - 10}" class="axis">{top:,} clicks</text>'
        f'<line x1="{pad}" y1="{pad}" x2="{width - pad}" y2="{pad}" class="grid"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'class="base"/>'
    )
    return (
        f'<svg class="daily" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Clicks per day, {e(first)} to {e(last)}, at most {top:,} a day">'
        f"<title>Clicks per day</title>{labels}{''.join(bars)}</svg>"
    )


def parts_split(parts: Sequence[tuple[str, int]]) -> str:
    total = sum(n for _, n in parts)
    if not total:
        return '<p class="empty">No counted clicks.</p>'
    segments = "".join(
        f'<span class="seg seg-{e(name)}" style="width:{100 * n / total:.2f}%" '
        f'title="{e(name)}: {n:,} clicks">{e(name)} {100 * n / total:.0f}%</span>'
        for name, n in parts
    )
    rows = "".join(
        f"<tr><th>{e(name)}</th><td>{n:,}</td><td>{pct(n / total)}</td></tr>" for name, n in parts
    )
    return (
        f'<div class="split" role="img" aria-label="clicks by part">{segments}</div>'
        f'<table class="figures"><thead><tr><th>part</th><th>clicks</th><th>share</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def legend() -> str:
    items = "".join(
        f'<li><span class="swatch ctamap-{e(h.name)}"></span>{e(h.label)}</li>' for h in all_steps()
    )
    return (
        '<div class="legend"><p>Badges show <b>total clicks · unique clicks · share of the '
        "email's clicks</b>; hover or focus a link for its ID, URL, CTR and CTOR.</p>"
        f"<ul>{items}</ul></div>"
    )


def _link_rows(links: Iterable[LinkView], note: str = "") -> list[str]:
    rows = []
    for link in links:
        heat = heat_of(link)
        f = link.figures
        state = "" if link.tracked else " (untracked)"
        if link.id is None:
            state = " (not in the link map)"
        elif link.status != "active":
            state += f" ({link.status})"
        rows.append(
            f'<tr class="ctamap-{e(heat.name)}"><td><span class="swatch ctamap-{e(heat.name)}">'
            f"</span><code>{e(link.id or '—')}</code>{e(state)}{e(note)}</td>"
            f'<td>{e(link.text)}</td><td class="url">{e(link.url)}</td>'
            f"<td>{count(f.total_clicks if f else 0)}</td>"
            f"<td>{count(f.unique_clicks if f else 0)}</td>"
            f"<td>{pct(f.click_share if f else None)}</td>"
            f"<td>{pct(f.ctr if f else None)}</td><td>{pct(f.ctor if f else None)}</td></tr>"
        )
    return rows


def _sorted_links(part: Part) -> list[LinkView]:
    return sorted(
        part.links,
        key=lambda link: (-(link.figures.total_clicks if link.figures else 0), link.id or "~"),
    )


def cta_table(email: EmailView) -> str:
    rows: list[str] = []
    for part in email.parts:
        if part.apart:
            continue  # its links are listed with the email's HTML part that uses it
        label = " · text version" if part.is_text else ""
        rows += _link_rows(_sorted_links(part), label)
        rows += _link_rows(part.missing, " · not in the current template")
        for used in part.uses:  # layouts and partials: this email's clicks on their links
            rows += _link_rows(_sorted_links(used), f" · from {used.template}")
            rows += _link_rows(used.missing, f" · from {used.template}, not in it any more")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("link ID", "text", "URL", "clicks", "unique", "share", "CTR", "CTOR")
    )
    return (
        f'<table class="figures ctas"><caption>Links of {e(email.key)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _part_frame(part: Part, document: str, index: int, position: int) -> str:
    kind = "text version" if part.is_text else "layout" if part.apart else "HTML"
    title = f"{part.template} ({kind}) with click figures"
    note = (
        " — could not be placed in the composed email (inside a block the email replaces, "
        "or used in a way ctamap does not follow); its links show this email's figures"
        if part.apart
        else ""
    )
    if part.problem is not None:
        return (
            f'<div class="problem"><b>{e(part.display)}</b>: {e(part.problem)}. '
            "Its links' figures are in the table below.</div>"
        )
    return (
        f'<figure class="email-frame"><figcaption>{e(kind)}: <code>{e(part.display)}</code>'
        f'{e(note)}</figcaption><div class="frame-box"><iframe sandbox="{SANDBOX}" '
        f'title="{e(title)}" referrerpolicy="no-referrer" id="frame-{index}-{position}" '
        f'srcdoc="{e(document)}"></iframe></div></figure>'
    )


def _email_summary(email: EmailView) -> str:
    s = email.summary
    if s is None:
        why = (
            email.note
            or "The report has no figures of this email's own; its links show the whole report's."
        )
        return f'<p class="email-summary">{e(why)}</p>'
    note = f' <span class="note">— {e(email.note)}</span>' if email.note else ""
    return (
        '<p class="email-summary">'
        f"delivered <b>{count(s.delivered)}</b> · opens <b>{count(s.unique_opens)}</b> · "
        f"clickers <b>{count(s.unique_clickers)}</b> · CTR <b>{pct(s.ctr)}</b> · "
        f"CTOR <b>{pct(s.ctor)}</b> · human CTOR <b>{pct(s.ctor_human)}</b> · "
        f"clicks <b>{count(s.clicks_counted)}</b> · "
        f"unsubscribes <b>{count(s.unsubscribes)}</b>{note}</p>"
    )


def email_panel(index: int, email: EmailView, documents: Sequence[str]) -> str:
    frames = "".join(
        _part_frame(part, document, index, position)
        for position, (part, document) in enumerate(zip(email.parts, documents, strict=True))
    )
    return (
        f'<section class="panel" id="email-{index}" aria-labelledby="tab-{index}">'
        f"<h2>{e(email.key)}</h2>{_email_summary(email)}"
        f'<div class="frames">{frames}</div>{cta_table(email)}</section>'
    )


def tabs(emails: Sequence[EmailView], frames: Sequence[Sequence[str]]) -> str:
    if not emails:
        return '<p class="empty">The link map names no email.</p>'
    inputs = "".join(
        f'<input type="radio" name="email" class="tab-input" id="tab-{i}"'
        f'{" checked" if i == 0 else ""} aria-controls="email-{i}">'
        for i in range(len(emails))
    )
    labels = "".join(
        f'<label for="tab-{i}" class="tab-label" id="label-{i}">{e(email.key)}'
        f' <span class="tab-clicks">{email.clicks:,}</span></label>'
        for i, email in enumerate(emails)
    )
    panels = "".join(
        email_panel(i, email, docs)
        for i, (email, docs) in enumerate(zip(emails, frames, strict=True))
    )
    shown = ",".join(f"#tab-{i}:checked~.panels>#email-{i}" for i in range(len(emails)))
    picked = ",".join(f"#tab-{i}:checked~.tab-list>#label-{i}" for i in range(len(emails)))
    focused = ",".join(f"#tab-{i}:focus-visible~.tab-list>#label-{i}" for i in range(len(emails)))
    css = (
        f"{shown}{{display:block}}{picked}{{background:#fff;border-color:#d1d5db;"
        f"border-bottom-color:#fff;font-weight:700}}{focused}{{outline:2px solid #2563eb}}"
    )
    return (
        f'<style>{css}</style><div class="tabs">{inputs}'
        f'<nav class="tab-list" aria-label="Emails">{labels}</nav>'
        f'<div class="panels">{panels}</div></div>'
    )


#: How many of the campaign's links the top-links table lists.
TOP_LINKS = 25


def top_links(report: Report) -> str:
    """The campaign's most clicked links over every email (a layout's link: its clicks in all
    the emails that use it, over all their deliveries), as the report ranks them."""
    clicked = [cta for cta in report.ctas if cta.total_clicks]
    if not clicked:
        return ""
    rows = "".join(
        f"<tr><td><code>{e(cta.id)}</code></td>"
        f"<td>{e(cta.emails[0] if len(cta.emails) == 1 else f'{len(cta.emails)} emails')}</td>"
        f'<td>{e(cta.text)}</td><td class="url">{e(cta.url)}</td>'
        f"<td>{count(cta.total_clicks)}</td><td>{count(cta.unique_clicks)}</td>"
        f"<td>{pct(cta.click_share)}</td><td>{pct(cta.ctr)}</td><td>{pct(cta.ctor)}</td></tr>"
        for cta in clicked[:TOP_LINKS]
    )
    more = len(clicked) - TOP_LINKS
    caption = "Clicked links over every email, most clicked first" + (
        f" ({more:,} more: `ctamap report -f csv` lists them all)" if more > 0 else ""
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("link ID", "sent in", "text", "URL", "clicks", "unique", "share", "CTR", "CTOR")
    )
    table = (
        f'<table class="figures ctas"><caption>{e(caption)}</caption><thead><tr>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )
    return _section("top-links", "Top links", table)


def other_emails(report: Report, shown: Sequence[EmailView]) -> str:
    """Events that count in the summary but in no tab: emails the link map does not have (or
    whose template the page could not show as an email), and events that name no email."""
    keys = {email.key for email in shown}
    rows: list[tuple[str, Summary]] = [
        (email.email + ("" if email.in_link_map else " (not in the link map)"), email.summary)
        for email in report.emails
        if email.email not in keys
    ]
    if report.unidentified is not None:
        rows.append(("no email named (see [report] template_field)", report.unidentified))
    if not rows:
        return ""
    body = "".join(
        f"<tr><th>{e(name)}</th><td>{count(s.delivered)}</td><td>{count(s.unique_opens)}</td>"
        f"<td>{count(s.unique_clickers)}</td><td>{count(s.clicks_counted)}</td>"
        f"<td>{pct(s.ctr)}</td><td>{pct(s.ctor)}</td></tr>"
        for name, s in rows
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("email", "delivered", "opens", "clickers", "clicks", "CTR", "CTOR")
    )
    table = (
        '<table class="figures"><caption>They count in the summary above, in no email\'s tab.'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    return _section("other-emails", "Events of no email shown here", table)


def unmatched_table(unmatched: Sequence[UnmatchedUrl]) -> str:
    if not unmatched:
        return '<p class="empty">Every counted click matched a link of the link map.</p>'
    rows = "".join(
        f'<tr><td class="url">{e(item.url)}</td><td>{item.clicks:,}</td></tr>' for item in unmatched
    )
    return (
        '<table class="figures"><thead><tr><th>URL</th><th>clicks</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _section(name: str, title: str, body: str) -> str:
    return (
        f'<section id="{name}" aria-labelledby="{name}-h"><h2 id="{name}-h">{e(title)}</h2>'
        f"{body}</section>"
    )


def render_page(data: PageData) -> str:
    report = data.report
    summary = report.summary
    readers = {note.name: f" read as {note.reader} ({note.rows:,} rows)" for note in report.sources}
    sources = "".join(
        f"<li><code>{e(name)}</code>{e(readers.get(name, ''))}</li>" for name in data.sources
    )
    problems = "".join(f"<li>{e(error)}</li>" for error in report.errors)
    images = (
        "Remote images are loaded by your browser (--load-images)."
        if data.load_images
        else "Remote images are not loaded: boxes of their size show their alt text."
    )
    covered = (
        f"Events covered: <b>{e(_range(report, data.breakdown))}</b> · "
        f"{len(data.emails)} email(s) · {e(images)}"
    )
    body = "\n".join(
        [
            f'<div class="problem" role="alert"><b>Not read:</b><ul>{problems}</ul></div>'
            if problems
            else "",
            _section("summary", "Summary", summary_cards(summary)),
            '<div class="row">',
            _section("accounting", "Rows", accounting(summary)),
            _section("daily", "Clicks per day", daily_svg(data.breakdown.days)),
            _section("parts", "HTML / text", parts_split(data.breakdown.parts)),
            "</div>",
            top_links(report),
            _section("emails", "Emails", legend() + tabs(data.emails, data.frames)),
            other_emails(report, data.emails),
            _section("unmatched", "Top unmatched URLs", unmatched_table(report.unmatched)),
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(csp(data.load_images))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ctamap">
<title>{e(data.title)}</title>
<style>{page_css()}</style>
</head>
<body>
<header>
<h1>{e(data.title)}</h1>
<p class="range">{covered}</p>
</header>
<main>
{body}
</main>
<footer><p>Made by <code>ctamap report --html</code> from:</p><ul>{sources}</ul></footer>
</body>
</html>
"""


__all__ = ["PageData", "badge_text", "csp", "render_page"]
