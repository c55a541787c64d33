"""Link hygiene rules (L001-L009): where a link goes and what it says, before any tracking."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ctamap.classify import Template, expression_name, registrable_domain
from ctamap.graph import LAYOUT_SLOT
from ctamap.rules import suppress
from ctamap.rules.base import Edit, Hit, Severity, rule
from ctamap.rules.context import Context, describe
from ctamap.source import FILLER

# Roles that name a web destination a reader is sent to (not mailto:, tel:, #anchors).
_WEB_ROLES = frozenset(
    {"cta", "unsubscribe", "preferences", "view-online", "dynamic", "third-party", "honeypot"}
)


@rule("L001", "placeholder-href", Severity.ERROR)
def placeholder_href(ctx: Context) -> Iterator[Hit]:
    """A link whose href is empty, `#` or a bare `http://`.

    ## What it does
    Flags links whose destination is a placeholder: an empty `href`, `#`, `#!`, `http://`,
    `https://` or `about:blank`.

    ## Why it matters
    Placeholders are left over from a design hand-off. In a sent email they lead nowhere (or
    back to the top of a web view), the reader's click is wasted, and the click cannot be
    attributed to any CTA.

    ## Example
    ```html
    <a href="#" class="button">Get started</a>
    ```

    ## Fix
    Link to the real destination:
    ```html
    <a href="https://app.example.com/start" class="button">Get started</a>
    ```
    """
    for cta in ctx.ctas("placeholder"):
        yield ctx.at(cta.link, f"{describe(cta)} has a placeholder href: link the real page")


@rule("L002", "insecure-link", Severity.WARNING)
def insecure_link(ctx: Context) -> Iterator[Hit]:
    """A link to an insecure `http://` destination.

    ## What it does
    Flags links whose destination starts with `http://` (a placeholder `http://` alone is
    L001).

    ## Why it matters
    Mail clients and browsers warn about insecure pages, spam filters score them, and the
    tracking parameters travel in clear text. Most sites answer on `https://` anyway.

    ## Example
    ```html
    <a href="http://www.example.com/pricing">See pricing</a>
    ```

    ## Fix
    Use `https://` (the suggested fix changes only the scheme):
    ```html
    <a href="https://www.example.com/pricing">See pricing</a>
    ```
    """
    for cta in ctx.ctas(*_WEB_ROLES):
        if not re.match(r"(?i)http://", ctx.masked_url(cta)):
            continue
        fixes: tuple[Edit, ...] = ()
        href = cta.link.href
        for occurrence in cta.occurrences:
            href = occurrence.href
            if href is not None and (m := re.match(r"\s*(http)://", href.value, re.I)):
                start = href.value_start + m.start(1)
                fixes += (Edit(start, start + len("http"), "https"),)
        yield ctx.at(cta.link, f"{describe(cta)} uses insecure http://: use https://", fixes)


_SCRIPT_SCHEME = re.compile(r"(javascript|vbscript|data):")
_CONTROL = re.compile(r"[\x00-\x20]+")


@rule("L003", "script-or-data-href", Severity.ERROR)
def script_or_data_href(ctx: Context) -> Iterator[Hit]:
    """A `javascript:` or `data:` href.

    ## What it does
    Flags links whose destination uses the `javascript:`, `vbscript:` or `data:` scheme, also
    when spelled with entities or whitespace inside the scheme (as browsers read it).

    ## Why it matters
    Mail clients strip or block these links, so the CTA does nothing; spam and phishing filters
    treat them as an attack signature and may quarantine the whole message.

    ## Example
    ```html
    <a href="javascript:void(0)">Open the offer</a>
    ```

    ## Fix
    Link to a web page that does what the script did:
    ```html
    <a href="https://www.example.com/offer">Open the offer</a>
    ```
    """
    for cta in ctx.ctas():
        scheme = _SCRIPT_SCHEME.match(_CONTROL.sub("", cta.url).lower())
        if scheme:
            yield ctx.at(
                cta.link,
                f"{describe(cta)} uses a {scheme.group(1)}: href, which mail clients block",
            )


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LEFTOVER_TAG = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\*\||\|\*|\[\[|\]\]|%%")
_SPACE = re.compile(r"\s")


def _malformations(url: str) -> list[str]:
    """What is wrong with a (masked, entity-decoded, stripped) destination."""
    problems: list[str] = []
    if _SPACE.search(url):
        problems.append("contains a space (write %20)")
    if _BAD_PERCENT.search(url):
        problems.append("has a '%' not followed by two hex digits")
    if url.split("#", 1)[0].count("?") > 1:
        problems.append("has two '?' (the second one starts no query: use '&')")
    if tag := _LEFTOVER_TAG.search(url):
        problems.append(f"has an unbalanced template tag '{tag.group()}'")
    if re.match(r"(?i)https?:", url):
        authority = re.match(r"(?i)https?://([^/?#]*)", url)
        host = authority.group(1) if authority else ""
        if FILLER not in host and not re.fullmatch(r"[\w.-]*\w(:\d+)?", host):
            problems.append("has no valid host after the scheme")
    return problems


@rule("L004", "malformed-url", Severity.ERROR)
def malformed_url(ctx: Context) -> Iterator[Hit]:
    """A destination URL that is malformed.

    ## What it does
    Flags web links whose destination contains a space, a `%` that is not a percent-escape, a
    second `?`, no valid host after `http(s)://`, or a template tag that is not balanced
    (`{{ user_id }`, `*|EMAIL|`). Template tags that are balanced are fine and never checked
    inside.

    ## Why it matters
    Mail clients and ESP click-tracking rewriters handle malformed URLs differently: one client
    opens the page, another truncates the URL at the space, a third shows an error. Tracking
    parameters appended after a second `?` are lost.

    ## Example
    ```html
    <a href="https://www.example.com/spring sale?ref=mail?utm_source=x">Shop</a>
    ```

    ## Fix
    Percent-encode spaces and join parameters with `&` (the suggested fix encodes spaces):
    ```html
    <a href="https://www.example.com/spring%20sale?ref=mail&utm_source=x">Shop</a>
    ```
    """
    for cta in ctx.ctas(*_WEB_ROLES):
        url = ctx.masked_url(cta)
        if not url or set(url) == {FILLER} or _SCRIPT_SCHEME.match(url.lower()):
            continue
        problems = _malformations(url)
        if not problems:
            continue
        fixes: list[Edit] = []
        masked = ctx.template.scan.source.masked
        for occurrence in cta.occurrences:
            href = occurrence.href
            if href is None:
                continue
            value = masked[href.value_start : href.value_end]
            inner = value.strip()
            first = href.value_start + value.index(inner[0]) if inner else 0
            fixes.extend(
                Edit(first + m.start(), first + m.end(), "%20") for m in _SPACE.finditer(inner)
            )
        only_spaces = len(problems) == 1 and problems[0].startswith("contains a space")
        yield ctx.at(
            cta.link,
            f"{describe(cta)} is malformed: {'; '.join(problems)}",
            tuple(fixes) if only_spaces else (),
        )


@rule("L005", "image-link-without-alt", Severity.WARNING)
def image_link_without_alt(ctx: Context) -> Iterator[Hit]:
    """An image link whose image has no `alt` text.

    ## What it does
    Flags links that wrap only an image (or MJML `mj-image`) when the image has no `alt` text
    and the link has no `title` or `aria-label`.

    ## Why it matters
    Most mail clients block images by default: without `alt` text the CTA is an empty box that
    nobody clicks. Screen readers announce the bare URL. And the CTA has no name in the link
    map and in click reports.

    ## Example
    ```html
    <a href="https://www.example.com/sale"><img src="banner.png" width="600"></a>
    ```

    ## Fix
    Describe what the click does:
    ```html
    <a href="https://www.example.com/sale"><img src="banner.png" width="600"
       alt="Spring sale: 20% off everything"></a>
    ```
    """
    for cta in ctx.ctas():
        if cta.kind == "image" and not cta.text and cta.role not in ("honeypot", "anchor"):
            yield ctx.at(cta.link, f"image {describe(cta)} has no alt text")


_PUNCTUATION = re.compile(r"[\s\W_]+")


@rule("L006", "vague-link-text", Severity.WARNING)
def vague_link_text(ctx: Context) -> Iterator[Hit]:
    """Vague link text such as "click here", "here", "read more".

    ## What it does
    Flags links whose whole visible text (ignoring case, punctuation and arrows) is one of the
    vague phrases in `[audit] vague_texts` (default: "click here", "click", "here",
    "read more", "more", "link", "this link", "learn more", "go"). Text versions are not
    checked: their label is the sentence around the URL.

    ## Why it matters
    Readers scan emails for what a click does; screen readers list links out of context; and
    in click reports five CTAs all named "Read more" cannot be told apart. Descriptive CTAs
    get more clicks.

    ## Example
    ```html
    To see your invoice, <a href="https://app.example.com/invoices/42">click here</a>.
    ```

    ## Fix
    Say where the link goes:
    ```html
    <a href="https://app.example.com/invoices/42">See your invoice</a>.
    ```
    """
    vague = {_PUNCTUATION.sub(" ", t.lower()).strip() for t in ctx.config.audit.vague_texts}
    for cta in ctx.ctas():
        if cta.kind == "text-version" or cta.role in ("honeypot", "anchor"):
            continue
        if _PUNCTUATION.sub(" ", cta.text.lower()).strip() in vague:
            yield ctx.at(cta.link, f"{describe(cta)} has vague link text: say what it leads to")


# Compiled by `re` on first use: a text without a dot is no web address, and most are that.
_URLISH = (
    r"(?i)^(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})\.?(?::\d+)?"
    r"(?:[/?#]\S*)?$"
)


def _public_suffix(host: str) -> str:
    from ctamap.classify import _extractor  # the same offline public-suffix snapshot

    return str(getattr(_extractor()(host), "suffix", ""))


@rule("L007", "misleading-link-text", Severity.ERROR)
def misleading_link_text(ctx: Context) -> Iterator[Hit]:
    """Visible text that is a URL on another domain than the link's destination.

    ## What it does
    Flags links whose visible text reads as a web address (`www.example.com`,
    `https://example.com/account`) whose registrable domain differs from the destination's.
    Tracking domains of your own are fine when listed in `first_party_domains` and the text
    names one of them too.

    ## Why it matters
    "Shows one address, goes to another" is the signature of phishing: spam filters (and
    careful readers) punish it, even when the reason is an innocent redirect or tracking
    domain.

    ## Example
    ```html
    <a href="https://click.mailer.net/r/abc">www.example.com/account</a>
    ```

    ## Fix
    Link the address shown, or change the text to describe the page:
    ```html
    <a href="https://www.example.com/account">www.example.com/account</a>
    ```
    """
    for cta in ctx.ctas():
        if not cta.host or cta.kind == "text-version":
            continue
        text = cta.text.strip()
        shown = re.match(_URLISH, text) if "." in text else None
        if shown is None:
            continue
        shown_host = shown.group(1).lower()
        if not _public_suffix(shown_host):
            continue  # "Node.js", "index.html": not a web address
        if registrable_domain(shown_host) != registrable_domain(cta.host):
            yield ctx.at(
                cta.link,
                f"{describe(cta)} shows the address {shown_host} but goes to {cta.host}",
            )


@rule("L008", "url-shortener", Severity.WARNING)
def url_shortener(ctx: Context) -> Iterator[Hit]:
    """A link through a URL shortener (`bit.ly`, `t.co`, …).

    ## What it does
    Flags links whose host is a public URL shortener (a built-in list, extended with the
    `shorteners` config key).

    ## Why it matters
    Spam filters score shortened links heavily because they hide the destination; readers
    cannot see where they are going; the shortener can expire or be blocked; and ctamap cannot
    track through it (shortened links are never instrumented).

    ## Example
    ```html
    <a href="https://bit.ly/3xYz">Read the report</a>
    ```

    ## Fix
    Link the real destination:
    ```html
    <a href="https://www.example.com/reports/2024">Read the report</a>
    ```
    """
    for cta in ctx.ctas():
        if cta.shortener:
            yield ctx.at(cta.link, f"{describe(cta)} goes through the URL shortener {cta.host}")


_UNSUBSCRIBE_TAG = re.compile(r"unsub|opt[-_ ]?out|asm_group", re.I)


def has_unsubscribe(template: Template) -> bool:
    """`template` itself offers an unsubscribe: a link with that role, or an ESP merge tag."""
    if any(cta.role == "unsubscribe" for cta in template.ctas):
        return True
    text = template.scan.source.text
    return any(_UNSUBSCRIBE_TAG.search(text[s.start : s.end]) for s in template.scan.source.spans)


def _waived(template: Template, code: str) -> bool:
    """The template silences `code` where its document-level finding would be (its `<body>`
    line): a layout that says "no unsubscribe here" says it for the emails built on it."""
    end = template.scan.body_open_end
    line = template.scan.source.position(end)[0] if end is not None else 1
    return any(s.covers(code, line) for s in suppress.parse(template.scan.source.text))


@rule("L009", "missing-unsubscribe", Severity.WARNING)
def missing_unsubscribe(ctx: Context) -> Iterator[Hit]:
    """An email whose full HTML document has no unsubscribe link.

    ## What it does
    Judges what a recipient gets: the template together with the layouts and partials it uses
    (`{% extends %}`, `{% include %}`, Liquid `{% layout %}`/`{% render %}`, Handlebars
    `{{> partial}}`, MJML `<mj-include>`). When that composed email is a full HTML document
    (one of its parts has a `<body>`) and no part has a link recognised as unsubscribe (an
    `href` or link text mentioning unsubscribe / opt-out, an ESP `<unsubscribe>` tag, or an
    ESP merge tag such as `*|UNSUB|*`, `{{ unsubscribe_url }}`, `<%asm_group_unsubscribe_raw_url%>`
    or `%%unsub_center_url%%`), the email is flagged: at its `<body>`, or at the tag that brings
    in the layout holding the `<body>`. A layout or partial used by the audited emails is not
    flagged itself: an unsubscribe link in each email's block is enough; when the layout is
    audited alone (pre-commit passes the changed file), the emails built on it are read from
    the config's folder and the layout is flagged only when some of them lack one. A file-wide
    suppression of L009 in a layout covers the emails built on it.

    ## Why it matters
    Bulk senders must offer a visible unsubscribe link (CAN-SPAM, GDPR, and the Gmail/Yahoo
    sender requirements). Without one, readers press "Report spam" instead, which hurts
    deliverability for every later message. Purely transactional messages may suppress this
    rule per file.

    ## Example
    ```html
    <body><p>Our spring sale starts today.</p></body>
    ```

    ## Fix
    Add an unsubscribe link (or the ESP's unsubscribe tag), in the email or in the layout's
    footer:
    ```html
    <body><p>Our spring sale starts today.</p>
    <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body>
    ```
    """
    if ctx.template.is_text:
        return
    project = ctx.project
    if project.uses_in_email(ctx.file):
        if ctx.template.scan.is_document and _waived(ctx.template, "L009"):
            # Report where the author silenced it, as before, so the suppression is "used".
            yield ctx.at_offset(ctx.body_offset(), "HTML document has no unsubscribe link")
        return  # judged in each email that uses it
    parts = ctx.composition()
    document = next((file for file, t in parts if t.scan.is_document), None)
    if document is None or any(has_unsubscribe(t) for _, t in parts):
        return
    if any(_waived(t, "L009") for file, t in parts if file != ctx.file):
        return
    if document == ctx.file and len(parts) == 1 and LAYOUT_SLOT.search(ctx.text):
        # A layout named alone (pre-commit passes the changed file): judge its emails on disk.
        emails = ctx.project.emails_on_disk(ctx.file)
        lacking = [
            email.display
            for email in emails
            if not any(has_unsubscribe(t) for t in ctx.project.composition_on_disk(email))
        ]
        if emails and not lacking:
            return
        if lacking:
            shown = ", ".join(lacking[:5]) + (
                f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
            )
            yield ctx.at_offset(
                ctx.body_offset(),
                f"HTML document has no unsubscribe link; {len(lacking)} of the {len(emails)} "
                f"emails built on it have none either: {shown}",
            )
            return
    if document == ctx.file:
        others = [file.display for file, _ in parts[1:]]
        yield ctx.at_offset(
            ctx.body_offset(),
            "HTML document has no unsubscribe link"
            + (f" (nor do the partials it includes: {', '.join(others)})" if others else ""),
        )
        return
    used = [file.display for file, _ in parts[1:]]
    frame = f"its layout {used[0]}" if len(used) == 1 else f"its layouts ({', '.join(used)})"
    yield ctx.at_reference(
        document,
        f"email has no unsubscribe link: neither it nor {frame} has one; add one to this "
        f"email's blocks or to the footer of {document.display}",
    )


@rule("L010", "untracked-expression-host", Severity.WARNING)
def untracked_expression_host(ctx: Context) -> Iterator[Hit]:
    """A CTA whose host is a template expression stays untracked.

    ## What it does
    Flags a CTA whose destination is a template expression standing for the scheme and host,
    followed by a path, query or fragment: `{{ base_url }}/pricing`,
    `https://{{ host }}/start`, `*|SITE_URL|*/sale`, or a host built from expressions
    (`https://{{ brand }}.com/x`). ctamap cannot tell whether that host is yours, so it leaves
    the link untracked. A templated subdomain of a written domain
    (`https://{{ tenant }}.example.com/x`) is judged on `example.com` like any other host. A
    destination that is one expression as a whole (`{{ action_url }}`) is the application's
    link and is not flagged; neither are text versions (never tracked), opted-out links, or
    unsubscribe and preference links.

    ## Why it matters
    Every click on such a CTA is missing from the report and from web analytics, and nothing
    else would say so: the link looks like any other in the template.

    ## Example
    ```html
    <a href="{{ base_url }}/pricing">See pricing</a>
    ```

    ## Fix
    Declare what the expression is filled with, in the config; its links are then first-party
    and `ctamap instrument` tracks them:
    ```toml
    dynamic_hosts = { base_url = "example.com" }
    ```
    Or mark the link `data-ctamap="off"` when it must stay untracked.
    """
    if ctx.template.is_text:
        return
    for cta in ctx.ctas("dynamic"):
        expression = cta.host_expression
        if not cta.templated_host or cta.declared_host or cta.opted_out:
            continue
        if not expression:  # `https://{{ brand }}.com/x`: no one expression is the host
            yield ctx.at(
                cta.link,
                f"{describe(cta)} is not tracked: its host is built from template "
                "expressions; write your domain in the href (`https://{{ tenant }}.example.com` "
                'is judged on example.com) or mark it data-ctamap="off"',
            )
            continue
        name = expression_name(expression)
        key = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'
        yield ctx.at(
            cta.link,
            f"{describe(cta)} is not tracked: its host is the template expression "
            f'{expression}; declare it with dynamic_hosts = {{{key} = "example.com"}} '
            "(your host) to track it",
        )
