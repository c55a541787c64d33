"""What the click map shows for each email: its template source, its links with their link
IDs (assigned against the link map exactly as `instrument` does) and that email's figures.

Nothing here parses HTML into a tree: links are found by ctamap's own scan, with offsets into
the source text, so the page builder can mark exactly those elements on its copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ctamap import source as sources
from ctamap.config import Config
from ctamap.errors import CtamapError
from ctamap.linkmap import LinkMapEntry
from ctamap.report.model import CtaTotals, EmailFigures, Report, Summary
from ctamap.walk import TemplateFile

if TYPE_CHECKING:
    from ctamap.classify import Template
    from ctamap.graph import TemplateGraph
    from ctamap.report.catalog import LinkMapTemplates


@dataclass(frozen=True)
class LinkView:
    """One link of an email: what the link map says about it and the email's figures."""

    id: str | None
    """Link ID; None when the link map has no entry for this link (changed since the map)."""
    text: str
    url: str
    role: str
    kind: str
    tracked: bool
    status: str
    figures: CtaTotals | None
    """This email's figures for the link; None when the report has none (no clicks)."""
    occurrences: tuple[tuple[int, str], ...]
    """(offset of the element's `<`, lowercased tag) of each place it stands in the source;
    for text templates (offset of the URL, end offset)."""
    ends: tuple[int, ...] = ()
    """End offsets of the occurrences (text templates wrap the URL itself)."""

    @property
    def clicked(self) -> bool:
        return self.figures is not None and self.figures.total_clicks > 0


@dataclass(frozen=True)
class Part:
    """One rendering of an email: its HTML body, or its text twin; or a layout or partial an
    HTML body is sent inside (then its links carry that email's figures)."""

    template: str
    """Link-map key of the template file (a path below the same folder for a layout the link
    map does not know)."""
    display: str
    """Where the file was read from, as shown to the user."""
    source: sources.Source | None
    problem: str | None
    """Why the source cannot be shown (missing file, unreadable); None when it can."""
    links: tuple[LinkView, ...]
    missing: tuple[LinkView, ...]
    """Map entries of this template that its current source no longer has (figures kept)."""
    targets: tuple[tuple[int, str], ...] = ()
    """(offset of an extends/include/partial tag in the source, key of the template it names)."""
    uses: tuple[Part, ...] = ()
    """For an email's HTML body: every layout and partial it is sent inside, transitively, in
    the order the template graph follows them."""
    apart: bool = False
    """A layout or partial shown in a frame of its own beside the email, because its place in
    the email could not be composed (its links still carry that email's figures)."""

    @property
    def is_text(self) -> bool:
        return self.source is not None and self.source.is_text

    def with_figures(self, figures: Mapping[str, CtaTotals]) -> Part:
        """This part with each known link's figures taken from `figures` (one email's)."""

        def attach(links: tuple[LinkView, ...]) -> tuple[LinkView, ...]:
            return tuple(
                replace(link, figures=figures.get(link.id) if link.id is not None else None)
                for link in links
            )

        return replace(self, links=attach(self.links), missing=attach(self.missing))


@dataclass(frozen=True)
class EmailView:
    """One email of the click map: its HTML part, its text twin when there is one, and the
    email's own summary (None when the report has no figures for it: its links then show the
    whole report's)."""

    key: str
    """The template key the email is known by (its HTML part's, else its text part's)."""
    parts: tuple[Part, ...]
    summary: Summary | None
    note: str | None = None
    """Why the email's rates are unknown, when they are (the report's words)."""

    @property
    def clicks(self) -> int:
        return sum(
            link.figures.total_clicks
            for part in self.parts
            for shown in (part, *part.uses)
            for link in (*shown.links, *shown.missing)
            if link.figures is not None
        )


@dataclass(frozen=True)
class Breakdown:
    """Figures around the emails: clicks per day, per part, the span of the events."""

    days: tuple[tuple[date, int], ...]
    """(day, counted clicks), in order, days without clicks included between the first and
    the last."""
    parts: tuple[tuple[str, int], ...]
    """(`html`/`text`/`unknown`, counted clicks)."""
    first_day: date | None
    last_day: date | None


def twin_of(key: str, text_keys: set[str], keys: Iterable[str]) -> str | None:
    """The HTML template whose text twin `key` is, among `keys` (the graph's naming rule:
    `x.html`/`x.txt`, `x.html.j2`/`x.txt.j2`, `x-body-html.html`/`x-body-text.html` ...)."""
    from ctamap.graph import pair_key

    if key not in text_keys:
        return None
    wanted = pair_key(Path(key))
    return next(
        (k for k in sorted(keys) if k not in text_keys and pair_key(Path(k)) == wanted), None
    )


def resolve_template(key: str, bases: Sequence[Path]) -> Path | None:
    """The file a link-map key names: absolute as is, else under the first base holding it."""
    path = Path(key)
    if path.is_absolute():
        return path if path.is_file() else None
    for base in bases:
        candidate = base / path
        if candidate.is_file():
            return candidate
    return None


def _figures_lookup(report: Report) -> dict[str, EmailFigures]:
    """Each email's own figures, by the link-map key of its HTML template (the report's
    per-email result: one email per message, a layout link's clicks in the email they came
    from, rates over that email's deliveries and opens)."""
    return {email.email: email for email in report.emails if email.in_link_map}


def _link_view(
    entry: LinkMapEntry | None,
    occurrences: tuple[tuple[int, str], ...],
    ends: tuple[int, ...] = (),
    fallback: tuple[str, str, str, str] = ("", "", "", ""),
) -> LinkView:
    if entry is None:
        text, url, role, kind = fallback
        return LinkView(None, text, url, role, kind, False, "unknown", None, occurrences, ends)
    return LinkView(
        id=entry.id,
        text=entry.text,
        url=entry.url,
        role=entry.role,
        kind=entry.kind,
        tracked=entry.tracked,
        status=entry.status,
        figures=None,
        occurrences=occurrences,
        ends=ends,
    )


@dataclass(frozen=True)
class _Loaded:
    """One template read, scanned and given its link IDs, before any email's figures."""

    part: Part
    file: TemplateFile | None
    template: Template | None


def _read(
    key: str,
    path: Path | None,
    entries: list[LinkMapEntry],
    all_entries: list[LinkMapEntry],
    config: Config,
    bases: Sequence[Path],
    loaded: Template | None = None,
) -> _Loaded:
    """Read, scan, classify and give IDs to one template (`loaded`: already scanned)."""
    from ctamap.classify import Classifier
    from ctamap.ids import assign
    from ctamap.instrument import managed_params
    from ctamap.linkmap import LinkMap
    from ctamap.pipeline import load_one
    from ctamap.walk import display, is_text_name

    by_id = {entry.id: entry for entry in entries}
    known = tuple(_link_view(e, ()) for e in entries)
    if path is None:
        where = ", ".join(str(base) for base in bases[:2])
        problem = f"template not found (looked under {where})"
        return _Loaded(Part(key, key, None, problem, (), known), None, None)
    shown = display(path)
    is_text = any(e.kind == "text-version" for e in entries) or is_text_name(path.name, config)
    file = TemplateFile(path.resolve(), shown, path.name, is_text)
    try:
        template = loaded or load_one(file, Classifier(config))
    except CtamapError as error:
        return _Loaded(Part(key, shown, None, error.message, (), known), file, None)
    ids = assign(
        [(key, template)],
        LinkMap(all_entries),
        link_id_param=config.link_id_param,
        managed=managed_params(config),
    )[key]
    links: list[LinkView] = []
    seen: set[str] = set()
    for link_id, cta in zip(ids, template.ctas, strict=True):
        entry = by_id.get(link_id)
        if entry is not None:
            seen.add(link_id)
        occurrences = tuple((o.start, o.tag) for o in cta.occurrences)
        ends = tuple(o.end for o in cta.occurrences)
        fallback = (cta.text, cta.url, cta.role, cta.kind)
        links.append(_link_view(entry, occurrences, ends, fallback))
    missing = tuple(_link_view(e, ()) for e in entries if e.id not in seen)
    part = Part(key, shown, template.scan.source, None, tuple(links), missing)
    return _Loaded(part, file, template)


def _drop_retired(part: Part, figures: Mapping[str, CtaTotals]) -> Part:
    """A map entry the source no longer has is listed while active or when it has figures."""
    kept = tuple(
        link for link in part.missing if link.status == "active" or (link.id or "") in figures
    )
    return replace(part, missing=kept)


def _key_for(path: Path, bases: Sequence[Path]) -> str:
    """A key for a layout the link map does not know: its path below a base, else absolute."""
    for base in bases:
        try:
            return path.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def email_views(
    entries: list[LinkMapEntry],
    report: Report,
    config: Config,
    bases: Sequence[Path],
    templates: LinkMapTemplates | None = None,
) -> list[EmailView]:
    """One view per email of the link map, in key order: text twins inside their HTML email,
    layouts and partials inside every email that uses them (not emails of their own).
    `templates` are those the report read for its catalogue (read here when not given)."""
    from ctamap.graph import TemplateGraph, Twins
    from ctamap.report.catalog import read_templates

    shared = templates if templates is not None else read_templates(entries, bases, config)

    def read(key: str, path: Path | None, own: list[LinkMapEntry]) -> _Loaded:
        scanned = shared.template(path.resolve()) if shared and path else None
        return _read(key, path, own, entries, config, bases, scanned)

    by_template_key: dict[str, list[LinkMapEntry]] = {}
    for entry in entries:
        by_template_key.setdefault(entry.template, []).append(entry)
    keys = sorted(by_template_key)
    loaded = {key: read(key, resolve_template(key, bases), by_template_key[key]) for key in keys}
    files = {key: item.file for key, item in loaded.items() if item.file is not None}
    key_of = {file.path: key for key, file in files.items()}
    graph_config = shared.config if shared is not None else config
    scanned = [
        (item.file, item.template)
        for item in loaded.values()
        if item.file is not None and item.template is not None
    ]
    graph = shared.graph if shared is not None else TemplateGraph.of(scanned, graph_config)
    twins = Twins(graph_config, files.values())
    text_keys = {key for key, item in loaded.items() if _is_text(item, key, config)}
    html_of: dict[str, str | None] = {}
    for key in text_keys:
        file = files.get(key)
        found = twins.html_of(file) if file is not None else None
        html_key = key_of.get(found.path) if found is not None else None
        html_of[key] = html_key if html_key is not None else twin_of(key, text_keys, keys)
    layouts = {key for key, file in files.items() if key not in text_keys and graph.is_layout(file)}
    in_use = {key for key in layouts if _used_by_email(key, files, graph)}
    # Emails with no link of their own, sent inside a layout: the report found them beside
    # the emails sharing it (`catalog.composition`); their references are followed too.
    linkless: dict[str, _Loaded] = {}
    unread = False  # a linkless email the shared graph does not have
    for email in report.emails:
        path = resolve_template(email.email, bases) if email.in_link_map else None
        if email.email in by_template_key or path is None:
            continue
        item = read(email.email, path, [])
        if item.file is not None and item.template is not None:
            linkless[email.email] = loaded[email.email] = item
            files[email.email] = item.file
            key_of[item.file.path] = email.email
            scanned.append((item.file, item.template))
            unread |= shared is None or item.file.path not in shared.key_of
    if unread:
        graph = TemplateGraph.of(scanned, graph_config)

    def composed(key: str) -> tuple[Part, tuple[Part, ...]]:
        """The email's HTML part with its tag targets, and the parts it is sent inside."""
        file = files.get(key)
        if file is None:
            return loaded[key].part, ()
        used: list[Part] = []
        targets: dict[Path, tuple[tuple[int, str], ...]] = {}
        for member in (file, *graph.uses(file)):
            targets[member.path] = tuple(
                (ref.start, key_of.get(target.path) or _key_for(target.path, bases))
                for ref, target in graph.references(member)
            )
        for member in graph.uses(file):
            used.append(used_part(member, graph.template(member), targets[member.path]))
        return replace(loaded[key].part, targets=targets[file.path]), tuple(used)

    def used_part(
        member: TemplateFile, scanned: Template | None, targets: tuple[tuple[int, str], ...]
    ) -> Part:
        member_key = key_of.get(member.path) or _key_for(member.path, bases)
        item = loaded.get(member_key) or _read(
            member_key, member.path, [], entries, config, bases, scanned
        )
        return replace(item.part, targets=targets)

    def composed_text(key: str) -> tuple[Part, tuple[Part, ...]]:
        """A text version with its tag targets, and the text layouts and partials it uses
        (the graph keeps text versions out of the HTML emails' edges: asked here)."""
        file, template = files.get(key), loaded[key].template
        if file is None or template is None:
            return loaded[key].part, ()
        members = [(file, template)]
        targets: dict[Path, tuple[tuple[int, str], ...]] = {}
        for member, scanned in members:  # grows as it goes: each used file once
            references = graph.text_references(member, scanned)
            targets[member.path] = tuple(
                (ref.start, key_of.get(target.path) or _key_for(target.path, bases))
                for ref, target in references
            )
            for _, target in references:
                found = graph.template(target)
                if found is not None and all(target.path != m.path for m, _ in members):
                    members.append((target, found))
        used = tuple(used_part(m, scanned, targets[m.path]) for m, scanned in members[1:])
        return replace(loaded[key].part, targets=targets[file.path]), used

    texts = {key: composed_text(key) for key in text_keys}
    # A text layout is shown inside the text versions that use it, not as an email.
    text_layouts = {used.template for _, uses in texts.values() for used in uses}

    per_email = _figures_lookup(report)
    overall = {cta.id: cta for cta in report.ctas}
    views: list[EmailView] = []
    for key in sorted([*keys, *linkless]):
        if html_of.get(key) is not None or key in in_use or key in text_layouts:
            continue  # shown inside its HTML email / inside the emails that use it
        own = per_email.get(key)
        if own is not None:
            figures = {cta.id: cta for cta in own.ctas}
        else:  # no event of this email, or (an old report) no per-email figures at all
            figures = {} if report.emails else overall
        parts = [_shown(*(texts[key] if key in texts else composed(key)), figures)]
        for text_key in (k for k in keys if html_of.get(k) == key):
            parts.append(_shown(*texts[text_key], figures))
        summary, note = (own.summary, own.note) if own is not None else (None, None)
        if own is None and report.emails:
            note = "No event of this email is in the input: its links show no figures."
        views.append(EmailView(key, tuple(parts), summary, note))
    return views


def _shown(part: Part, uses: tuple[Part, ...], figures: Mapping[str, CtaTotals]) -> Part:
    """A part as one email shows it: with that email's figures, inside what it uses."""
    return replace(
        _drop_retired(part.with_figures(figures), figures),
        uses=tuple(_drop_retired(u.with_figures(figures), figures) for u in uses),
    )


def _is_text(item: _Loaded, key: str, config: Config) -> bool:
    from ctamap.walk import is_text_name

    if item.file is not None:
        return item.file.is_text
    return any(link.kind == "text-version" for link in item.part.missing) or is_text_name(
        Path(key).name, config
    )


def _used_by_email(key: str, files: Mapping[str, TemplateFile], graph: TemplateGraph) -> bool:
    """Some email of the link map is sent inside this layout (else it is shown on its own)."""
    return bool(graph.emails_using(files[key]))


def breakdown(by_day: Report | None, by_part: Report | None) -> Breakdown:
    """Clicks per day (gaps filled) and per part, from `--by day` / `--by part` reports."""
    from datetime import timedelta

    counted: dict[date, int] = {}
    active: list[date] = []
    for group in by_day.groups if by_day is not None else ():
        if group.key is None:
            continue
        try:
            day = date.fromisoformat(group.key)
        except ValueError:
            continue
        counted[day] = group.summary.clicks_counted
        if group.summary.rows_read > sum(group.summary.excluded.values()):
            active.append(day)
    first = min(active, default=None)
    last = max(active, default=None)
    days: list[tuple[date, int]] = []
    if counted:
        day, end = min(counted), max(counted)
        while day <= end:
            days.append((day, counted.get(day, 0)))
            day += timedelta(days=1)
    parts: list[tuple[str, int]] = []
    for group in by_part.groups if by_part is not None else ():
        if group.summary.clicks_counted:
            parts.append((group.key or "unknown", group.summary.clicks_counted))
    return Breakdown(tuple(days), tuple(sorted(parts)), first, last)
