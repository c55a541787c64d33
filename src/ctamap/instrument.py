"""Instrumenting: the edits that add tracking to links and the open pixel, and writing them.

Edits are data (`Edit(start, end, replacement)`) spliced into the original text; nothing is
re-serialised. Files are written atomically and only when their bytes change.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ctamap import collector
from ctamap.classify import Cta, Template
from ctamap.config import (
    UTM_NAMES,
    Config,
    check_utm_value,
    fill_placeholders,
    is_template_expression,
)
from ctamap.edits import Edit, apply_edits  # the splice primitive rules share
from ctamap.errors import CtamapError
from ctamap.ids import allocate, assign_template, base_url, template_slugs
from ctamap.linkmap import LinkMap, LinkMapEntry
from ctamap.safewrite import write_atomic as write_atomic  # re-exported: writes live there
from ctamap.scan import Link
from ctamap.urls import QueryLayout, layout, params_of, set_params, without_params

_NEEDS_QUOTES = re.compile(r"[\s\"'=<>`&]")
_BARE_AMP = re.compile(r"&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);)")


def managed_params(config: Config) -> frozenset[str]:
    """Every query parameter ctamap may write: the link-ID one and the UTM ones that the policy
    or one of its overrides sets."""
    utm = config.utm
    names = {f"utm_{n}" for n in UTM_NAMES if getattr(utm, n)}
    names.update(f"utm_{n}" for item in utm.override for n, v in item.values.items() if v)
    if config.link_id_param:
        names.add(config.link_id_param)
    return frozenset(names)


def tracking_params(
    config: Config, template_slug: str, link_id: str, campaign: str, key: str = ""
) -> list[tuple[str, str]]:
    """The parameters a tracked link carries, in the order they are appended; `key` (the
    template's path) chooses the `[[utm.override]]` that apply. An empty value is left out; a
    template expression is written as is, for the ESP to fill at send time."""
    values = {"template": template_slug, "link_id": link_id, "campaign": campaign or template_slug}
    policy = config.utm.for_template(key)
    params: list[tuple[str, str]] = []
    for name in UTM_NAMES:
        pattern = getattr(policy, name)
        if not pattern:
            continue
        if is_template_expression(pattern, config.template_syntax):
            params.append((f"utm_{name}", pattern))
            continue
        value = _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)
        check_utm_value(f"utm.{name}", value)
        params.append((f"utm_{name}", value))
    if config.link_id_param:
        params.append((config.link_id_param, link_id))
    return params


_PLACEHOLDER = re.compile(r"\{(template|link_id|campaign)\}")


def recovered(params: Sequence[tuple[str, str]], managed: frozenset[str]) -> dict[str, str]:
    """What ctamap wrote into a link that already carries its own ID but has no map entry (a
    run stopped after writing the template and before writing the map, or a map reverted):
    the managed parameters whose values are what ctamap writes, so that the map's `url` is
    the author's destination again, not one with ctamap's parameters in it."""
    return {name: value for name, value in params if name in managed}


def written_by_ctamap(entry: LinkMapEntry | None, cta: Cta | None = None) -> dict[str, str]:
    """The parameters ctamap wrote into a link the last time: those of its `tracked_url` that
    are not part of its `url` (the destination as the author wrote it). `cta` is the link now:
    when it is still as written then (a re-run), its parsed URL is that of `tracked_url`."""
    if entry is None or not entry.tracked_url:
        return {}
    if cta is not None and cta.url == entry.tracked_url:
        shape = cta.query
        authored = _leading_params(entry.url, entry.tracked_url, shape)
        if authored is None:
            authored = set(params_of(entry.url))
        tracked = params_of(entry.tracked_url, shape)
    else:
        authored = set(params_of(entry.url))
        tracked = params_of(entry.tracked_url)
    return {n: v for n, v in reversed(tracked) if (n, v) not in authored}


def _leading_params(url: str, tracked_url: str, shape: QueryLayout) -> set[tuple[str, str]] | None:
    """The parameters of `url` read off `shape` (`layout(tracked_url)`), when `tracked_url` is
    `url` with parameters appended (`url&…`, or `url?…` for a URL without a query), as ctamap
    writes it for a URL without a fragment; None otherwise. A re-run then parses each link's
    destination once instead of twice: with no `#`, `url`'s separators and parameters are the
    same in `tracked_url` (no separator spans the appended `&` or `?`), ending at `len(url)`."""
    cut = len(url)
    if len(tracked_url) <= cut or not tracked_url.startswith(url) or "#" in tracked_url:
        return None
    joint = tracked_url[cut]
    if not (joint == "&" and "?" in url) and not (joint == "?" and "?" not in url):
        return None
    return {(p.name, p.value) for p in shape.params if p.end <= cut}


@dataclass(frozen=True)
class TemplatePlan:
    """What instrumenting one template would do, and the link-map entries it yields."""

    key: str  # the template's path in the link map
    template: Template
    ids: tuple[str, ...]  # one per CTA
    entries: tuple[LinkMapEntry, ...]
    edits: tuple[Edit, ...]
    # Why this document gets no pixel although one is configured ("" when it gets one):
    # P001 stays quiet for it too.
    pixel_exemption: str = ""

    @property
    def text(self) -> str:
        return self.template.scan.source.text

    @functools.cached_property  # read several times per template; a frozen dataclass allows it
    def new_text(self) -> str:
        return apply_edits(self.text, self.edits) if self.edits else self.text

    @property
    def changed(self) -> bool:
        return bool(self.edits) and self.new_text != self.text


def _document_separator(template: Template) -> str:
    """The author's habit across the document: `&amp;` unless they write bare `&`."""
    raws = [o.raw for cta in template.ctas for o in cta.occurrences]
    if any("&amp;" in r.lower() for r in raws):
        return "&amp;"
    return "&" if any(_BARE_AMP.search(r) for r in raws) else "&amp;"


def _link_edit(link: Link, new_raw: str, path: str) -> Edit | None:
    href = link.href
    if href is None or new_raw == href.value:
        return None
    if href.quote:
        return Edit(href.value_start, href.value_end, new_raw)
    # An unquoted value that gains `&` or `=` must be quoted to stay one attribute.
    quoted = f'"{new_raw}"' if _NEEDS_QUOTES.search(new_raw) else new_raw
    return Edit(href.value_start, href.value_end, quoted)


def pixel_exemption(key: str, template: Template, config: Config) -> str:
    """Why a full document gets no pixel although one is configured, "" when it gets one."""
    if glob := config.pixel.excluded_by(key):
        return f"[pixel] exclude '{glob}'"
    if template.scan.pixel_off:
        return 'data-ctamap-pixel="off" on its body'
    return ""


def campaign_of(config: Config, key: str, slug: str, campaign: str) -> str:
    """The campaign a template's opens belong to: the `utm_campaign` its links carry (after
    `[[utm.override]]`, so a layout's is its send-time expression), else the run's campaign,
    else the template slug."""
    pattern = config.utm.for_template(key).campaign
    if pattern and is_template_expression(pattern, config.template_syntax):
        return pattern
    plain = campaign or slug
    if not pattern or "{link_id}" in pattern:
        return plain
    return _PLACEHOLDER.sub(lambda m: {"template": slug, "campaign": plain}[m.group(1)], pattern)


def _pixel_edit(
    template: Template, config: Config, key: str, slug: str, campaign: str
) -> Edit | None:
    scan = template.scan
    if not config.pixel.url or template.is_text or not scan.is_document or scan.pixels:
        return None
    if pixel_exemption(key, template, config):
        return None
    values = {"template": slug, "campaign": campaign_of(config, key, slug, campaign)}
    url = fill_placeholders(config.pixel.url, values, config.template_syntax)
    src = _BARE_AMP.sub("&amp;", url.replace('"', "%22"))
    img = (
        f'<img src="{src}" width="1" height="1" alt="" border="0" '
        'style="display:block;border:0;width:1px;height:1px;" data-ctamap-pixel="1" />'
    )
    if scan.is_mjml:
        img = f"<mj-raw>{img}</mj-raw>"
    if config.pixel.position == "bottom" and scan.body_close is not None:
        return Edit(scan.body_close, scan.body_close, img)
    assert scan.body_open_end is not None
    return Edit(scan.body_open_end, scan.body_open_end, img)


def plan_template(
    key: str,
    template: Template,
    ids: Sequence[str],
    config: Config,
    campaign: str,
    previous: Sequence[LinkMapEntry] = (),
    slug: str = "",
    pixel_exempt: str = "",
) -> TemplatePlan:
    """The edits for one template; `previous` are its entries in the link map, which say what
    ctamap wrote last time (and may rewrite when the policy changes) and what the author did.
    `slug` is the template's ID prefix (`{template}`), from the allocation against the map.
    `pixel_exempt` says why the composed email needs no pixel here although this document
    lacks one: a layout or partial gives it one, or only excluded emails use it (`pixels`)."""
    slug = slug or (ids[0].rsplit(".", 1)[0] if ids else template_slugs(key, template.is_text)[0])
    source = template.scan.source
    managed = managed_params(config)
    # The link-ID carrier is always ctamap's: utm_content when there is no link-ID parameter.
    replaced = {config.link_id_param or "utm_content"}
    if config.utm.existing == "override":
        replaced |= managed
    before = {entry.id: entry for entry in previous}
    carrier = config.link_id_param or "utm_content"
    separator = _document_separator(template)
    edits: list[Edit] = []
    tracked_urls: list[str | None] = []
    authored_urls: list[str | None] = []
    for cta, link_id in zip(template.ctas, ids, strict=True):
        tracked_url: str | None = None
        authored_url: str | None = None
        if cta.tracked:
            params = tracking_params(config, link_id.rsplit(".", 1)[0], link_id, campaign, key)
            wanted = {name for name, _ in params}
            ours = written_by_ctamap(before.get(link_id), cta)
            for occurrence in cta.occurrences:
                assert occurrence.href is not None
                span = occurrence.href
                masked = source.masked[span.value_start : span.value_end]
                current = {p.name: p.value for p in reversed(layout(span.value, masked).params)}
                if link_id not in before and current.get(carrier) == link_id:
                    ours = recovered(params, managed)
                # Values ctamap wrote follow the policy; the author's stay (under `keep`).
                mine = {n for n, v in ours.items() if current.get(n) == v}
                if span.quote == "'" and any("'" in v for _, v in params):
                    # An entity inside a template expression would break it at send time.
                    raise CtamapError(
                        "a UTM value with a single quote cannot go into this single-quoted "
                        "href: use double quotes around the href or none in the value",
                        path=source.path,
                        line=occurrence.line,
                    )
                new_raw = set_params(
                    span.value,
                    params,
                    replace=replaced | (mine & wanted),
                    drop=mine - wanted,
                    masked=masked,
                    default_separator=separator,
                    quote=span.quote or '"',  # an unquoted value that needs quotes gets `"`
                )
                if (edit := _link_edit(occurrence, new_raw, source.path)) is not None:
                    edits.append(edit)
                if tracked_url is None:
                    tracked_url = html.unescape(new_raw)
                    owned = {n for n in wanted if n not in current or n in replaced | mine}
                    authored_url = without_params(cta.url, owned | mine, cta.query)
        tracked_urls.append(tracked_url)
        authored_urls.append(authored_url)
    if not pixel_exempt and (pixel := _pixel_edit(template, config, key, slug, campaign)):
        edits.append(pixel)
    exempt = ""
    if config.pixel.url and template.scan.is_document and not template.is_text:
        exempt = pixel_exemption(key, template, config) or pixel_exempt
    entries = tuple(
        _entry(key, cta, link_id, tracked_url, authored or base_url(cta.url, managed, cta.query))
        for cta, link_id, tracked_url, authored in zip(
            template.ctas, ids, tracked_urls, authored_urls, strict=True
        )
    )
    return TemplatePlan(key, template, tuple(ids), entries, tuple(edits), exempt)


def _entry(key: str, cta: Cta, link_id: str, tracked_url: str | None, url: str) -> LinkMapEntry:
    """The CTA's link-map record: nothing in it moves when the template is edited elsewhere."""
    return LinkMapEntry(
        id=link_id,
        template=key,
        text=cta.text,
        kind=cta.kind,
        role=cta.role,
        url=url,
        tracked_url=tracked_url,
        tracked=tracked_url is not None,
        status="active",
        tags=tuple(o.tag for o in cta.occurrences),
    )


def template_key(path: Path, bases: Sequence[Path]) -> str:
    """A template's name in the link map: `path` (absolute) relative to the first of `bases`
    it is below (see `key_bases`); absolute as a last resort."""
    for base in bases:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def key_bases(root: Path, map_folder: Path) -> tuple[Path, ...]:
    """Where template keys are relative to: the project root, the map's folder, the current
    folder, in that order of preference."""
    return (root.resolve(), map_folder.resolve(), Path.cwd().resolve())


def plan_all(
    templates: Sequence[tuple[str, Template]],
    linkmap: LinkMap,
    config: Config,
    campaign: str,
    pixel_exempt: Mapping[str, str] | None = None,
) -> list[TemplatePlan]:
    """Plans for every template, with IDs assigned across all of them against the map;
    `pixel_exempt` maps a key to why that document needs no pixel of its own (`pixels`)."""
    with collector.paused():
        return _plan_all(templates, linkmap, config, campaign, pixel_exempt or {})


def _plan_all(
    templates: Sequence[tuple[str, Template]],
    linkmap: LinkMap,
    config: Config,
    campaign: str,
    pixel_exempt: Mapping[str, str],
) -> list[TemplatePlan]:
    allocations = allocate([(key, t.is_text) for key, t in templates], linkmap)
    managed = managed_params(config)
    plans: list[TemplatePlan] = []
    for key, template in templates:
        allocation = allocations[key]
        ids = assign_template(
            template, allocation, link_id_param=config.link_id_param, managed=managed
        )
        plans.append(
            plan_template(
                key,
                template,
                ids,
                config,
                campaign,
                allocation.entries,
                allocation.prefix,
                pixel_exempt.get(key, ""),
            )
        )
    return plans


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
