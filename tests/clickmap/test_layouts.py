"""Layouts in the click map: an email that extends a layout and includes a partial is shown as
it is sent, the layout's and partial's links inside it, each with that email's own figures
(not the layout's totals over every email). Two emails share one layout here."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clickmap import pageinfo
from tests.clickmap.conftest import LAYOUT_CLICKS, LAYOUT_SENDS, layout_events, report


def expected_badge(email: str, link_id: str) -> str:
    """The badge a link of `email` must carry, counted from the scenario's own table."""
    who = LAYOUT_CLICKS.get((email, link_id), [])
    if not who:
        return "0"
    clicks = sum(len(w) for (e, _), w in LAYOUT_CLICKS.items() if e == email)
    return f"{len(who)} · {len(set(who))} · {100 * len(who) / clicks:.1f}%"


def _frames_by_email(text: str) -> dict[str, object]:
    page = pageinfo.parse(text)
    captions = [
        " ".join(fig.find("figcaption").text_content().split())
        for fig in page.root.find_class("email-frame")
    ]
    return {
        caption.rsplit("/", 1)[-1]: frame
        for caption, frame in zip(captions, page.frames, strict=True)
    }


def test_layouts_are_not_emails_of_their_own(layout_campaign: Path) -> None:
    _, text = report(layout_campaign, layout_events(layout_campaign))
    page = pageinfo.parse(text)
    tabs = [" ".join(t.text_content().split()) for t in page.root.find_class("tab-label")]
    assert [t.rsplit(" ", 1)[0] for t in tabs] == [
        "emails/password-reset.html",  # no link of its own: found as a user of the layout
        "emails/receipt.html",
        "emails/welcome.html",
    ]
    clicks = {e: sum(len(w) for (k, _), w in LAYOUT_CLICKS.items() if k == e) for e, *_ in
              LAYOUT_SENDS}  # fmt: skip
    assert [int(t.rsplit(" ", 1)[1]) for t in tabs] == [
        clicks["password-reset"],
        clicks["receipt"],
        clicks["welcome"],
    ]


def test_each_email_shows_its_layout_links_with_its_own_figures(layout_campaign: Path) -> None:
    _, text = report(layout_campaign, layout_events(layout_campaign))
    frames = _frames_by_email(text)
    own_links = {
        "welcome": ["welcome.start-your-trial"],
        "receipt": ["receipt.view-your-order"],
        "password-reset": [],
    }
    for email, own in own_links.items():
        marked = {link["id"]: link for link in pageinfo.links(frames[f"{email}.html"])}
        assert set(marked) == {*own, "base.example-home", "footer.our-blog", "footer.unsubscribe"}
        for link_id in (*own, "base.example-home", "footer.our-blog"):
            assert marked[link_id]["badge"] == expected_badge(email, link_id), (email, link_id)
        assert marked["footer.unsubscribe"]["state"] == "untracked"
    # Nobody who got the receipt clicked the blog link: grey there, clicked in the welcome.
    receipt = {link["id"]: link for link in pageinfo.links(frames["receipt.html"])}
    assert receipt["footer.our-blog"]["state"] == "none"


def test_the_email_is_composed_as_sent(layout_campaign: Path) -> None:
    _, text = report(layout_campaign, layout_events(layout_campaign))
    frames = _frames_by_email(text)
    welcome = frames["welcome.html"]
    for tip in welcome.find_class("ctamap-tip"):
        tip.drop_tree()
    body = " ".join(welcome.find(".//body").text_content().split())
    # The layout's frame around the email's block, the partial at its include.
    assert body.index("Example home") < body.index("Welcome, user.first_name!")
    assert body.index("Start your trial") < body.index("our blog")
    assert "Nothing here yet." not in body  # the block is the email's, not the layout's
    assert welcome.findtext(".//title") == "Welcome, user.first_name"
    receipt = frames["receipt.html"]
    for tip in receipt.find_class("ctamap-tip"):
        tip.drop_tree()
    body = " ".join(receipt.find(".//body").text_content().split())
    assert "Your receipt" in body and "Nothing here yet." in body  # {{ super() }}
    assert receipt.findtext(".//title") == "Example"  # the layout's own block
    assert "{%" not in body and "{{" not in body


def test_the_email_summary_and_link_table_are_the_emails_own(layout_campaign: Path) -> None:
    _, text = report(layout_campaign, layout_events(layout_campaign))
    page = pageinfo.parse(text)
    panels = {p.find("h2").text_content(): p for p in page.root.find_class("panel")}
    welcome = panels["emails/welcome.html"]
    summary = " ".join(welcome.find_class("email-summary")[0].text_content().split())
    clickers = {n for (e, _), who in LAYOUT_CLICKS.items() if e == "welcome" for n in who}
    delivered, opened = 40, 30
    assert summary.startswith(
        f"delivered {delivered} · opens {opened} · clickers {len(clickers)} · "
        f"CTR {100 * len(clickers) / delivered:.1f}% · CTOR {100 * len(clickers) / opened:.1f}%"
    ), summary
    rows = [
        [" ".join(cell.text_content().split()) for cell in row.iter("td")]
        for row in welcome.find_class("ctas")[0].iter("tr")
    ]
    home = next(row for row in rows if row and row[0].startswith("base.example-home"))
    who = LAYOUT_CLICKS[("welcome", "base.example-home")]
    assert home[0] == "base.example-home · from layouts/base.html"
    # clicks, unique, share of the email's clicks, CTR over its deliveries, CTOR over its opens
    clicks = sum(len(w) for (e, _), w in LAYOUT_CLICKS.items() if e == "welcome")
    assert home[3:] == [
        str(len(who)),
        str(len(set(who))),
        f"{100 * len(who) / clicks:.1f}%",
        f"{100 * len(set(who)) / delivered:.1f}%",
        f"{100 * len(set(who)) / opened:.1f}%",
    ]


def test_events_of_no_email_shown_are_listed_apart(layout_campaign: Path) -> None:
    # A send the link map does not have (an email nobody instrumented) and deliveries that name
    # no email: a reviewer must see that they count in the summary but in no email's tab.
    events = layout_events(layout_campaign)
    extra = [
        {"email": f"p{n}@example.org", "event": "delivered", "timestamp": 1767225600 + n,
         "sg_event_id": f"p{n}", "sg_message_id": f"p{n}", "template": "spring-promo"}
        for n in range(5)
    ] + [
        {"email": f"x{n}@example.org", "event": "delivered", "timestamp": 1767225600 + n,
         "sg_event_id": f"x{n}", "sg_message_id": f"x{n}"}
        for n in range(3)
    ]  # fmt: skip
    with events.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(e) + "\n" for e in extra)
    _, text = report(layout_campaign, events)
    page = pageinfo.parse(text)
    section = page.root.find(".//section[@id='other-emails']")
    assert section is not None
    rows = [
        [" ".join(cell.text_content().split()) for cell in row.iter("td", "th")]
        for row in section.iter("tr")
    ]
    promo = next(row for row in rows if row[0].startswith("spring-promo"))
    assert promo[1] == "5"
    nameless = next(row for row in rows if row[0].startswith("no email named"))
    assert nameless[1] == "3"
    tabs = [" ".join(t.text_content().split()) for t in page.root.find_class("tab-label")]
    assert len(tabs) == 3  # still the emails of the templates
    assert not [row for row in rows if row[0].startswith("password-reset")]  # it has its tab


def test_a_layout_links_tip_says_where_it_is_written(layout_campaign: Path) -> None:
    _, text = report(layout_campaign, layout_events(layout_campaign))
    welcome = _frames_by_email(text)["welcome.html"]
    tips = {
        link.get("data-ctamap-id"): " ".join(
            link.find_class("ctamap-tip")[0].text_content().split()
        )
        for link in welcome.find_class("ctamap-link")
    }
    assert "from layouts/base.html" in tips["base.example-home"]
    assert "from partials/footer.html" in tips["footer.our-blog"]
    assert "from " not in tips["welcome.start-your-trial"]


def test_an_email_with_no_event_shows_no_borrowed_figures(layout_campaign: Path) -> None:
    # The receipt was not sent in this input: its layout's links must not show the clicks
    # they got in the other emails. The email without links of its own is not shown at all:
    # only its events say it exists.
    events = layout_events(layout_campaign)
    kept = [
        line
        for line in events.read_text().splitlines()
        if '"receipt"' not in line and "password-reset" not in line
    ]
    events.write_text("\n".join(kept) + "\n")
    _, text = report(layout_campaign, events)
    page = pageinfo.parse(text)
    panels = {p.find("h2").text_content(): p for p in page.root.find_class("panel")}
    assert sorted(panels) == ["emails/receipt.html", "emails/welcome.html"]
    summary = panels["emails/receipt.html"].find_class("email-summary")[0].text_content()
    assert "No event of this email is in the input" in summary
    frame = _frames_by_email(text)["receipt.html"]
    marked = {link["id"]: link for link in pageinfo.links(frame)}
    assert marked["base.example-home"]["badge"] == "0"
    assert marked["receipt.view-your-order"]["badge"] == "0"


def test_the_campaigns_top_links_are_listed_across_emails(layout_campaign: Path) -> None:
    # A campaign review starts with the links that drew the most clicks over every email: the
    # layout's logo link counts its clicks from all emails, over all their deliveries.
    _, text = report(layout_campaign, layout_events(layout_campaign))
    section = pageinfo.parse(text).root.find(".//section[@id='top-links']")
    assert section is not None
    rows = [
        [" ".join(cell.text_content().split()) for cell in row.iter("td")]
        for row in section.iter("tr")
    ][1:]
    totals: dict[str, list[int]] = {}
    for (_, link_id), who in LAYOUT_CLICKS.items():
        totals.setdefault(link_id, []).extend(who)
    ranked = sorted(totals, key=lambda i: (-len(totals[i]), i))
    assert [row[0] for row in rows] == ranked
    home = rows[ranked.index("base.example-home")]
    assert home[1] == "3 emails"  # every email on the layout, the one without links too
    clickers = {(e, n) for (e, i), who in LAYOUT_CLICKS.items() if i == "base.example-home"
                for n in who}  # fmt: skip
    assert home[4:6] == [str(len(totals["base.example-home"])), str(len(clickers))]
    delivered = sum(sent for _, sent, _ in LAYOUT_SENDS)  # over all three emails' deliveries
    assert home[7] == f"{100 * len(clickers) / delivered:.1f}%"
    own = rows[ranked.index("welcome.start-your-trial")]
    assert own[1] == "emails/welcome.html"
