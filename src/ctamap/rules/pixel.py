"""Open-pixel rules (P001-P003): exactly one pixel in every full document, where it loads."""

from __future__ import annotations

from collections.abc import Iterator

from ctamap.rules.base import Edit, Hit, Severity, rule
from ctamap.rules.context import Context

# Gmail clips a message body over ~102 KB; what comes after the clip point never loads.
CLIP_BYTES = 102 * 1024


@rule("P001", "missing-open-pixel", Severity.ERROR)
def missing_open_pixel(ctx: Context) -> Iterator[Hit]:
    """A full HTML document without the open pixel, when a pixel is configured.

    ## What it does
    When `[pixel] url` is set, flags full HTML (or MJML) documents — those with a `<body>` —
    that have no element marked `data-ctamap-pixel`. The email a recipient gets is judged: a
    pixel in a partial the document includes (`{% include "footer.html" %}`) or in its layout
    serves it, and `instrument` adds none of its own. Partials and `{% extends %}` children are
    not checked: the pixel belongs to the document they end up in. Templates matched by
    `[pixel] exclude` (security or legal mail such as password resets) and documents whose
    `<body>` carries `data-ctamap-pixel="off"` want no pixel and are not flagged either.

    ## Why it matters
    Without the pixel, opens of this message are not counted, so open rate and CTOR for the
    campaign are wrong (too low), not merely missing.

    ## Example
    ```html
    <body><p>Hello</p></body>
    ```

    ## Fix
    Run `ctamap instrument`, which inserts the configured pixel right after `<body>` (the
    suggested fix is that insertion):
    ```html
    <body><img src="https://t.example.com/o.gif?m={{ message_id }}" width="1" height="1" alt=""
      style="display:block;border:0" data-ctamap-pixel><p>Hello</p></body>
    ```
    Or, when this email must not carry a pixel, say so: list it in `[pixel] exclude`
    (`exclude = ["security/*"]`) or write `<body data-ctamap-pixel="off">`.
    """
    scan = ctx.template.scan
    plan = ctx.plan
    if plan is not None and plan.pixel_exemption:
        return  # excluded, opted out on its body, or served by a part: none is wanted here
    if ctx.config.pixel.url and scan.is_document and not scan.pixels:
        # The suggested fix is the insertion `instrument` plans (same markup, same place).
        fixes = tuple(
            edit
            for edit in (plan.edits if plan else ())
            if edit.start == edit.end and "data-ctamap-pixel" in edit.replacement
        )
        yield ctx.at_offset(ctx.body_offset(), "HTML document has no open pixel", fixes)


@rule("P002", "duplicate-open-pixel", Severity.ERROR)
def duplicate_open_pixel(ctx: Context) -> Iterator[Hit]:
    """More than one open pixel in one template, or in the email it composes.

    ## What it does
    Flags every element marked `data-ctamap-pixel` after the first one. An email is also judged
    with the layouts and partials it uses (`{% extends %}`, `{% include %}`, …): when its own
    pixel and a layout's both reach the recipient, the email's pixel is flagged (the fix
    deletes it; the layout's serves every email); when two of its layouts or partials carry
    one, the email is flagged at the tag that brings in the second.

    ## Why it matters
    Two pixels count every open twice in providers that count image loads, and add a second
    request for every reader. It usually comes from a pixel pasted into a partial that is
    included in a document which has one already.

    ## Example
    ```html
    <body><img data-ctamap-pixel src="https://t.example.com/o.gif">
    <p>Hello</p><img data-ctamap-pixel src="https://t.example.com/o.gif"></body>
    ```

    ## Fix
    Delete all but one (the suggested fix deletes the later ones):
    ```html
    <body><img data-ctamap-pixel src="https://t.example.com/o.gif">
    <p>Hello</p></body>
    ```
    """
    scan = ctx.template.scan
    masked = scan.source.masked
    for offset in scan.pixels[1:]:
        end = masked.find(">", offset) + 1 or len(masked)
        yield ctx.at_offset(
            offset,
            f"second open pixel (the first is on line {scan.source.position(scan.pixels[0])[0]})",
            (Edit(offset, end, ""),),
        )
    if ctx.template.is_text or ctx.project.uses_in_email(ctx.file):
        return  # a layout's pixels are judged in each email built on it
    holders = [file for file, part in ctx.composition()[1:] if part.scan.pixels]
    if not holders:
        return
    if scan.pixels:
        offset = scan.pixels[0]
        end = masked.find(">", offset) + 1 or len(masked)
        yield ctx.at_offset(
            offset,
            f"second open pixel in the composed email: {holders[0].display} (which it uses) "
            "has one already",
            (Edit(offset, end, ""),),
        )
    elif len(holders) > 1:
        yield ctx.at_reference(
            holders[1],
            f"the composed email has two open pixels: {holders[0].display} and "
            f"{holders[1].display} each carry one; keep the one in the layout",
        )


@rule("P003", "pixel-after-clip", Severity.WARNING)
def pixel_after_clip(ctx: Context) -> Iterator[Hit]:
    """An open pixel placed after Gmail's ~102 KB clip point.

    ## What it does
    Flags an open pixel that starts more than 102 KB (104,448 bytes of UTF-8) into a
    template.

    ## Why it matters
    Gmail clips messages over about 102 KB and shows a "View entire message" link; the part
    after the clip is not loaded, so a pixel there never fires and every Gmail open is lost.

    ## Example
    A 140 KB newsletter with `[pixel] position = "bottom"`: the pixel sits before `</body>`.

    ## Fix
    Use `position = "top"` (the default) so the pixel sits right after `<body>`, and make the
    message smaller: inline CSS once, drop unused styles, host long content on the web.
    """
    scan = ctx.template.scan
    text = scan.source.text
    for offset in scan.pixels:
        at = len(text[:offset].encode("utf-8"))
        if at > CLIP_BYTES:
            yield ctx.at_offset(
                offset,
                f"open pixel starts at byte {at:,}, after Gmail's 102 KB clip point: "
                "clipped messages never load it",
            )
