"""What a rule sees: one classified template, the config, and the whole audited project.

Cross-file facts (text-version pairs, link IDs used by other templates and by the link map)
are computed once per run in `Project` and shared by every rule: each file is scanned once,
and no rule looks at every other file for each template.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ctamap.classify import Classifier, Cta, Template
from ctamap.config import Config
from ctamap.errors import InputError
from ctamap.graph import Reference, TemplateGraph, Twins
from ctamap.linkmap import LinkMap
from ctamap.rules.base import Edit, Hit
from ctamap.scan import Link
from ctamap.source import FILLER
from ctamap.walk import TemplateFile

if TYPE_CHECKING:  # plans are built by the workspace; rules only read them
    from ctamap.instrument import TemplatePlan


# Param and Context are NamedTuples (immutable, typed): a third of a frozen dataclass's cost to
# define, which a pre-commit call pays at import.
class Param(NamedTuple):
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


@dataclass(eq=False, repr=False)  # never compared or shown: no generated methods to pay for
class Project:
    """Everything audited in one run, with cross-file indexes built once, on first use: every
    per-template question is then a look-up, so a run costs in proportion to its files."""

    config: Config
    templates: tuple[tuple[TemplateFile, Template], ...]
    classifier: Classifier
    plans: Mapping[TemplateFile, TemplatePlan] = field(default_factory=dict)
    linkmap: LinkMap = field(default_factory=LinkMap)
    _loaded: dict[Path, Template | None] = field(default_factory=dict)
    _owners: dict[str, str] | None = None
    built_graph: TemplateGraph | None = None  # the workspace's, when planning built one

    @cached_property
    def _by_file(self) -> Mapping[TemplateFile, Template]:
        return dict(self.templates)

    @cached_property
    def twins(self) -> Twins:
        """HTML <-> text pairs of this run (and of text versions found beside them)."""
        return Twins(self.config, [file for file, _ in self.templates])

    @cached_property
    def graph(self) -> TemplateGraph:
        """Layouts and partials: who extends or includes whom (read once per run)."""
        if self.built_graph is not None:
            return self.built_graph
        return TemplateGraph.of(self.templates, self.config, self.classifier)

    def composition(
        self, file: TemplateFile, template: Template
    ) -> tuple[tuple[TemplateFile, Template], ...]:
        """What a recipient of `file` gets: the template itself first, then every layout and
        partial it uses (transitively, each once); a part that cannot be read is left out."""
        graph = self.graph
        parts = [(file, template)]
        for used in graph.uses(file):
            part = graph.template(used)
            if part is not None:
                parts.append((used, part))
        return tuple(parts)

    def uses_in_email(self, file: TemplateFile) -> bool:
        """`file` is a layout or partial of at least one email of this run: document-level
        rules judge it in each of those emails, not on its own."""
        return bool(self.graph.emails_using(file))

    @cached_property
    def _on_disk(self) -> TemplateGraph:
        """The graph of every template under the config's folder, read once, only when asked:
        pre-commit names only the changed layout, and the emails built on it are on disk."""
        from ctamap.walk import collect_reporting

        files, _ = collect_reporting([self.config.root], self.config)
        known = self._by_file
        return TemplateGraph.of(
            [(f, t) for f in files if (t := known.get(f) or self._load(f)) is not None],
            self.config,
            self.classifier,
        )

    def emails_on_disk(self, file: TemplateFile) -> tuple[TemplateFile, ...]:
        """The emails under the config's folder that use `file`, named in this run or not."""
        graph = self._on_disk
        return graph.emails_using(graph.file(file.path))

    def composition_on_disk(self, email: TemplateFile) -> tuple[Template, ...]:
        """An email found by `emails_on_disk` with the layouts and partials it uses."""
        graph = self._on_disk
        parts = (graph.template(email), *(graph.template(f) for f in graph.uses(email)))
        return tuple(part for part in parts if part is not None)

    def reference_to(self, email: TemplateFile, part: TemplateFile) -> Reference | None:
        """The tag of `email` (`{% extends %}`, `{% include %}` …) through which `part` comes
        into it, directly or through other layouts: where a composed finding points."""
        graph = self.graph
        for ref, target in graph.references(email):
            if target == part or part in graph.uses(target):
                return ref
        return None

    @cached_property
    def mapped_ids(self) -> Mapping[str, str]:
        """Active link ID -> the template the link map gives it to (built once per run)."""
        return self.linkmap.active_ids  # a one-file run's map looks IDs up by their prefix

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
        twin = self.twins.text_of(file)
        if twin is None:
            return None
        found = self._by_file.get(twin)
        if found is not None:
            return found
        if twin.path not in self._loaded:
            self._loaded[twin.path] = self._load(twin)
        return self._loaded[twin.path]

    def _load(self, file: TemplateFile) -> Template | None:
        """Pre-commit passes only changed files: the text version may be on disk, unnamed."""
        from ctamap.pipeline import load_one

        try:
            return load_one(file, self.classifier)
        except InputError:
            return None  # reported when that file itself is audited


class Context(NamedTuple):
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

    def composition(self) -> tuple[tuple[TemplateFile, Template], ...]:
        """This template and the layouts and partials it uses: the email a recipient gets."""
        return self.project.composition(self.file, self.template)

    def at_reference(self, part: TemplateFile, message: str) -> Hit:
        """A hit on the tag that brings `part` into this template (line 1 when none is found)."""
        ref = self.project.reference_to(self.file, part)
        return self.at_offset(ref.start if ref else 0, message)

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
