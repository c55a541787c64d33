"""Text-version parity rules (V001-V002): the plain-text body stays untracked and still offers
the HTML body's main calls to action."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ctamap.classify import Cta
from ctamap.rules.base import Hit, Severity, rule
from ctamap.rules.context import (
    Context,
    describe,
    is_tracking_param,
    without_tracking,
)

_PRIMARY_ROLES = ("cta", "dynamic")


@rule("V001", "tracked-text-version", Severity.ERROR)
def tracked_text_version(ctx: Context) -> Iterator[Hit]:
    """A text version that carries tracking parameters or link IDs.

    ## What it does
    Flags every URL in a text template (`.txt`, `*-text.*`, …) that carries `utm_*`
    parameters or the link ID parameter (`link_id_param`, default `cta_id`).

    ## Why it matters
    Text versions are shown as they are: readers see, copy and forward the long tracked URL;
    spam filters compare the two bodies; and a text-body click carrying an HTML CTA's link ID
    is attributed to the HTML button. ctamap never instruments text versions, so tracking in
    them was pasted by hand and goes stale.

    ## Example
    ```text
    Get started ( https://app.example.com/start?utm_source=newsletter&cta_id=welcome.start )
    ```

    ## Fix
    Use the plain destination (the suggested fix removes the tracking parameters; ctamap never
    writes text versions itself):
    ```text
    Get started ( https://app.example.com/start )
    ```
    """
    if not ctx.template.is_text:
        return
    for cta in ctx.ctas():
        params = ctx.params(cta)
        names = [p.name for p in params if is_tracking_param(p.name, ctx.config)]
        if names:
            yield ctx.at(
                cta.link,
                f"text version link {describe(cta)} carries tracking parameters "
                f"{', '.join(dict.fromkeys(names))}",
                ctx.without_tracking_edits(cta),
            )


# Compiled by `re` on first use: only a template with a text version compares URLs.
_TAG_SPACE = r"(\{\{\{?|\{%|\*\||\[\[|%%=?)\s*(.*?)\s*(\}\}\}?|%\}|\|\*|\]\]|=?%%)"


def comparable(url: str, ctx: Context) -> str:
    """A destination reduced for comparing HTML and text bodies: no tracking parameters, no
    scheme, no trailing slash, template tags without inner spaces (`{{{ x }}}` == `{{x}}`)."""
    url = without_tracking(url.strip(), ctx.config)
    url = re.sub(_TAG_SPACE, lambda m: "{{" + m.group(2) + "}}", url)
    url = re.sub(r"(?i)^https?://", "", url)
    host, slash, rest = url.partition("/")
    return (host.lower() + slash + rest).rstrip("/#?")


def primary_ctas(ctas: tuple[Cta, ...]) -> list[Cta]:
    """The CTAs a text version must offer: see V002's documentation."""
    clickable = [cta for cta in ctas if cta.role in _PRIMARY_ROLES]
    buttons = [cta for cta in clickable if cta.kind == "button"]
    if buttons:
        return buttons
    return [cta for cta in clickable if cta.kind == "text"][:1]


@rule("V002", "text-version-missing-cta", Severity.WARNING)
def text_version_missing_cta(ctx: Context) -> Iterator[Hit]:
    """A primary HTML CTA whose destination is missing from the paired text version.

    ## What it does
    Pairs an HTML template with its text version (`x.html` / `x.txt`, `x.html.j2` /
    `x.txt.j2`, `x-body-html.*` / `x-body-text.*`, `x.mjml` / `x.txt`, and the globs of
    `[pairs]`; the text file is read from disk when it was not named on the command line) and
    checks that every **primary** CTA
    of the HTML body has a URL in the text body with the same destination. Destinations are
    compared without tracking parameters, scheme and trailing slash, and with template tags
    compared without inner spaces (`{{{ action_url }}}` matches `{{action_url}}`).

    Primary CTAs are the buttons (styled links, VML and `mj-button`) whose role is `cta` or
    `dynamic`; in a template without buttons, the first text link with one of those roles.
    Images (usually the logo) and footer links (unsubscribe, preferences) are not primary.
    An email is judged with the layouts and partials it uses (a button in its layout counts;
    the layout itself is not judged on its own), and the text version with its own layouts
    and partials (`{% extends "layouts/base.txt.j2" %}`), as each reader gets them.

    ## Why it matters
    Readers whose client shows the text body (and some accessibility tools) get an email
    without its main action; spam filters also compare the two bodies for consistency.

    ## Example
    `welcome.html` has `<a class="button" href="{{ action_url }}">Confirm</a>` and
    `welcome.txt` only says "Thanks for signing up."

    ## Fix
    Add the destination to the text version, in the `Label ( url )` form:
    ```text
    Confirm your address ( {{ action_url }} )
    ```
    """
    if ctx.template.is_text or ctx.project.uses_in_email(ctx.file):
        return  # a layout's CTAs are judged in each email built on it
    parts = ctx.composition()
    owner = {id(cta): file for file, part in parts for cta in part.ctas}
    primaries = primary_ctas(tuple(cta for _, part in parts for cta in part.ctas))
    if not primaries:
        return
    text_version = ctx.project.text_version(ctx.file)
    if text_version is None:
        return
    # What the text reader gets: the text version with its own layouts and partials.
    twin = ctx.project.twins.text_of(ctx.file)
    text_parts = ctx.project.graph.text_parts(twin, text_version) if twin else ()
    offered = {comparable(cta.url, ctx) for t in (text_version, *text_parts) for cta in t.ctas}
    for cta in primaries:
        if comparable(cta.url, ctx) in offered:
            continue
        message = (
            f"primary CTA {describe(cta)} is missing from the text version {text_version.path}"
        )
        part = owner[id(cta)]
        if part == ctx.file:
            yield ctx.at(cta.link, message)
        else:  # the CTA comes from a layout: point at the tag that brings it in
            yield ctx.at_reference(part, f"{message} (the CTA is in {part.display})")
