"""Stage two, aggregation: the figures of design.md from the `classified` table.

Figures are kept per dimension: the whole input, each `--by` group, and each email (the
`email` column, `identity`). A CTA's rates divide by the deliveries and opens of the emails
it is sent in, never by every delivery read. Counts come from SQL; rates are divided here so
that an unknown or zero denominator gives `None` (JSON null) and a note saying why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from ctamap.report import identity
from ctamap.report.catalog import EmailCatalog, scope_name
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import (
    EXCLUSION_REASONS,
    CtaTotals,
    EmailFigures,
    Group,
    Report,
    ReportOptions,
    Summary,
    UnmatchedUrl,
)
from ctamap.report.privacy import masked_url_sql

if TYPE_CHECKING:
    from ctamap.report.engines import Engine

#: Which figures a row of the queries below belongs to: the whole input, a `--by` group, an
#: email. `(dimension, value)` is a tally's key.
Dimension = Literal["all", "group", "email"]
Key = tuple[Dimension, str | None]

_FLAGS = """
        bool_or(type = 'delivered') AS delivered,
        bool_or(type IN ('open', 'click')) AS opened,
        -- A click implies a (human) open; machine-only openers drop out of the human base.
        bool_or(type = 'click' OR (type = 'open' AND NOT coalesce(machine_open, false)))
            AS human_open,
        bool_or(type = 'click') AS clicked,
        bool_or(type = 'unsubscribe' OR unsubscribe_click) AS unsubscribed"""

_COUNTS = """count_if(delivered) AS delivered,
    count_if(opened) AS unique_opens,
    count_if(human_open) AS human_opens,
    count_if(clicked) AS clickers,
    count_if(unsubscribed) AS unsubscribes"""

#: The same flags, folded again from rows of `_FLAGS`.
_REFLAGS = """
        bool_or(delivered) AS delivered,
        bool_or(opened) AS opened,
        bool_or(human_open) AS human_open,
        bool_or(clicked) AS clicked,
        bool_or(unsubscribed) AS unsubscribed"""

# Distinct-recipient figures, in one pass over `classified`: each recipient's counted rows are
# folded into flags per group and email (`flags`, about one row per recipient), which are folded
# again per group (and overall, so a recipient in two groups is not counted twice), per email,
# and per scope, then summed. Cheaper than one count(DISTINCT) per figure over every row, and
# than one pass over `classified` per dimension. `kind` says which figures a row holds.
_RECIPIENTS = f"""
WITH flags AS (
    SELECT grp, email, recipient, {_FLAGS}
    FROM classified WHERE reason IS NULL
    GROUP BY grp, email, recipient
)
SELECT 'group' AS kind, grp, overall, CAST(NULL AS INTEGER) AS email,
    CAST(NULL AS VARCHAR) AS scope, {_COUNTS}
FROM (
    SELECT grp, GROUPING(grp) AS overall, recipient, {_REFLAGS}
    FROM flags
    GROUP BY GROUPING SETS ({{recipient_sets}})
)
GROUP BY grp, overall
UNION ALL
-- Per email (its number, `identity`).
SELECT 'email' AS kind, CAST(NULL AS VARCHAR) AS grp, 0 AS overall, email,
    CAST(NULL AS VARCHAR) AS scope, {_COUNTS}
FROM (
    SELECT email, recipient, {_REFLAGS}
    FROM flags
    GROUP BY email, recipient
)
GROUP BY email{{scopes}}
"""

# A link sent in several emails (a layout's): distinct recipients over those emails together.
_SCOPES = f"""
UNION ALL
SELECT 'scope' AS kind, CAST(NULL AS VARCHAR) AS grp, 0 AS overall,
    CAST(NULL AS INTEGER) AS email, scope, {_COUNTS}
FROM (
    SELECT s.scope, f.recipient, {_REFLAGS}
    FROM flags f JOIN scope_emails s ON f.email = s.email
    GROUP BY s.scope, f.recipient
)
GROUP BY scope"""

# Row accounting: every row by reason (NULL = counted) and type, per dimension.
_ROWS = """
SELECT {dims}, reason, type, count(*) AS n,
    count_if(flagged) AS flagged,
    count_if(type = 'open' AND machine_open IS NOT NULL) AS machine_known
FROM classified
GROUP BY GROUPING SETS ({sets})
"""

#: A CTA's number (`url_links.link_no`) -> its link ID.
_LINK_IDS = "(SELECT DISTINCT link_no, link_id FROM url_links WHERE link_no IS NOT NULL)"

# Per CTA (by its number, `url_links.link_no`), from one grouping of the counted clicks by CTA and
# recipient (`pairs`): overall, the distinct recipients over all emails, and over those of the
# emails the CTA is sent in (its rates' numerator: a click the provider puts in an email without
# the CTA is not one of them); per email, each recipient's clicks in that email. A recipient
# almost always clicks a CTA in one email only (`lo = hi`, -1 standing for no email); the few
# who clicked it in several have their clicks counted per email again (`mixed`). A CTA whose
# clicks all fall in one email has its one email's figures overall; the overall rows are for
# those whose clicks fall in several (a layout's; a provider's other name).
_CTAS = f"""
WITH link_ids AS {_LINK_IDS},
pairs AS (
    SELECT c.link_no, c.recipient, count(*) AS n,
        min(coalesce(c.email, -1)) AS lo, max(coalesce(c.email, -1)) AS hi,
        bool_or(le.link_id IS NOT NULL) AS sent_in
    FROM classified c
    JOIN link_ids k ON c.link_no = k.link_no
    LEFT JOIN link_emails le ON le.link_id = k.link_id AND le.email = c.email
    WHERE c.reason IS NULL AND c.type = 'click'
    GROUP BY c.link_no, c.recipient
),
mixed AS (
    SELECT c.email, c.link_no, c.recipient, count(*) AS n
    FROM classified c
    JOIN pairs p ON c.link_no = p.link_no AND c.recipient IS NOT DISTINCT FROM p.recipient
    WHERE c.reason IS NULL AND c.type = 'click' AND p.lo <> p.hi
    GROUP BY c.email, c.link_no, c.recipient
),
per AS (
    SELECT CASE WHEN lo >= 0 THEN lo END AS email, link_no, n FROM pairs WHERE lo = hi
    UNION ALL
    SELECT email, link_no, n FROM mixed
)
SELECT NULL AS grp, c.email, 1 AS g_grp, 0 AS g_email, k.link_id, c.total_clicks,
    c.unique_clicks, CAST(NULL AS BIGINT) AS unique_in_emails
FROM (
    SELECT email, link_no, sum(n) AS total_clicks, count(*) AS unique_clicks
    FROM per
    GROUP BY email, link_no
) c
JOIN link_ids k ON c.link_no = k.link_no
UNION ALL
SELECT NULL AS grp, NULL AS email, 1 AS g_grp, 1 AS g_email, k.link_id, c.total_clicks,
    c.unique_clicks, c.unique_in_emails
FROM (
    SELECT link_no, sum(n) AS total_clicks, count(*) AS unique_clicks,
        count_if(sent_in) AS unique_in_emails
    FROM pairs
    GROUP BY link_no
) c
JOIN link_ids k ON c.link_no = k.link_no
"""

# Per CTA and `--by` group.
_GROUP_CTAS = f"""
SELECT c.grp, NULL AS email, 0 AS g_grp, 1 AS g_email, k.link_id,
    c.total_clicks, c.unique_clicks
FROM (
    SELECT grp, link_no, sum(n) AS total_clicks, count(*) AS unique_clicks
    FROM (
        SELECT grp, link_no, recipient, count(*) AS n
        FROM classified WHERE reason IS NULL AND type = 'click'
        GROUP BY grp, link_no, recipient
    )
    GROUP BY grp, link_no
) c
JOIN {_LINK_IDS} k ON c.link_no = k.link_no
"""

# Masked once per distinct URL, then regrouped: URLs that differ only in a masked value (a
# token, an address) are one row.
_UNMATCHED = """
SELECT shown AS url, sum(clicks) AS clicks FROM (
    SELECT {shown} AS shown, clicks FROM (
        SELECT url, count(*) AS clicks FROM classified WHERE reason = 'unmatched' GROUP BY url
    )
)
GROUP BY shown ORDER BY clicks DESC, shown LIMIT {limit:d}
"""

_NO_DELIVERIES = "no deliveries known for this email"
_NO_EMAIL = "deliveries do not say which email they belong to (see [report] template_field)"
_NOT_SENT_IN_NOTE = "not in this email: the provider names this email for clicks on it"
_NO_OPEN_EMAIL = "opens do not say which email they belong to (see [report] template_field)"


def _rate(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 6)


@dataclass
class _Tally:
    """Counts for one group, gathered from the queries above."""

    rows_read: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))
    counted: dict[str, int] = field(default_factory=dict)
    flagged_bot: int = 0
    machine_known: int = 0
    recipients: dict[str, int] = field(default_factory=dict)


def _delivered(tally: _Tally, options: ReportOptions, given: bool) -> int | None:
    """Delivered: `--delivered`, else `--sent` minus bounces, else delivery events (if any).

    The user's figures describe the whole send: they apply where `given` (the overall summary,
    and the email when the whole input is one email)."""
    if given and options.delivered is not None:
        return options.delivered
    if given and options.sent is not None:
        bounced = options.bounced if options.bounced is not None else tally.counted.get("bounce", 0)
        return max(options.sent - bounced, 0)
    return tally.recipients.get("delivered", 0) or None


def _summary(tally: _Tally, options: ReportOptions, given: bool) -> Summary:
    delivered = _delivered(tally, options, given)
    opens = tally.recipients.get("unique_opens", 0)
    clickers = tally.recipients.get("clickers", 0)
    unsubscribes = tally.recipients.get("unsubscribes", 0)
    human = tally.recipients.get("human_opens", 0)
    return Summary(
        rows_read=tally.rows_read,
        clicks_counted=tally.counted.get("click", 0),
        excluded=dict(tally.excluded),
        counted=dict(sorted(tally.counted.items())),
        flagged_bot=tally.flagged_bot,
        delivered=delivered,
        unique_opens=opens,
        open_rate=_rate(opens, delivered),
        unique_clickers=clickers,
        ctr=_rate(clickers, delivered),
        ctor=_rate(clickers, opens),
        ctor_human=_rate(clickers, human) if tally.machine_known else None,
        unsubscribes=unsubscribes,
        unsubscribe_rate=_rate(unsubscribes, delivered),
    )


def _fetch(engine: Engine, sql: str) -> list[dict[str, Any]]:
    return engine.fetch(sql)


def _recipient_counts(row: Mapping[str, Any]) -> dict[str, int]:
    names = ("delivered", "unique_opens", "human_opens", "clickers", "unsubscribes")
    return {name: int(row[name]) for name in names}


@dataclass(frozen=True)
class _Base:
    """What a CTA's rates divide by: deliveries and opens of the emails it is sent in."""

    delivered: int | None
    unique_opens: int | None
    note: str | None = None


_NOT_SENT_IN = _Base(None, None, _NOT_SENT_IN_NOTE)


class _Bases:
    """Each email's summary, and the deliveries and opens of any set of emails, with why they
    are unknown. An email's deliveries are unknown when none name it; its opens are unknown
    when it has no open events of its own while other opens name no email (the click-implied
    opens alone would make its CTOR 100 %)."""

    def __init__(
        self,
        tallies: Mapping[str, _Tally],
        scopes: Mapping[str, Mapping[str, int]],
        unidentified: Mapping[str, int],
        options: ReportOptions,
        given: bool,
    ) -> None:
        self._scopes = scopes
        self._unknown_deliveries = bool(unidentified.get("delivered"))
        self._opens_unknown = {
            key
            for key, tally in tallies.items()
            if unidentified.get("open") and not tally.counted.get("open")
        }
        self.summaries: dict[str, Summary] = {}
        for key, tally in tallies.items():
            summary = _summary(tally, options, given)
            if key in self._opens_unknown:
                summary = replace(summary, open_rate=None, ctor=None, ctor_human=None)
            self.summaries[key] = summary

    def of(self, emails: tuple[str, ...]) -> _Base:
        """What a rate over `emails` together divides by."""
        if len(emails) == 1 and emails[0] in self.summaries:
            summary = self.summaries[emails[0]]
            delivered, opens = summary.delivered, summary.unique_opens
        else:
            counts = self._scopes.get(scope_name(emails), {}) if len(emails) > 1 else {}
            delivered = counts.get("delivered", 0) or None
            opens = counts.get("unique_opens", 0)
        opens_known = bool(emails) and not self._opens_unknown.intersection(emails)
        notes = []
        if delivered is None:
            notes.append(_NO_EMAIL if self._unknown_deliveries else _NO_DELIVERIES)
        if not opens_known and (emails or not notes):
            notes.append(_NO_OPEN_EMAIL)
        return _Base(delivered, opens if opens_known else None, "; ".join(notes) or None)


def _cta(
    link: LinkMapEntry,
    row: Mapping[str, Any] | None,
    clicks: int,
    base: _Base,
    emails: tuple[str, ...] = (),
) -> CtaTotals:
    total = int(row["total_clicks"]) if row else 0
    unique = int(row["unique_clicks"]) if row else 0
    # Rates count the clickers in the emails the CTA is sent in (all of them, per email).
    sent_in = int(row.get("unique_in_emails", unique)) if row else 0
    ctr = _rate(sent_in, base.delivered)
    ctor = _rate(sent_in, base.unique_opens)
    note = base.note if ctr is None or ctor is None else None
    if sent_in < unique and base.delivered is not None:
        elsewhere = (
            f"{unique - sent_in:,} clicker(s) in emails not known to hold this CTA are not in "
            "its rates"
        )
        note = f"{note}; {elsewhere}" if note else elsewhere
    return CtaTotals(
        id=link.id,
        template=link.template,
        text=link.text,
        url=link.url,
        role=link.role,
        status=link.status,
        total_clicks=total,
        unique_clicks=unique,
        click_share=_rate(total, clicks),
        ctr=ctr,
        ctor=ctor,
        note=note,
        part=link.part,
        emails=emails,
    )


def _order(rows: Mapping[str, Mapping[str, Any]], listed: list[str]) -> list[str]:
    def clicks(link_id: str) -> int:
        return -int(rows[link_id]["total_clicks"]) if link_id in rows else 0

    return sorted(set(listed) | set(rows), key=lambda i: (clicks(i), i))


class _Figures:
    """The query results of one report, read into tallies per dimension."""

    def __init__(
        self,
        con: Engine,
        options: ReportOptions,
        scoped: bool,
        emails_with: Callable[[str], tuple[str, ...]],
    ) -> None:
        self.options = options
        # `--by template` groups are the emails: no grouping of their own.
        by = bool(options.by) and options.by != "template"
        self.names = identity.email_names(con)
        self.tallies: dict[Key, _Tally] = defaultdict(_Tally)
        self.ctas: dict[Key, dict[str, dict[str, Any]]] = defaultdict(dict)
        dims = "grp, email, GROUPING(grp) AS g_grp, GROUPING(email) AS g_email"
        if not by:
            dims = "NULL AS grp, email, 1 AS g_grp, GROUPING(email) AS g_email"
        group_sets = ["(grp, reason, type)"] if by else []
        row_sets = ", ".join([*group_sets, "(email, reason, type)", "(reason, type)"])
        for row in _fetch(con, _ROWS.format(dims=dims, sets=row_sets)):
            tally = self.tallies[self._key(row)]
            n = int(row["n"])
            tally.rows_read += n
            if row["reason"] is None:
                tally.counted[str(row["type"])] = tally.counted.get(str(row["type"]), 0) + n
            else:
                tally.excluded[str(row["reason"])] += n
            tally.flagged_bot += int(row["flagged"])
            tally.machine_known += int(row["machine_known"])
        recipient_sets = "(grp, recipient), (recipient)" if by else "(grp, recipient)"
        self.scopes: dict[str, dict[str, int]] = {}
        recipients = _RECIPIENTS.format(
            recipient_sets=recipient_sets, scopes=_SCOPES if scoped else ""
        )
        for row in _fetch(con, recipients):
            key: Key
            if row["kind"] == "scope":
                self.scopes[str(row["scope"])] = _recipient_counts(row)
                continue
            if row["kind"] == "email":
                key = ("email", self._name(row["email"]))
            else:
                key = ("all", None) if (row["overall"] or not by) else ("group", row["grp"])
            self.tallies[key].recipients = _recipient_counts(row)
        ctas = _fetch(con, _CTAS)
        # Per email, every clicker counts in the CTA's rates (`_cta`): no `unique_in_emails`.
        per_email = [
            {k: v for k, v in row.items() if k != "unique_in_emails"}
            for row in ctas
            if not row["g_email"]
        ]
        for row in per_email:
            self.ctas[self._key(row)][str(row["link_id"])] = row
        # Overall: a CTA's one email's figures, unless its clicks fall in several.
        emails_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in per_email:
            emails_of[str(row["link_id"])].append(row)
        overall = self.ctas[("all", None)]
        for link_id, rows in emails_of.items():
            if len(rows) == 1:
                row = rows[0]
                sent_in = self._name(row["email"]) in emails_with(link_id)
                overall[link_id] = {
                    **row,
                    "unique_in_emails": row["unique_clicks"] if sent_in else 0,
                }
            else:
                spread = next(r for r in ctas if r["g_email"] and r["link_id"] == link_id)
                overall[link_id] = spread
        for row in _fetch(con, _GROUP_CTAS) if by else []:
            self.ctas[self._key(row)][str(row["link_id"])] = row

    def _name(self, number: int | None) -> str | None:
        return None if number is None else self.names[int(number)]

    def _key(self, row: Mapping[str, Any]) -> Key:
        if not row["g_grp"]:
            return ("group", row["grp"])
        if not row["g_email"]:
            return ("email", self._name(row["email"]))
        return ("all", None)


def aggregate(
    con: Engine,
    entries: list[LinkMapEntry],
    options: ReportOptions,
    catalog: EmailCatalog,
) -> Report:
    """Read the figures out of `classified` into a `Report`."""
    scoped = any(len(catalog.emails_with(entry.template)) > 1 for entry in entries)
    templates = {entry.id: entry.template for entry in entries}
    figures = _Figures(
        con, options, scoped, lambda link_id: catalog.emails_with(templates.get(link_id, ""))
    )
    tallies = figures.tallies
    links = {entry.id: entry for entry in entries}
    # Every trackable CTA is listed, clicked or not: a CTA nobody clicked is a finding too.
    active = [entry.id for entry in entries if entry.role == "cta" and entry.status == "active"]
    summary = _summary(tallies[("all", None)], options, given=True)

    email_keys = sorted(
        {key for dim, key in tallies if dim == "email" and key is not None}
        | {e for e in catalog.emails if tallies.get(("email", e), _Tally()).rows_read}
    )
    unidentified = tallies.get(("email", None))
    # The user's --delivered/--sent describe the send: one email's, when the input is one.
    one_email = len(email_keys) == 1 and not (unidentified and unidentified.counted)
    bases = _Bases(
        {k: tallies[("email", k)] for k in email_keys},
        figures.scopes,
        unidentified.counted if unidentified else {},
        options,
        one_email,
    )
    email_summaries = bases.summaries

    def email_note(key: str) -> str | None:
        return bases.of((key,)).note

    def base_of(link: LinkMapEntry) -> _Base:
        return bases.of(catalog.emails_with(link.template))

    overall_rows = figures.ctas.get(("all", None), {})
    report_ctas = tuple(
        _cta(
            links[i],
            overall_rows.get(i),
            summary.clicks_counted,
            base_of(links[i]),
            catalog.emails_with(links[i].template),
        )
        for i in _order(overall_rows, active)
    )

    def stray(link: LinkMapEntry, email: str) -> bool:
        """The CTA is known not to be in `email`: `email` is one of the link map's, its own
        emails are sent (have deliveries) and `email` is not one of them. (A layout the
        template graph did not show has none; an email only the provider knows may hold
        anything.)"""
        homes = catalog.emails_with(link.template)
        return (
            email in catalog.emails
            and email not in homes
            and all(h in email_summaries and email_summaries[h].delivered for h in homes)
        )

    emails = []
    for key in email_keys:
        email_summary = email_summaries[key]
        base = bases.of((key,))
        rows = figures.ctas.get(("email", key), {})
        contained = {
            entry.id
            for entry in entries
            if entry.role == "cta"
            and entry.status == "active"
            and key in catalog.emails_with(entry.template)
        }
        ctas = tuple(
            _cta(
                links[i],
                rows.get(i),
                email_summary.clicks_counted,
                _NOT_SENT_IN if stray(links[i], key) else base,
                catalog.emails_with(links[i].template),
            )
            for i in _order(rows, sorted(contained))
        )
        emails.append(
            EmailFigures(
                email=key,
                in_link_map=key in catalog.emails,
                templates=catalog.templates_of(key),
                summary=email_summary,
                ctas=ctas,
                note=email_note(key),
            )
        )

    groups: list[Group] = []
    if options.by == "template":
        # The groups are the emails (clicked CTAs only), then the events of no known email.
        for email in emails:
            clicked = tuple(cta for cta in email.ctas if cta.total_clicks)
            groups.append(Group(email.email, email.summary, clicked, email.note))
        if unidentified is not None:
            rest = _summary(unidentified, options, given=False)
            rows = figures.ctas.get(("email", None), {})
            base = _Base(None, None, _NO_EMAIL)
            clicked = tuple(
                _cta(links[i], rows[i], rest.clicks_counted, base) for i in _order(rows, [])
            )
            groups.append(Group(None, rest, clicked, "the events here name no email"))
    for dim, group_key in sorted(
        (k for k in tallies if k[0] == "group"), key=lambda k: (k[1] is None, k[1] or "")
    ):
        group_summary = _summary(tallies[(dim, group_key)], options, given=False)
        base = _Base(group_summary.delivered, group_summary.unique_opens)
        rows = figures.ctas.get((dim, group_key), {})
        group_ctas = tuple(
            _cta(links[i], rows[i], group_summary.clicks_counted, base) for i in _order(rows, [])
        )
        groups.append(Group(group_key, group_summary, group_ctas))
    unmatched = tuple(
        UnmatchedUrl(str(row["url"]), int(row["clicks"]))
        for row in _fetch(
            con,
            _UNMATCHED.format(
                shown=masked_url_sql("url", options.link_id_param), limit=options.unmatched_limit
            ),
        )
    )
    span = _fetch(
        con, "SELECT min(time) AS first, max(time) AS last FROM events WHERE NOT malformed"
    )
    first, last = (span[0]["first"], span[0]["last"]) if span else (None, None)
    notes = []
    unnamed = unidentified.counted.get("delivered", 0) if unidentified else 0
    if unnamed and any(e.delivered for e in emails):
        notes.append(
            f"deliveries naming no email: {unnamed:,}; each email's rates count only the "
            "deliveries that name it (see [report] template_field)"
        )
    return Report(
        summary,
        report_ctas,
        unmatched,
        options.by,
        tuple(groups),
        first,
        last,
        emails=tuple(emails),
        unidentified=_summary(unidentified, options, given=False) if unidentified else None,
        notes=tuple(notes),
    )
