"""Stage two, aggregation: the figures of design.md from the `classified` table.

Counts come from SQL; rates are divided here so that an unknown or zero denominator gives
`None` (JSON null), never a made-up number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import (
    EXCLUSION_REASONS,
    CtaTotals,
    Group,
    Report,
    ReportOptions,
    Summary,
    UnmatchedUrl,
)

# Distinct-recipient figures: one pass folds each recipient's counted rows into flags (per
# group, and once more overall so a recipient in two groups is not counted twice), then the
# flags are summed. Cheaper than one count(DISTINCT) per figure over every row.
_RECIPIENTS = """
SELECT grp, overall,
    count_if(delivered) AS delivered,
    count_if(opened) AS unique_opens,
    count_if(human_open) AS human_opens,
    count_if(clicked) AS clickers,
    count_if(unsubscribed) AS unsubscribes
FROM (
    SELECT grp, GROUPING(grp) AS overall, recipient,
        bool_or(type = 'delivered') AS delivered,
        bool_or(type IN ('open', 'click')) AS opened,
        -- A click implies a (human) open; machine-only openers drop out of the human base.
        bool_or(type = 'click' OR (type = 'open' AND NOT coalesce(machine_open, false)))
            AS human_open,
        bool_or(type = 'click') AS clicked,
        bool_or(type = 'unsubscribe' OR unsubscribe_click) AS unsubscribed
    FROM classified WHERE reason IS NULL
    GROUP BY GROUPING SETS ({recipient_sets})
)
GROUP BY grp, overall
"""

# Row accounting: every row by reason (NULL = counted) and type.
_ROWS = """
SELECT grp, GROUPING(grp) AS overall, reason, type, count(*) AS n,
    count_if(flagged) AS flagged,
    count_if(type = 'open' AND machine_open IS NOT NULL) AS machine_known
FROM classified
GROUP BY GROUPING SETS ({row_sets})
"""

_CTAS = """
SELECT grp, overall, link_id, sum(n) AS total_clicks, count(*) AS unique_clicks
FROM (
    SELECT grp, GROUPING(grp) AS overall, link_id, recipient, count(*) AS n
    FROM classified WHERE reason IS NULL AND type = 'click'
    GROUP BY GROUPING SETS ({cta_sets})
)
GROUP BY grp, overall, link_id
"""

_UNMATCHED = """
SELECT url, count(*) AS clicks FROM classified WHERE reason = 'unmatched'
GROUP BY url ORDER BY clicks DESC, url LIMIT ?
"""


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


def _delivered(tally: _Tally, options: ReportOptions, overall: bool) -> int | None:
    """Delivered: `--delivered`, else `--sent` minus bounces, else delivery events (if any).

    The user's figures describe the whole send, so they apply to the overall summary only.
    """
    if overall and options.delivered is not None:
        return options.delivered
    if overall and options.sent is not None:
        bounced = options.bounced if options.bounced is not None else tally.counted.get("bounce", 0)
        return max(options.sent - bounced, 0)
    return tally.recipients.get("delivered", 0) or None


def _summary(tally: _Tally, options: ReportOptions, overall: bool) -> Summary:
    delivered = _delivered(tally, options, overall)
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


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _key(row: dict[str, Any]) -> tuple[bool, str | None]:
    return bool(row["overall"]), row["grp"]


def _cta_rows(
    rows: list[dict[str, Any]],
    links: dict[str, LinkMapEntry],
    summary: Summary,
    listed: list[str],
) -> tuple[CtaTotals, ...]:
    by_id = {row["link_id"]: row for row in rows}
    out = []
    for link_id in sorted(
        set(listed) | set(by_id),
        key=lambda i: (-int(by_id[i]["total_clicks"]) if i in by_id else 0, i),
    ):
        link = links[link_id]
        total = int(by_id[link_id]["total_clicks"]) if link_id in by_id else 0
        unique = int(by_id[link_id]["unique_clicks"]) if link_id in by_id else 0
        out.append(
            CtaTotals(
                id=link.id,
                template=link.template,
                text=link.text,
                url=link.url,
                role=link.role,
                status=link.status,
                total_clicks=total,
                unique_clicks=unique,
                click_share=_rate(total, summary.clicks_counted),
                ctr=_rate(unique, summary.delivered),
                ctor=_rate(unique, summary.unique_opens),
            )
        )
    return tuple(out)


def aggregate(
    con: duckdb.DuckDBPyConnection, entries: list[LinkMapEntry], options: ReportOptions
) -> Report:
    """Read the figures out of `classified` into a `Report`."""
    # Without --by, `grp` is NULL everywhere and its one group is the overall figure.
    by = bool(options.by)
    tallies: dict[tuple[bool, str | None], _Tally] = defaultdict(_Tally)
    row_sets = "(grp, reason, type), (reason, type)" if by else "(grp, reason, type)"
    for row in _fetch(con, _ROWS.format(row_sets=row_sets), []):
        tally = tallies[_key(row)]
        n = int(row["n"])
        tally.rows_read += n
        if row["reason"] is None:
            tally.counted[str(row["type"])] = tally.counted.get(str(row["type"]), 0) + n
        else:
            tally.excluded[str(row["reason"])] += n
        tally.flagged_bot += int(row["flagged"])
        tally.machine_known += int(row["machine_known"])
    recipient_sets = "(grp, recipient), (recipient)" if by else "(grp, recipient)"
    for row in _fetch(con, _RECIPIENTS.format(recipient_sets=recipient_sets), []):
        tallies[_key(row)].recipients = {
            name: int(row[name])
            for name in ("delivered", "unique_opens", "human_opens", "clickers", "unsubscribes")
        }
    ctas: dict[tuple[bool, str | None], list[dict[str, Any]]] = defaultdict(list)
    cta_sets = (
        "(grp, link_id, recipient), (link_id, recipient)" if by else "(grp, link_id, recipient)"
    )
    for row in _fetch(con, _CTAS.format(cta_sets=cta_sets), []):
        ctas[_key(row)].append(row)
    links = {entry.id: entry for entry in entries}
    # Every trackable CTA is listed, clicked or not: a CTA nobody clicked is a finding too.
    listed = [entry.id for entry in entries if entry.role == "cta" and entry.status == "active"]

    overall_key = (by, None)
    summary = _summary(tallies[overall_key], options, overall=True)
    report_ctas = _cta_rows(ctas.get(overall_key, []), links, summary, listed)
    groups = []
    for key in sorted(
        (k for k in tallies if by and not k[0]), key=lambda k: (k[1] is None, k[1] or "")
    ):
        group_summary = _summary(tallies[key], options, overall=False)
        group_ctas = _cta_rows(ctas.get(key, []), links, group_summary, [])
        groups.append(Group(key[1], group_summary, group_ctas))
    unmatched = tuple(
        UnmatchedUrl(str(row["url"]), int(row["clicks"]))
        for row in _fetch(con, _UNMATCHED, [options.unmatched_limit])
    )
    span = con.execute("SELECT min(time), max(time) FROM events WHERE NOT malformed").fetchone()
    first, last = span if span else (None, None)
    return Report(summary, report_ctas, unmatched, options.by, tuple(groups), first, last)
