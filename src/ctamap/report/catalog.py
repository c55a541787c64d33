"""Which emails the link map's templates make up: a text twin is a part of its HTML email, a
layout or partial is a part of every email that uses it, any other template is an email.

The report joins events to these emails (template identity) and divides each CTA's clicks by
the deliveries of the emails that contain it. The catalogue is plain data built in Python from
the link map and the template graph; `tables` turns it into rows the SQL stages join against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ctamap.linkmap import LinkMapEntry, template_prefix

if TYPE_CHECKING:
    from ctamap.classify import Template
    from ctamap.config import Config
    from ctamap.graph import TemplateGraph
    from ctamap.walk import TemplateFile

#: Composition of a link map's templates: layout or partial key -> keys of the emails using it.
Composition = Mapping[str, tuple[str, ...]]


def _pair_key(key: str) -> tuple[str, ...]:
    from ctamap.graph import pair_key

    return pair_key(Path(key))


def _is_text(key: str, entries: Sequence[LinkMapEntry]) -> bool:
    if any(entry.kind == "text-version" for entry in entries):
        return True
    name = PurePosixPath(key).name.lower()
    return name.endswith((".txt", ".text")) or any(
        mark in name for mark in ("-text.", "_text.", ".txt.", ".text.")
    )


@dataclass(frozen=True)
class EmailCatalog:
    """The emails of a link map and what each is made of."""

    email_of: Mapping[str, str]
    """Template key -> the email it belongs to (itself, or the HTML twin of a text template).
    Layouts and partials are not here: they belong to several emails (`layouts`)."""
    layouts: Composition = field(default_factory=dict)
    """Layout or partial key -> the emails that use it (from the template graph)."""
    part_of: Mapping[str, str] = field(default_factory=dict)
    """Template key -> `html` or `text`."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """A name a provider may give an email (path, file name, stem, slug, link-ID prefix; lower
    case) -> the email. Names that would fit two emails are left out."""

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.email_of.values())))

    def emails_with(self, template: str) -> tuple[str, ...]:
        """The emails a link written in `template` is sent in."""
        if template in self.layouts:
            return self.layouts[template]
        email = self.email_of.get(template)
        return (email,) if email is not None else ()

    def templates_of(self, email: str) -> tuple[str, ...]:
        """The templates an email is made of: itself, its text twin, its layouts."""
        own = sorted(t for t, e in self.email_of.items() if e == email)
        own.sort(key=lambda t: (t != email, t))
        used = sorted(t for t, users in self.layouts.items() if email in users)
        return (*own, *used)


def _aliases(key: str, entries: Sequence[LinkMapEntry]) -> set[str]:
    from ctamap.ids import slugify, template_slugs

    path = PurePosixPath(key)
    names = {key, path.name, path.name.split(".")[0], *template_slugs(key, False)}
    names |= {template_prefix(entry.id) for entry in entries}
    names.add(slugify(key.rsplit(".", 1)[0], 200))
    return {name.lower() for name in names if name}


def build_catalog(
    entries: Iterable[LinkMapEntry],
    layouts: Composition | None = None,
    twins: Mapping[str, str] | None = None,
) -> EmailCatalog:
    """The catalogue of `entries`; `layouts` says which templates are layouts or partials and
    which emails use each (without it, every non-text template is an email of its own);
    `twins` maps text templates to their HTML twin as the template graph pairs them (`[pairs]`
    rules included; without it, twins pair by the naming convention)."""
    by_template: dict[str, list[LinkMapEntry]] = {}
    for entry in entries:
        by_template.setdefault(entry.template, []).append(entry)
    used = {k: tuple(sorted(set(v))) for k, v in (layouts or {}).items() if v}
    texts = {key for key, found in by_template.items() if _is_text(key, found)}
    html_by_pair: dict[tuple[str, ...], str] = {}
    for key in sorted(by_template):
        if key not in texts and key not in used:
            html_by_pair.setdefault(_pair_key(key), key)
    email_of: dict[str, str] = {}
    part_of: dict[str, str] = {}
    # Emails with no link of their own use a layout: they are emails, with no entry.
    for key in sorted({u for users in used.values() for u in users} - set(by_template)):
        by_template[key] = []
        email_of[key] = key
        part_of[key] = "html"
    for key in sorted(by_template):
        part_of[key] = "text" if key in texts else "html"
        if key in used or key in email_of:
            continue
        paired = (twins or {}).get(key) or html_by_pair.get(_pair_key(key))
        email_of[key] = (paired or key) if key in texts else key
    claims: dict[str, set[str]] = {}
    for key, email in email_of.items():
        for alias in _aliases(key, by_template[key]):
            claims.setdefault(alias, set()).add(email)
    aliases = {alias: next(iter(found)) for alias, found in claims.items() if len(found) == 1}
    # A layout is sent in the emails using it (a text user counts as its HTML email).
    emails = set(email_of.values())
    sent_in = {
        key: tuple(sorted({email_of.get(u, u) for u in users} & emails))
        for key, users in used.items()
    }
    return EmailCatalog(email_of, sent_in, part_of, aliases)


@dataclass(frozen=True)
class LinkMapTemplates:
    """The link map's templates as one report run reads them: each file found read and
    scanned once, with the template graph over them. The catalogue (`composition`) and the
    click map both read it, so a `report --html` run builds the graph once."""

    graph: TemplateGraph
    config: Config
    """The config the graph resolves names with (`graph_config`)."""
    key_of: Mapping[Path, str]
    """File path -> its key: the link map's, or its path below a base for an email with no
    link of its own (`linkless`)."""
    layouts: tuple[TemplateFile, ...]
    """The templates of the link map that other templates use."""
    linkless: tuple[str, ...] = ()
    """Emails the link map has no entry for, found beside the emails sharing a layout."""

    def template(self, path: Path) -> Template | None:
        """The scanned template at `path`, when the run read it."""
        return self.graph.template(self.graph.file(path)) if path in self.key_of else None


def graph_config(config: Config, files: Iterable[TemplateFile], bases: Sequence[Path]) -> Config:
    """The config the template graph resolves names with: its root must hold the templates
    (layout names are looked up from each folder up to the root), else the first base does."""
    root = config.root.resolve()
    if all(f.path.is_relative_to(root) for f in files) or not bases:
        return config
    return replace(config, root=bases[0].resolve())


def read_templates(
    entries: Iterable[LinkMapEntry], bases: Sequence[Path], config: Config
) -> LinkMapTemplates | None:
    """The link map's templates found under `bases` (the first base holding a key wins) and
    their graph; None when none is found.

    An email with no link of its own (a password reset on the house layout) has no entry in
    the link map, yet the layout's links are sent in it: such emails are looked for beside
    the emails that use the same layout, and named by their path below the base (a key the
    link map would give them)."""
    from ctamap.graph import TemplateGraph
    from ctamap.pipeline import load

    files, key_of = _files(entries, bases, config)
    if not files:
        return None
    config = graph_config(config, files, bases)
    loaded = load(files, config)
    graph = TemplateGraph.of(loaded.templates, config)
    layouts = tuple(file for file, _ in loaded.templates if graph.is_layout(file))
    extra = _linkless(graph, layouts, key_of, bases, config)
    if extra:
        graph = TemplateGraph.of([*loaded.templates, *extra.values()], config)
        key_of.update({file.path: key for key, (file, _) in extra.items()})
    return LinkMapTemplates(graph, config, key_of, layouts, tuple(sorted(extra)))


def composition_of(templates: LinkMapTemplates | None) -> dict[str, tuple[str, ...]]:
    """Layout or partial key -> keys of the emails that use it. Templates not found are left
    out: their links then count as their own email's."""
    if templates is None:
        return {}
    key_of = templates.key_of
    found: dict[str, tuple[str, ...]] = {}
    for file in templates.layouts:
        users = templates.graph.emails_using(file)
        keys = tuple(sorted(key_of[u.path] for u in users if u.path in key_of))
        if keys:
            found[key_of[file.path]] = keys
    return found


def composition(
    entries: Iterable[LinkMapEntry], bases: Sequence[Path], config: Config
) -> dict[str, tuple[str, ...]]:
    """`composition_of` the link map's templates found under `bases` (`read_templates`)."""
    return composition_of(read_templates(entries, bases, config))


def _linkless(
    graph: TemplateGraph,
    layouts: Sequence[TemplateFile],
    key_of: Mapping[Path, str],
    bases: Sequence[Path],
    config: Config,
) -> dict[str, tuple[TemplateFile, Template]]:
    """Templates beside the emails that use `layouts` which the link map does not have and
    which use one of those layouts (and are no layout themselves), by their key."""
    from ctamap.classify import Classifier
    from ctamap.errors import InputError
    from ctamap.graph import TemplateGraph
    from ctamap.pipeline import load_one
    from ctamap.walk import collect_reporting

    folders = sorted({user.path.parent for file in layouts for user in graph.emails_using(file)})
    if not folders:
        return {}
    candidates, _ = collect_reporting(list(folders), config)
    reader = Classifier(config)
    read: dict[str, tuple[TemplateFile, Template]] = {}
    for file in candidates:
        key = _key_below(file.path, bases)
        if file.path in key_of or file.is_text or key is None:
            continue
        try:
            read[key] = (file, load_one(file, reader))
        except InputError:
            continue  # not an email we can read: it is reported when it is itself read
    if not read:
        return {}
    known = [(f, t) for f in graph.emails() + tuple(layouts) if (t := graph.template(f))]
    extended = TemplateGraph.of([*known, *read.values()], config)
    wanted = {file.path for file in layouts}
    return {
        key: (file, template)
        for key, (file, template) in read.items()
        if not extended.is_layout(file) and any(u.path in wanted for u in extended.uses(file))
    }


def _key_below(path: Path, bases: Sequence[Path]) -> str | None:
    for base in bases:
        try:
            return path.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return None


def _files(
    entries: Iterable[LinkMapEntry], bases: Sequence[Path], config: Config
) -> tuple[list[TemplateFile], dict[Path, str]]:
    """The link map's templates found under `bases` (the first base holding a key wins); a
    template whose links the map calls text versions is read as text, as `instrument` did."""
    from ctamap.walk import TemplateFile, display, is_text_name

    listed = list(entries)
    texts = {entry.template for entry in listed if entry.kind == "text-version"}
    files: list[TemplateFile] = []
    key_of: dict[Path, str] = {}
    for key in sorted({entry.template for entry in listed}):
        for base in bases:
            candidate = base / key
            if candidate.is_file():
                path = candidate.resolve()
                key_of[path] = key
                is_text = key in texts or is_text_name(path.name, config)
                files.append(TemplateFile(path, display(path), key, is_text))
                break
    return files, key_of


def twins(entries: Iterable[LinkMapEntry], bases: Sequence[Path], config: Config) -> dict[str, str]:
    """Text template key -> its HTML twin's key, paired as the template graph pairs them: the
    naming convention and the `[pairs]` rules (which may pair files in different folders)."""
    from ctamap.graph import Twins

    files, key_of = _files(entries, bases, config)
    pairs = Twins(config, files)
    found: dict[str, str] = {}
    for file in files:
        html = pairs.html_of(file) if file.is_text else None
        if html is not None and html.path in key_of:
            found[key_of[file.path]] = key_of[html.path]
    return found


@dataclass(frozen=True)
class CatalogRows:
    """The catalogue as rows of the tables the SQL joins (`identity.load_catalog`). Emails
    are numbered in key order (`names`)."""

    names: list[tuple[int, str]]
    """(email number, email key)."""
    aliases: list[tuple[str, int]]
    """(alias, email)."""
    link_emails: list[tuple[str, int]]
    """(link_id, email) for every email a link is sent in."""
    scopes: list[tuple[str, int]]
    """(scope, email) for links sent in more than one email: the scope names that set."""


def scope_name(emails: Sequence[str]) -> str:
    """The name of the set of emails a link is sent in."""
    return "\n".join(emails)


def tables(catalog: EmailCatalog, entries: Iterable[LinkMapEntry]) -> CatalogRows:
    number = {email: n for n, email in enumerate(catalog.emails)}
    link_emails: list[tuple[str, int]] = []
    scopes: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        emails = catalog.emails_with(entry.template)
        link_emails.extend((entry.id, number[email]) for email in emails)
        if len(emails) > 1:
            scopes[scope_name(emails)] = emails
    return CatalogRows(
        names=[(n, email) for email, n in number.items()],
        aliases=sorted((alias, number[email]) for alias, email in catalog.aliases.items()),
        link_emails=link_emails,
        scopes=[(scope, number[email]) for scope, emails in scopes.items() for email in emails],
    )
