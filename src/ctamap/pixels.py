"""Where the open pixel of a composed email lives: a document whose layouts or partials
already carry one gets none of its own (design: "never a second one"), and P001 judges the
email a recipient gets, not the file alone."""

from __future__ import annotations

from collections.abc import Callable

from ctamap.classify import Template
from ctamap.config import Config
from ctamap.graph import TemplateGraph, references
from ctamap.walk import TemplateFile


def pixel_holder(graph: TemplateGraph, file: TemplateFile) -> TemplateFile | None:
    """The first layout or partial of `file` (transitively) that carries a pixel."""
    for used in graph.uses(file):
        part = graph.template(used)
        if part is not None and part.scan.pixels:
            return used
    return None


def served_elsewhere(
    file: TemplateFile, template: Template, config: Config, graph: Callable[[], TemplateGraph]
) -> str:
    """Why the document `file` needs no pixel of its own because a part it uses has one, ""
    when it does need one (or is no document wanting a pixel). `graph` is asked only for a
    document without a pixel that uses other templates: most runs never build it."""
    scan = template.scan
    if not config.pixel.url or template.is_text or not scan.is_document or scan.pixels:
        return ""
    if not references(template):
        return ""
    holder = pixel_holder(graph(), file)
    return f"{holder.display} (which it uses) carries the pixel" if holder else ""


__all__ = ["pixel_holder", "served_elsewhere"]
