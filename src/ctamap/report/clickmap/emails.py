"""What the click map shows for each email: its template source, its links with their link
IDs (assigned against the link map exactly as `instrument` does) and that email's figures.

Nothing here parses HTML into a tree: links are found by ctamap's own scan, with offsets into
the source text, so the page builder can mark exactly those elements on its copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ctamap import source as sources
from ctamap.config import Config
from ctamap.errors import CtamapError
from ctamap.linkmap import LinkMapEntry
from ctamap.report.model import CtaTotals, Group, Report, Summary


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
    """One rendering of an email: its HTML body, or its text twin."""

    template: str
    """Link-map key of the template file."""
    display: str
    """Where the file was read from, as shown to the user."""
    source: sources.Source | None
    problem: str | None
    """Why the source cannot be shown (missing file, unreadable); None when it can."""
    links: tuple[LinkView, ...]
    missing: tuple[LinkView, ...]
    """Map entries of this template that its current source no longer has (figures kept)."""

    @property
    def is_text(self) -> bool:
        return self.source is not None and self.source.is_text


@dataclass(frozen=True)
class EmailView:
    """One email of the click map: its HTML part, its text twin when there is one, and the
    email's own summary (None when the report cannot tell per-email figures)."""

    key: str
    """The template key the email is known by (its HTML part's, else its text part's)."""
    parts: tuple[Part, ...]
    summary: Summary | None

    @property
    def clicks(self) -> int:
        return sum(
            link.figures.total_clicks
            for part in self.parts
            for link in (*part.links, *part.missing)
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


def _email_groups(by_template: Report | None) -> list[Group]:
    """The per-template groups that are an email's own figures: those whose deliveries are
    known. A group without them (the provider did not say which email a delivery was) would
    give a CTOR of 100 % and no CTR; the whole report's figures are shown instead."""
    if by_template is None:
        return []
    return [g for g in by_template.groups if g.key is not None and g.summary.delivered]


def _figures_lookup(report: Report, by_template: Report | None) -> dict[str, dict[str, CtaTotals]]:
    """Per template key, per link ID: the figures of that email (overall ones as fallback)."""
    lookup: dict[str, dict[str, CtaTotals]] = {}
    for group in _email_groups(by_template):
        lookup[str(group.key)] = {cta.id: cta for cta in group.ctas}
    overall = {cta.id: cta for cta in report.ctas}
    lookup.setdefault("", overall)
    return lookup


def _link_view(
    entry: LinkMapEntry | None,
    figures: CtaTotals | None,
    occurrences: tuple[tuple[int, str], ...],
    ends: tuple[int, ...] = (),
    fallback: tuple[str, str, str, str] = ("", "", "", ""),
) -> LinkView:
    if entry is None:
        text, url, role, kind = fallback
        return LinkView(None, text, url, role, kind, False, "unknown", figures, occurrences, ends)
    return LinkView(
        id=entry.id,
        text=entry.text,
        url=entry.url,
        role=entry.role,
        kind=entry.kind,
        tracked=entry.tracked,
        status=entry.status,
        figures=figures,
        occurrences=occurrences,
        ends=ends,
    )


def _load_part(
    key: str,
    entries: list[LinkMapEntry],
    all_entries: list[LinkMapEntry],
    config: Config,
    bases: Sequence[Path],
    figures: Mapping[str, CtaTotals],
) -> Part:
    """Read, scan, classify and give IDs to one template, then attach its figures."""
    from ctamap.classify import Classifier
    from ctamap.ids import assign
    from ctamap.instrument import managed_params
    from ctamap.linkmap import LinkMap
    from ctamap.scan import scan
    from ctamap.walk import display, is_text_name

    by_id = {entry.id: entry for entry in entries}
    path = resolve_template(key, bases)
    if path is None:
        missing = tuple(_link_view(e, figures.get(e.id), ()) for e in entries)
        where = ", ".join(str(base) for base in bases[:2])
        return Part(key, key, None, f"template not found (looked under {where})", (), missing)
    shown = display(path)
    is_text = any(e.kind == "text-version" for e in entries) or is_text_name(path.name, config)
    try:
        src = sources.read(
            path, shown, syntax=config.template_syntax, is_text=is_text,
            max_bytes=config.max_file_bytes,
        )  # fmt: skip
    except CtamapError as error:
        missing = tuple(_link_view(e, figures.get(e.id), ()) for e in entries)
        return Part(key, shown, None, error.message, (), missing)
    template = Classifier(config).classify(scan(src))
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
        links.append(
            _link_view(entry, figures.get(link_id) if entry else None, occurrences, ends, fallback)
        )
    missing = tuple(
        _link_view(e, figures.get(e.id), ())
        for e in entries
        if e.id not in seen and (e.status == "active" or e.id in figures)
    )
    return Part(key, shown, src, None, tuple(links), missing)


def email_views(
    entries: list[LinkMapEntry],
    report: Report,
    by_template: Report | None,
    config: Config,
    bases: Sequence[Path],
) -> list[EmailView]:
    """One view per email of the link map, in key order, text twins inside their HTML email."""
    by_template_key: dict[str, list[LinkMapEntry]] = {}
    for entry in entries:
        by_template_key.setdefault(entry.template, []).append(entry)
    from ctamap.walk import is_text_name

    keys = sorted(by_template_key)
    text_keys = {
        key
        for key, found in by_template_key.items()
        if any(e.kind == "text-version" for e in found) or is_text_name(Path(key).name, config)
    }
    twins = {key: twin_of(key, text_keys, keys) for key in keys}
    lookup = _figures_lookup(report, by_template)
    summaries = {str(g.key): g.summary for g in _email_groups(by_template)}
    views: list[EmailView] = []
    for key in keys:
        if twins[key] is not None:
            continue  # shown inside its HTML email
        part_keys = [key, *(k for k in keys if twins[k] == key)]
        parts = tuple(
            _load_part(k, by_template_key[k], entries, config, bases, lookup.get(k) or lookup[""])
            for k in part_keys
        )
        views.append(EmailView(key, parts, summaries.get(key)))
    return views


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
