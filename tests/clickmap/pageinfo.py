"""Reading a click map page back (lxml), for assertions and the structure goldens."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import lxml.html

URL_ATTRIBUTES = ("href", "src", "srcset", "action", "formaction", "background", "poster",
                  "data", "xlink:href", "ping")  # fmt: skip


@dataclass(frozen=True)
class Page:
    root: Any
    frames: list[Any]
    """The parsed `srcdoc` documents, in page order."""


def parse(text: str) -> Page:
    root = lxml.html.document_fromstring(text)
    frames = [lxml.html.document_fromstring(f.get("srcdoc")) for f in root.iter("iframe")]
    return Page(root, frames)


def fetching(doc: Any) -> list[str]:
    """Every attribute or CSS `url()` in a document that would make the browser load or go
    somewhere other than an inline `data:` URL."""
    found = []
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.lower() in URL_ATTRIBUTES and not value.startswith("data:"):
                found.append(f"<{element.tag} {name}={value!r}>")
            if name.lower().startswith("on"):
                found.append(f"<{element.tag} {name}>")
            if name.lower() == "style" and re.search(r"url\(\s*['\"]?(?!data:)", value, re.I):
                found.append(f"<{element.tag} style={value!r}>")
        if element.tag == "style" and re.search(
            r"url\(\s*['\"]?(?!data:)|@import", element.text or "", re.I
        ):
            found.append(f"<style>{element.text[:60]!r}")
        if element.tag in ("script", "object", "embed", "link", "base", "frame"):
            found.append(f"<{element.tag}>")
    return found


def links(doc: Any) -> list[dict[str, str]]:
    """The decorated links of one frame: ID, state and badge text."""
    out = []
    for element in doc.iter():
        if not isinstance(element.tag, str) or "ctamap-link" not in (element.get("class") or ""):
            continue
        badge = element.find("./span[@class]")
        out.append(
            {
                "tag": element.tag,
                "id": element.get("data-ctamap-id"),
                "state": element.get("data-ctamap-state"),
                "badge": badge.text_content() if badge is not None else "",
            }
        )
    return out


def _shown_text(doc: Any) -> str:
    """What a reader sees of an email: its body text without the badges and tooltips (so an
    escaping change, `&amp;lt;` shown for `<`, is a visible difference)."""
    body = copy.deepcopy(doc.find(".//body"))
    if body is None:
        return ""
    for extra in [*body.find_class("ctamap-tip"), *body.find_class("ctamap-badge")]:
        extra.drop_tree()
    return str(body.text_content())


def structure(page: Page, volatile: dict[str, str]) -> dict[str, object]:
    """The page's structure with volatile bits (temp paths) replaced: sections, summary cards,
    accounting, tabs, per frame its decorated links, placeholders and image boxes."""

    def clean(text: str) -> str:
        text = " ".join(text.split())
        for value, name in volatile.items():
            text = text.replace(value, name)
        return text

    root = page.root
    return {
        "title": clean(root.findtext(".//title") or ""),
        "csp": root.find(".//meta[@http-equiv='Content-Security-Policy']").get("content"),
        "sections": [s.get("id") for s in root.iter("section") if s.get("id")],
        "range": clean(root.find(".//p[@class='range']").text_content()),
        "cards": [clean(c.text_content()) for c in root.find_class("card")],
        "accounting": [
            clean(r.text_content()) for r in root.find_class("accounting")[0].iter("tr")
        ],
        "daily_bars": len(root.find(".//svg").findall(".//rect"))
        if root.find(".//svg") is not None
        else 0,
        "tabs": [clean(label.text_content()) for label in root.find_class("tab-label")],
        "email_summaries": [clean(p.text_content()) for p in root.find_class("email-summary")],
        "frames": [
            {
                "caption": clean(fig.find("figcaption").text_content()),
                "title": clean(doc.findtext(".//title") or ""),
                "links": links(doc),
                "placeholders": sorted({p.text_content() for p in doc.find_class("ctamap-ph")}),
                "image_boxes": len(doc.find_class("ctamap-img")),
                "text": clean(_shown_text(doc)),
            }
            for fig, doc in zip(root.find_class("email-frame"), page.frames, strict=True)
        ],
        "cta_rows": [
            clean(r.text_content()) for t in root.find_class("ctas") for r in t.iter("tr")
        ],
        "top_links": [
            clean(r.text_content())
            for s in root.iter("section")
            if s.get("id") == "top-links"
            for r in s.iter("tr")
        ],
        "other_emails": [
            clean(r.text_content())
            for s in root.iter("section")
            if s.get("id") == "other-emails"
            for r in s.iter("tr")
        ],
        "unmatched": [
            clean(r.text_content()) for r in root.find(".//section[@id='unmatched']").iter("tr")
        ],
    }
