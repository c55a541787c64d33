"""What a rule sees: one classified template, the config, and the whole audited project.

Cross-file facts (text-version pairs, link IDs used by other templates) are computed once per
run in `Project` and shared by every rule, so each file is still scanned only once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ctamap.classify import Classifier, Cta, Template
from ctamap.config import Config
from ctamap.errors import InputError
from ctamap.instrument import TemplatePlan
from ctamap.linkmap import LinkMap
from ctamap.rules.base import Edit, Hit
from ctamap.scan import Link
from ctamap.source import FILLER
from ctamap.walk import TemplateFile


@dataclass(frozen=True)
class Param:
    """One query parameter of a link's destination, decoded."""

    name: str  # lowercased
    value: str  # template tags verbatim
    templated: bool  # the value is (or contains) a template tag: not ours to judge


def masked_url(template: Template, link: Link) -> str:
    """The destination with entities decoded and every template tag replaced by FILLER."""
    if link.href is None:
        return ""
    masked = template.scan.source.masked[link.href.value_start : link.href.value_end]
    return html.unescape(masked).strip()


def link_params(template: Template, link: Link) -> list[Param]:
    """Query parameters of a link as written, split the way `instrument` splits them."""
    from ctamap.urls import layout

    href = link.href
    if href is None:
        return []
    masked = template.scan.source.masked[href.value_start : href.value_end]
    return [
        Param(p.name.strip().lower(), p.value, FILLER in masked[p.value_start : p.end])
        for p in layout(href.value, masked).params
    ]


def is_tracking_param(name: str, config: Config) -> bool:
    return name.startswith("utm_") or name == config.link_id_param


def without_tracking(url: str, config: Config) -> str:
    """`url` with its tracking parameters dropped, for comparing destinations."""
    from ctamap.urls import params_of, without_params

    names = [name for name, _ in params_of(url) if is_tracking_param(name.lower(), config)]
    return without_params(url, names) if names else url


def describe(cta: Cta) -> str:
    """How a message names a link: `"Get started" (https://…/start)`."""
    text = cta.text if len(cta.text) <= 60 else cta.text[:57] + "..."
    url = cta.url.strip() if len(cta.url.strip()) <= 100 else cta.url.strip()[:97] + "..."
    name = f'"{text}"' if text else "link without text"
    return f"{name} ({url or 'empty href'})"


# Pairs of an HTML template with its text version: `x.html`/`x.txt`, `content.html`/
# `content.txt`, `welcome-body-html.html`/`welcome-body-text.html`, `x.html.j2`/`x.txt.j2`.
_BODY_MARK = re.compile(r"([-_.])body[-_.](html|text|txt)(?=[-_.]|$)", re.I)
_KIND_PART = frozenset({"html", "htm", "txt", "text", "mjml"})


def pair_key(path: Path) -> tuple[str, str]:
    """Folder and name with its html/text markers blanked: equal keys are one message's bodies."""
    name = _BODY_MARK.sub(r"\1body\1*", path.name)
    parts = name.split(".")
    head, rest = parts[0], parts[1:]
    for marker in ("-html", "_html", "-text", "_text"):
        if head.lower().endswith(marker) and "body" not in head.lower():
            head = head[: -len(marker)] + marker[0] + "*"
    normalised = [head, *("*" if p.lower() in _KIND_PART else p for p in rest)]
    return str(path.parent), ".".join(normalised)


@dataclass
class Project:
    """Everything audited in one run, with cross-file indexes built on first use."""

    config: Config
    templates: tuple[tuple[TemplateFile, Template], ...]
    classifier: Classifier
    plans: Mapping[TemplateFile, TemplatePlan] = field(default_factory=dict)
    linkmap: LinkMap = field(default_factory=LinkMap)
    _partners: dict[tuple[str, str], Template | None] = field(default_factory=dict)
    _owners: dict[str, str] | None = None

    @cached_property
    def _by_key(self) -> Mapping[tuple[tuple[str, str], bool], Template]:
        index: dict[tuple[tuple[str, str], bool], Template] = {}
        for file, template in self.templates:
            index.setdefault((pair_key(file.path), file.is_text), template)
        return index

    def link_id_owners(self) -> Mapping[str, str]:
        """Link ID -> the first template (in path order) whose links carry it."""
        if self._owners is None:
            owners: dict[str, str] = {}
            name = self.config.link_id_param
            for file, template in sorted(self.templates, key=lambda t: t[0].display):
                if file.is_text:
                    continue
                for cta in template.ctas:
                    for param in link_params(template, cta.link):
                        if param.name == name and param.value and not param.templated:
                            owners.setdefault(param.value, file.display)
            self._owners = owners
        return self._owners

    def text_version(self, file: TemplateFile) -> Template | None:
        """The text template paired with an HTML template: audited with it, or found beside it."""
        if file.is_text:
            return None
        key = pair_key(file.path)
        found = self._by_key.get((key, True))
        if found is not None:
            return found
        if key not in self._partners:
            self._partners[key] = self._load_partner(file)
        return self._partners[key]

    def _load_partner(self, file: TemplateFile) -> Template | None:
        """Pre-commit passes only changed files: the text version may be on disk, unnamed."""
        from ctamap.pipeline import load_one
        from ctamap.walk import display, matches

        key = pair_key(file.path)
        try:
            siblings = sorted(file.path.parent.iterdir())
        except OSError:
            return None
        for sibling in siblings:
            if (
                sibling != file.path
                and sibling.is_file()
                and matches(sibling.name, self.config.text)
                and pair_key(sibling) == key
            ):
                partner = TemplateFile(sibling, display(sibling), sibling.name, True)
                try:
                    return load_one(partner, self.classifier)
                except InputError:
                    return None  # reported when that file itself is audited
        return None


@dataclass(frozen=True)
class Context:
    """One template under audit."""

    file: TemplateFile
    template: Template
    project: Project

    @property
    def config(self) -> Config:
        return self.project.config

    @property
    def text(self) -> str:
        return self.template.scan.source.text

    @property
    def plan(self) -> TemplatePlan | None:
        """What `ctamap instrument` would do to this template."""
        return self.project.plans.get(self.file)

    def at(self, link: Link, message: str, fixes: tuple[Edit, ...] = ()) -> Hit:
        """A hit at the start of a link's element (or of the URL, in a text template)."""
        return Hit(link.line, link.column, message, fixes)

    def at_offset(self, offset: int, message: str, fixes: tuple[Edit, ...] = ()) -> Hit:
        line, column = self.template.scan.source.position(offset)
        return Hit(line, column, message, fixes)

    def body_offset(self) -> int:
        """Where the `<body>` (or `<mj-body>`) start tag begins; 0 when there is none."""
        end = self.template.scan.body_open_end
        if end is None:
            return 0
        masked = self.template.scan.source.masked.lower()
        found = max(masked.rfind("<body", 0, end), masked.rfind("<mj-body", 0, end))
        return max(found, 0)

    def ctas(self, *roles: str) -> Iterator[Cta]:
        """The template's CTAs, only those with one of `roles` when any are given."""
        return (cta for cta in self.template.ctas if not roles or cta.role in roles)

    def masked_url(self, cta: Cta) -> str:
        return masked_url(self.template, cta.link)

    def params(self, cta: Cta) -> list[Param]:
        return link_params(self.template, cta.link)

    def without_tracking_edits(self, cta: Cta) -> tuple[Edit, ...]:
        """Edits that remove every tracking parameter from each occurrence's href, keeping
        the other parameters, their order, spelling and the author's separator."""
        from ctamap.urls import layout

        masked = self.template.scan.source.masked
        edits: list[Edit] = []
        for occurrence in cta.occurrences:
            href = occurrence.href
            if href is None:
                continue
            raw = href.value
            shape = layout(raw, masked[href.value_start : href.value_end])
            kept = [
                raw[p.start : p.end]
                for p in shape.params
                if not is_tracking_param(p.name.lower(), self.config)
            ]
            if len(kept) == len(shape.params):
                continue
            if kept:
                new = raw[: shape.query_start] + shape.separator.join(kept)
            else:  # no parameter left: the `?` goes too
                new = raw[: shape.query_start - 1]
            edits.append(Edit(href.value_start, href.value_end, new + raw[shape.query_end :]))
        return tuple(edits)
