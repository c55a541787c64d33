"""Tracking rules (T001-T006): UTM parameters and link IDs on the links that should carry them,
and nowhere else."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator

from ctamap.classify import Cta
from ctamap.rules.base import Edit, Hit, Severity, rule
from ctamap.rules.context import (
    Context,
    Param,
    describe,
    is_tracking_param,
    without_tracking,
)
from ctamap.urls import params_of

_HOUSE_STYLE = r"[a-z0-9._-]+"  # compiled by `re` on first use: many runs never check it
# Parameters that must agree across the links of one template (content differs per link).
_PER_TEMPLATE = ("utm_source", "utm_medium", "utm_campaign")


def _params(ctx: Context, cta: Cta) -> list[Param]:
    return ctx.params(cta)


@rule("T001", "not-instrumented", Severity.ERROR)
def not_instrumented(ctx: Context) -> Iterator[Hit]:
    """A tracked link without its UTM parameters or link ID.

    ## What it does
    Flags links that `ctamap instrument` would track (role `cta` on a first-party domain, not
    opted out, not a shortener) but that lack one of the UTM parameters the `[utm]` policy sets
    or the link ID parameter (`link_id_param`, default `cta_id`).

    ## Why it matters
    A click on an uninstrumented link cannot be joined back to its CTA: analytics shows the
    visit as "direct" or "(not set)", and `ctamap report` counts it as unmatched.

    ## Example
    ```html
    <a href="https://app.example.com/start" class="button">Get started</a>
    ```

    ## Fix
    Run `ctamap instrument` (the pre-commit hook `ctamap-instrument` does it on commit); the
    suggested fix is exactly the edit `instrument` makes, with the ID from the link map:
    ```html
    <a href="https://app.example.com/start?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=welcome&amp;utm_content=welcome.get-started&amp;cta_id=welcome.get-started"
       class="button">Get started</a>
    ```
    """
    for cta, fixes, before, after in _planned_changes(ctx):
        missing = [name for name in after if name not in before]
        link_id = ctx.config.link_id_param
        changed = [
            f"{link_id}={before[link_id]!r} (instrument writes {after[link_id]!r})"
            for name in (link_id,)
            if name and name in before and name in after and before[name] != after[name]
        ]
        if not missing and not changed:
            continue  # only UTM values change: that is policy drift (T002)
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + changed
        yield ctx.at(cta.link, f"{describe(cta)} is not instrumented: {'; '.join(problems)}", fixes)


def _planned_changes(
    ctx: Context,
) -> Iterator[tuple[Cta, tuple[Edit, ...], dict[str, str], dict[str, str]]]:
    """Each tracked CTA `instrument` would edit: the edits and its parameters before/after."""
    plan = ctx.plan
    if plan is None:
        return
    # `instrument` replaces whole href values: its edit for a link starts where the value does.
    by_start = {edit.start: edit for edit in plan.edits}
    for cta in ctx.ctas():
        if not cta.tracked:
            continue
        fixes = tuple(
            by_start[o.href.value_start]
            for o in cta.occurrences
            if o.href is not None and o.href.value_start in by_start
        )
        if fixes:
            before = _first_wins(params_of(cta.url))
            after = _first_wins(params_of(html.unescape(fixes[0].replacement.strip("\"'"))))
            yield cta, fixes, before, after


def _first_wins(params: list[tuple[str, str]]) -> dict[str, str]:
    """Name -> value, in order; of a repeated name the first counts (as `instrument` reads)."""
    found: dict[str, str] = {}
    for name, value in params:
        found.setdefault(name, value)
    return found


@rule("T002", "utm-style", Severity.WARNING)
def utm_style(ctx: Context) -> Iterator[Hit]:
    """A UTM value off house style, off the configured policy, or differing within a template.

    ## What it does
    Checks every `utm_*` value written in a template (values that are template expressions are
    skipped):
    - policy: a value `instrument` would rewrite — one ctamap wrote itself under an earlier
      `[utm]` policy (the link map's `tracked_url` says which values are ctamap's), or any
      value under `existing = "override"` — or a parameter ctamap wrote that the policy now
      leaves out (`content = ""`). Values the author set stay theirs under
      `existing = "keep"` and are not reported;
    - house style: lowercase letters, digits, `.`, `_`, `-`; no spaces or capitals;
    - consistency: `utm_source`, `utm_medium` and `utm_campaign` have one value across all
      links of a template (the value most links use is taken as intended).

    ## Why it matters
    Analytics tools treat `Email`, `email` and `e-mail` as three channels, and one campaign
    split over two `utm_campaign` spellings is reported as two half-campaigns. After a policy
    change (a new `campaign`), links still carrying the old value credit clicks to the old
    campaign until the templates are instrumented again.

    ## Example
    ```html
    <a href="https://www.example.com/a?utm_medium=Email&amp;utm_campaign=spring">A</a>
    <a href="https://www.example.com/b?utm_medium=email&amp;utm_campaign=spring-sale">B</a>
    ```

    ## Fix
    Run `ctamap instrument`, which rewrites ctamap's own values to the current policy (the
    suggested fix is its edit); correct the author's values by hand, or let `instrument` with
    `existing = "override"` rewrite them:
    ```html
    <a href="https://www.example.com/a?utm_medium=email&amp;utm_campaign=spring">A</a>
    <a href="https://www.example.com/b?utm_medium=email&amp;utm_campaign=spring">B</a>
    ```
    """
    if ctx.template.is_text:
        return  # any tracking parameter in a text version is V001
    found: list[tuple[Cta, Param]] = []
    for cta in ctx.ctas():
        found.extend(
            (cta, p) for p in _params(ctx, cta) if p.name.startswith("utm_") and not p.templated
        )
    reported: set[tuple[int, str]] = set()

    def hit(
        cta: Cta, name: str, value: str, problem: str, fixes: tuple[Edit, ...] = ()
    ) -> Iterator[Hit]:
        key = (cta.link.start, name)
        if key not in reported:
            reported.add(key)
            yield ctx.at(cta.link, f"{describe(cta)}: {name}={value!r} {problem}", fixes)

    for cta, fixes, before, after in _planned_changes(ctx):
        for name, value in after.items():
            if name.startswith("utm_") and name in before and before[name] != value:
                yield from hit(
                    cta,
                    name,
                    before[name],
                    f"differs from the policy value {value!r}: `ctamap instrument` rewrites it",
                    fixes,
                )
        for name, value in before.items():
            if name.startswith("utm_") and name not in after:  # ctamap's, and `""` now
                yield from hit(
                    cta,
                    name,
                    value,
                    "is left out by the policy now: `ctamap instrument` removes it",
                    fixes,
                )
    for cta, param in found:
        if not re.fullmatch(_HOUSE_STYLE, param.value):
            yield from hit(
                cta,
                param.name,
                param.value,
                "is not house style (lowercase, [a-z0-9._-], no spaces)",
            )
    for name in _PER_TEMPLATE:
        values = Counter(p.value for _, p in found if p.name == name)
        if len(values) < 2:
            continue
        usual = values.most_common(1)[0][0]
        for cta, param in found:
            if param.name == name and param.value != usual:
                yield from hit(
                    cta, param.name, param.value, f"differs from {usual!r} used by the other links"
                )


@rule("T003", "duplicate-link-id", Severity.ERROR)
def duplicate_link_id(ctx: Context) -> Iterator[Hit]:
    """One link ID on two different CTAs, in one template or across templates.

    ## What it does
    Flags a link ID (the `link_id_param` value, default `cta_id`) used by a second CTA of the
    same template, already used by another audited template, or recorded in the link map for
    another template. The first use (in path order) keeps it; later uses are reported. A VML
    button and its `<a>` twin are one CTA and share one ID by design.

    ## Why it matters
    Clicks are joined to CTAs by link ID. Two CTAs with one ID merge their clicks: the report
    credits the header logo with the hero button's clicks, and nobody can tell.

    ## Example
    ```html
    <a href="https://www.example.com/a?cta_id=welcome.start">Start</a>
    <a href="https://www.example.com/b?cta_id=welcome.start">Pricing</a>
    ```

    ## Fix
    Give each CTA its own ID: remove the copied parameter and run `ctamap instrument`, which
    allocates unique IDs and records them in the link map.
    """
    if ctx.template.is_text:
        return
    seen: dict[str, Cta] = {}
    owners = ctx.project.link_id_owners()
    key = ctx.plan.key if ctx.plan else ""
    mapped = ctx.project.mapped_ids
    for cta in ctx.ctas():
        for param in _params(ctx, cta):
            if param.name != ctx.config.link_id_param or param.templated or not param.value:
                continue
            first = seen.setdefault(param.value, cta)
            owner = owners.get(param.value, ctx.file.display)
            if first is not cta:
                yield ctx.at(
                    cta.link,
                    f"{describe(cta)} reuses link ID {param.value!r} of "
                    f"{describe(first)} (line {first.link.line})",
                )
            elif owner != ctx.file.display:
                yield ctx.at(
                    cta.link,
                    f"{describe(cta)} reuses link ID {param.value!r} already used in {owner}",
                )
            elif mapped.get(param.value, key) != key:
                yield ctx.at(
                    cta.link,
                    f"{describe(cta)} reuses link ID {param.value!r}, which the link map "
                    f"gives to {mapped[param.value]}",
                )


@rule("T004", "vml-twin-mismatch", Severity.ERROR)
def vml_twin_mismatch(ctx: Context) -> Iterator[Hit]:
    """A VML button and its `<a>` fallback that go to different places.

    ## What it does
    Flags an Outlook VML button (`<v:roundrect href>` inside `<!--[if mso]>`) whose `<a>` twin
    beside it has a different destination, or the same destination with a different link ID or
    tracking parameters.

    ## Why it matters
    Outlook readers click the VML shape, everyone else clicks the `<a>`. When they differ, one
    audience lands somewhere else, and the clicks of one CTA are split over two IDs (or
    attributed to the wrong CTA).

    ## Example
    ```html
    <!--[if mso]><v:roundrect href="https://www.example.com/old-offer">…</v:roundrect><![endif]-->
    <a href="https://www.example.com/offer" class="button">See the offer</a>
    ```

    ## Fix
    Edit both together so they carry the same `href`:
    ```html
    <!--[if mso]><v:roundrect href="https://www.example.com/offer">…</v:roundrect><![endif]-->
    <a href="https://www.example.com/offer" class="button">See the offer</a>
    ```
    """
    for vml, anchor in ctx.template.mismatched_twins:
        same_place = without_tracking(vml.url, ctx.config) == without_tracking(
            anchor.url, ctx.config
        )
        what = "carry different tracking parameters" if same_place else "go to different places"
        text = next((c.text for c in ctx.template.ctas if anchor in c.occurrences), "")
        name = f'"{text}"' if text else "button"
        yield ctx.at(
            vml,
            f"VML {name} ({vml.url.strip()}) and its <a> twin ({anchor.url.strip()}) {what}",
        )


@rule("T005", "third-party-tracking", Severity.WARNING)
def third_party_tracking(ctx: Context) -> Iterator[Hit]:
    """Tracking parameters on a link to a third-party site.

    ## What it does
    Flags links to a registrable domain outside `first_party_domains` (role `third-party`)
    that carry `utm_*` parameters or the link ID parameter. Only checked when
    `first_party_domains` is configured (without it every domain counts as your own).

    ## Why it matters
    UTM values and link IDs describe your campaign; sent to a partner or social network they
    leak campaign names and audience structure, and they do nothing for your own analytics.

    ## Example
    ```html
    <a href="https://twitter.com/example?utm_source=news&amp;utm_campaign=q3">Follow us</a>
    ```

    ## Fix
    Remove the tracking parameters from third-party links (the suggested fix removes them and
    keeps every other parameter as written):
    ```html
    <a href="https://twitter.com/example">Follow us</a>
    ```
    """
    for cta in ctx.ctas("third-party"):
        names = [p.name for p in _params(ctx, cta) if is_tracking_param(p.name, ctx.config)]
        if names:
            yield ctx.at(
                cta.link,
                f"{describe(cta)} is a third-party link carrying tracking parameters "
                f"{', '.join(dict.fromkeys(names))}",
                ctx.without_tracking_edits(cta),
            )


# Roles that compete for the reader's click (unsubscribe, mailto and the like do not).
_CLICK_ROLES = ("cta", "dynamic", "third-party")


@rule("T006", "too-many-ctas", Severity.NOTICE)
def too_many_ctas(ctx: Context) -> Iterator[Hit]:
    """More CTAs in one template than `[audit] max_ctas` (default 25).

    ## What it does
    Counts the CTAs of an HTML template that compete for the reader's click (roles `cta`,
    `dynamic`, `third-party`; a VML button and its `<a>` twin count once) and reports the
    first CTA over the limit. An email is also counted with the layouts and partials it uses,
    as a recipient gets it: when no part is over the limit on its own but together they are,
    the email is flagged at the tag that brings in its layout, with the count of each part.

    ## Why it matters
    Every extra link dilutes the clicks of the one that matters; long link lists also look like
    spam to filters and make per-CTA click reports hard to read.

    ## Example
    A newsletter with 40 links: header navigation, 30 article links, footer navigation and
    social icons.

    ## Fix
    Cut links that nobody clicks (the click report shows which), merge duplicates, or raise
    `max_ctas` in `[audit]` for templates that are meant to be link lists.
    """
    if ctx.template.is_text:
        return
    limit = ctx.config.audit.max_ctas
    counted = list(ctx.ctas(*_CLICK_ROLES))
    if len(counted) > limit:
        cta = counted[limit]
        yield ctx.at(
            cta.link,
            f"{describe(cta)} is CTA {limit + 1} of {len(counted)}, over max_ctas = {limit}",
        )
        return
    if ctx.project.uses_in_email(ctx.file):
        return  # counted in each email built on it
    parts = ctx.composition()
    counts = [
        (file, sum(1 for cta in part.ctas if cta.role in _CLICK_ROLES)) for file, part in parts
    ]
    total = sum(n for _, n in counts)
    if total <= limit or any(n > limit for _, n in counts):
        return  # within the limit, or a part over it on its own is flagged there
    first = next(file for file, n in counts[1:] if n)
    shown = ", ".join(f"{n} in {file.display}" for file, n in counts if n)
    yield ctx.at_reference(
        first,
        f"the composed email has {total} CTAs ({shown}), over max_ctas = {limit}",
    )


# Where a value is a template expression, it is filled in at send time: not ours to judge.
_TEMPLATE_MARKS = ("{{", "{%", "*|", "%%", "[[", "<%", "${")
_NAMED_EMAILS = 5


def _written_campaign(ctx: Context, cta: Cta) -> str | None:
    """The `utm_campaign` the link carries once instrumented: what `instrument` would write
    (its edit), else what the href has; None when it has none."""
    plan = ctx.plan
    href = cta.link.href
    if plan is not None and href is not None:
        for edit in plan.edits:
            if edit.start == href.value_start:
                written = dict(params_of(html.unescape(edit.replacement.strip("\"'"))))
                return written.get("utm_campaign")
    return dict(params_of(cta.url)).get("utm_campaign")


def _override_glob(ctx: Context) -> str:
    """The `[[utm.override]] paths` glob naming this layout's folder, from the config root."""
    try:
        relative = ctx.file.path.relative_to(ctx.config.root.resolve()).as_posix()
    except ValueError:
        return ctx.file.path.name
    folder, _, name = relative.rpartition("/")
    return f"{folder}/*" if folder else name


@rule("T007", "layout-static-campaign", Severity.WARNING)
def layout_static_campaign(ctx: Context) -> Iterator[Hit]:
    """A tracked link in a layout or partial with a static `utm_campaign` shared by every email
    that uses it.

    ## What it does
    Builds the template graph of the run (`{% extends %}` / `{% include %}`, Liquid
    `{% layout %}` / `{% render %}` / `{% include %}`, Handlebars `{{> partial}}`, MJML
    `<mj-include>`) and, in every template that other templates extend or include, flags each
    tracked link whose `utm_campaign` — as written, or as `ctamap instrument` would write it —
    is a fixed value rather than a template expression filled in at send time. The message
    names the emails that use the layout.

    ## Why it matters
    A layout's links (logo, footer, "view in browser") are sent inside every email built on it.
    With `utm_campaign=base` (the layout's own slug) web analytics credits every such click of
    every email to a campaign called "base", and the emails' own campaigns look smaller than
    they are.

    ## Example
    `layouts/base.html`, extended by `welcome.html` and `receipt.html`:
    ```html
    <a href="https://www.example.com/?utm_medium=email&amp;utm_campaign=base&amp;cta_id=base.home">Home</a>
    ```

    ## Fix
    Give layouts a send-time campaign that each email (or the sending code) sets, then run
    `ctamap instrument`:
    ```toml
    [[utm.override]]
    paths = ["layouts/*"]
    campaign = "{{ utm_campaign }}"
    ```
    ```html
    <a href="https://www.example.com/?utm_campaign={{ utm_campaign }}&amp;cta_id=base.home">Home</a>
    ```
    """
    if ctx.template.is_text:
        return
    graph = ctx.project.graph
    if not graph.is_layout(ctx.file):
        return
    emails = graph.emails_using(ctx.file)
    if not emails:
        return
    shown = ", ".join(f.display for f in emails[:_NAMED_EMAILS])
    if len(emails) > _NAMED_EMAILS:
        shown += f" and {len(emails) - _NAMED_EMAILS} more"
    count = "1 template that uses" if len(emails) == 1 else f"{len(emails)} templates that use"
    fix = f'[[utm.override]] paths = ["{_override_glob(ctx)}"] campaign = "{{{{ utm_campaign }}}}"'
    for cta in ctx.ctas():
        if not cta.tracked:
            continue
        campaign = _written_campaign(ctx, cta)
        if not campaign or any(mark in campaign for mark in _TEMPLATE_MARKS):
            continue
        yield ctx.at(
            cta.link,
            f"tracked link {describe(cta)} in layout `{ctx.file.display}` carries static "
            f"campaign `{campaign}` for {count} it: {shown}; "
            f"make it a send-time value: {fix}",
        )
