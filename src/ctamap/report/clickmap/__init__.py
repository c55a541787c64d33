"""`ctamap report --html FILE`: the click map, one self-contained HTML page showing each email
with its links' figures on it (Mailchimp's click map, offline, for any provider).

`emails` finds each email's template, its text twin, the layouts and partials it is sent
inside and their links' IDs and figures, `placeholders` makes the template tags readable,
`compose` puts an email's copy together with its layouts' copies, `frame` builds each email's
inert, decorated copy, `page` the page around them, `style` the look. Only `frame` parses
HTML (BeautifulSoup + lxml, imported when a page is built).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ctamap.config import Config
from ctamap.linkmap import LinkMapEntry
from ctamap.report.catalog import LinkMapTemplates
from ctamap.report.clickmap.emails import EmailView, Part, breakdown, email_views
from ctamap.report.clickmap.frame import FrameOptions, frame_document
from ctamap.report.clickmap.page import PageData, csp, render_page
from ctamap.report.clickmap.placeholders import SampleData, load_sample_data
from ctamap.report.model import Report


@dataclass(frozen=True)
class ClickMapOptions:
    """How the page is built (the CLI's `--html`, `--sample-data`, `--load-images`, ...)."""

    template_bases: tuple[Path, ...]
    """Folders the link map's template paths are looked up under, in order."""
    sample_data: Path | None = None
    load_images: bool = False
    title: str = "Click map"
    sources: tuple[str, ...] = ()
    templates: LinkMapTemplates | None = None
    """The templates and graph the report read for its catalogue (read again when None)."""


@dataclass(frozen=True)
class Views:
    """The reports the page is built from: the user's and the breakdowns it shows."""

    report: Report
    by_day: Report | None = None
    by_part: Report | None = None


#: The `--by` values the page needs besides the user's own report (which holds each email's
#: own figures, `Report.emails`).
VIEWS = ("day", "part")


def build_click_map(
    views: Views, entries: list[LinkMapEntry], config: Config, options: ClickMapOptions
) -> str:
    """The page's HTML."""
    emails: list[EmailView] = email_views(
        entries, views.report, config, options.template_bases, options.templates
    )
    sample = (
        load_sample_data(options.sample_data, sorted({e.template for e in entries}))
        if options.sample_data is not None
        else SampleData()
    )
    frame_options = FrameOptions(load_images=options.load_images, csp=csp(options.load_images))
    shown: list[EmailView] = []
    frames: list[Sequence[str]] = []
    for email in emails:
        values = sample.for_template(email.key)
        parts: list[Part] = []
        documents: list[str] = []
        for part in email.parts:
            if part.source is None:
                parts.append(part)
                documents.append("")
                continue
            framed = frame_document(part, values, frame_options)
            parts.append(part)
            documents.append(framed.document)
            for layout in framed.unplaced:  # its links still show, in a frame of their own
                apart = replace(layout, uses=(), targets=(), apart=True)
                parts.append(apart)
                documents.append(frame_document(apart, values, frame_options).document)
        shown.append(replace(email, parts=tuple(parts)))
        frames.append(documents)
    return render_page(
        PageData(
            title=options.title,
            report=views.report,
            emails=shown,
            frames=frames,
            breakdown=breakdown(views.by_day, views.by_part),
            load_images=options.load_images,
            sources=options.sources,
        )
    )


__all__ = ["VIEWS", "ClickMapOptions", "Views", "build_click_map"]
