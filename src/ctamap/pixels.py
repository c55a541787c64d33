"""Where the open pixel of a composed email lives: a document whose layouts or partials
already carry one gets none of its own (design: "never a second one"), a layout that serves
only emails `[pixel] exclude` matches gets none, and P001 judges the email a recipient gets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ctamap.classify import Template
from ctamap.config import Config
from ctamap.errors import InputError
from ctamap.graph import LAYOUT_SLOT, TemplateGraph, references
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


# -- `[pixel] exclude` and layouts -------------------------------------------------------------
#
# The pixel is markup in the document that has the `<body>`: for an email built on a layout,
# the layout, which every email built on it shares. ctamap writes no template logic, so an
# excluded email can keep the pixel out only when every email on its layout is excluded too
# (then the layout gets none); otherwise it is said, never silently ignored (docs/configuration.md,
# `pixel.exclude`).


@dataclass(frozen=True)
class Exclusions:
    """What `[pixel] exclude` means for the layouts of a run."""

    layouts: Mapping[str, str] = field(default_factory=dict)
    """Key of a layout that serves only excluded emails -> why it gets no pixel."""
    notices: tuple[str, ...] = ()
    """One line per excluded email that a shared layout's pixel still reaches."""


def wants_exclusions(config: Config) -> bool:
    return bool(config.pixel.url and config.pixel.exclude)


def may_be_layout(template: Template) -> bool:
    """A document without a pixel that has a place for an email's content: the layouts whose
    pixel `[pixel] exclude` may decide (most documents are not, and cost nothing here)."""
    scan = template.scan
    return (
        not template.is_text
        and scan.is_document
        and not scan.pixels
        and LAYOUT_SLOT.search(scan.source.text) is not None
    )


def exclusions(
    templates: Sequence[tuple[TemplateFile, Template]],
    config: Config,
    key_of: Callable[[Path], str],
    known: Mapping[Path, Template],
) -> Exclusions:
    """For the run's `templates` (those `[pixel] exclude` matches, and those that
    `may_be_layout`): the layouts that no email but excluded ones is built on get no pixel;
    an excluded email that a shared layout's pixel still reaches gets a notice. The emails
    built on a layout are read from the config's folder (pre-commit names one file);
    `known` are templates already read, by path."""
    disk = _Disk(config, known)
    layouts: dict[str, str] = {}
    notices: list[str] = []
    for file, template in templates:
        glob = config.pixel.excluded_by(key_of(file.path))
        if glob:
            notices.extend(_reached(file, template, glob, config, key_of, disk))
            continue
        if not may_be_layout(template):
            continue
        users = disk.emails_using(file.path)
        if users and all(config.pixel.excluded_by(key_of(u.path)) for u in users):
            shown = ", ".join(u.display for u in users[:3]) + (" …" if len(users) > 3 else "")
            layouts[key_of(file.path)] = (
                f"every email built on it is excluded by [pixel] exclude ({shown})"
            )
    return Exclusions(layouts, tuple(notices))


def _reached(
    email: TemplateFile,
    template: Template,
    glob: str,
    config: Config,
    key_of: Callable[[Path], str],
    disk: _Disk,
) -> list[str]:
    """A notice for each layout of the excluded `email` whose pixel reaches it anyway."""
    if template.is_text or not references(template):
        return []
    graph = TemplateGraph.of([(email, template)], config, disk.reader)
    notices: list[str] = []
    for used in graph.uses(email):
        part = graph.template(used)
        if part is None or not part.scan.is_document or config.pixel.excluded_by(key_of(used.path)):
            continue
        others = [
            user.display
            for user in disk.emails_using(used.path)
            if not config.pixel.excluded_by(key_of(user.path))
        ]
        if not others and not part.scan.pixels:
            continue  # it gets none: only excluded emails are built on it
        holder = f"carries the pixel for {others[0]}" if others else "carries a pixel"
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        notices.append(
            f"{email.display}: [pixel] exclude '{glob}' cannot keep the pixel out of this "
            f"email: its layout {used.display} {holder}{more}; build excluded mail on a "
            "layout of its own (see docs/configuration.md#pixelexclude)"
        )
    return notices


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


class _Disk:
    """The templates under the config's folder, for "which emails are built on this layout":
    each file's text is read once per run, and only files whose text holds the stem of the
    layout's file name (a template can name another by no other name), or of such a file,
    are scanned."""

    def __init__(self, config: Config, known: Mapping[Path, Template]) -> None:
        from ctamap.classify import Classifier

        self.config = config
        self.known = known
        self.reader = Classifier(config)
        self._texts: dict[TemplateFile, str] | None = None
        self._users: dict[Path, tuple[TemplateFile, ...]] = {}

    def _all(self) -> dict[TemplateFile, str]:
        from ctamap.walk import collect_reporting

        if self._texts is None:
            files, _ = collect_reporting([self.config.root], self.config)
            self._texts = {}
            for file in files:
                if file.is_text:
                    continue
                try:
                    self._texts[file] = file.path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
        return self._texts

    def emails_using(self, layout: Path) -> tuple[TemplateFile, ...]:
        from ctamap.pipeline import load_one

        if layout in self._users:
            return self._users[layout]
        stems = {_stem(layout)}
        chosen: dict[Path, TemplateFile] = {}
        grown = True
        while grown:  # a file naming the layout may itself be a layout: follow its name too
            grown = False
            for file, text in self._all().items():
                if file.path not in chosen and any(stem in text for stem in stems):
                    chosen[file.path] = file
                    stems.add(_stem(file.path))
                    grown = True
        read: list[tuple[TemplateFile, Template]] = []
        for file in chosen.values():
            try:
                read.append((file, self.known.get(file.path) or load_one(file, self.reader)))
            except InputError:
                continue  # reported when it is itself read
        graph = TemplateGraph.of(read, self.config, self.reader)
        users = graph.emails_using(graph.file(layout))
        self._users[layout] = users
        return users


__all__ = [
    "Exclusions",
    "exclusions",
    "may_be_layout",
    "pixel_holder",
    "served_elsewhere",
    "wants_exclusions",
]
