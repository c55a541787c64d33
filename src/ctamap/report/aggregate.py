"""Stage two, aggregation: the figures of design.md from the `classified` table.

Counts come from SQL; rates are divided here so that an unknown or zero denominator gives
`None` (JSON null), never a made-up number.
"""

from __future__ import annotations

from collections import defaultdict
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

_COUNTS = """
SELECT grp, GROUPING(grp) AS overall,
    count(*) AS rows_read,
    {reasons},
    count(*) FILTER (WHERE flagged) AS flagged_bot,
    count(DISTINCT recipient) FILTER (WHERE reason IS NULL AND type = 'delivered') AS delivered,
    count(*) FILTER (WHERE reason IS NULL AND type = 'bounce') AS bounced,
    count(DISTINCT recipient) FILTER (WHERE reason IS NULL AND type IN ('open', 'click'))
        AS unique_opens,
    -- A click implies a (human) open; machine-only openers drop out of the human base.
    count(DISTINCT recipient) FILTER (WHERE reason IS NULL AND (type = 'click'
        OR (type = 'open' AND NOT coalesce(machine_open, false)))) AS human_opens,
    count(*) FILTER (WHERE type = 'open' AND machine_open IS NOT NULL) AS machine_known,
    count(DISTINCT recipient) FILTER (WHERE reason IS NULL AND type = 'click') AS clickers,
    count(DISTINCT recipient) FILTER (WHERE reason IS NULL
        AND (type = 'unsubscribe' OR unsubscribe_click)) AS unsubscribes
FROM classified
GROUP BY GROUPING SETS ({sets})
"""

_COUNTED = """
SELECT grp, GROUPING(grp) AS overall, type, count(*) AS n
FROM classified WHERE reason IS NULL
GROUP BY GROUPING SETS ({sets})
"""

_CTAS = """
SELECT grp, GROUPING(grp) AS overall, link_id, count(*) AS total_clicks,
    count(DISTINCT recipient) AS unique_clicks
FROM classified WHERE reason IS NULL AND type = 'click'
GROUP BY GROUPING SETS ({sets})
"""

_UNMATCHED = """
SELECT url, count(*) AS clicks FROM classified WHERE reason = 'unmatched'
GROUP BY url ORDER BY clicks DESC, url LIMIT ?
"""


def _rate(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 6)


def _delivered(row: dict[str, Any], options: ReportOptions, overall: bool) -> int | None:
    """Delivered: `--delivered`, else `--sent` minus bounces, else delivery events (if any).

    The user's figures describe the whole send, so they apply to the overall summary only.
    """
    if overall and options.delivered is not None:
        return options.delivered
    if overall and options.sent is not None:
        bounced = options.bounced if options.bounced is not None else int(row["bounced"])
        return max(options.sent - bounced, 0)
    return int(row["delivered"]) or None


def _summary(
    row: dict[str, Any], counted: dict[str, int], options: ReportOptions, overall: bool
) -> Summary:
    delivered = _delivered(row, options, overall)
    opens = int(row["unique_opens"])
    clickers = int(row["clickers"])
    unsubscribes = int(row["unsubscribes"])
    return Summary(
        rows_read=int(row["rows_read"]),
        clicks_counted=counted.get("click", 0),
        excluded={reason: int(row[reason]) for reason in EXCLUSION_REASONS},
        counted=dict(sorted(counted.items())),
        flagged_bot=int(row["flagged_bot"]),
        delivered=delivered,
        unique_opens=opens,
        open_rate=_rate(opens, delivered),
        unique_clickers=clickers,
        ctr=_rate(clickers, delivered),
        ctor=_rate(clickers, opens),
        ctor_human=_rate(clickers, int(row["human_opens"])) if row["machine_known"] else None,
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
    sets = "(grp), ()" if options.by else "(grp)"
    cta_sets = "(grp, link_id), (link_id)" if options.by else "(grp, link_id)"
    reasons = ",\n    ".join(
        f"count(*) FILTER (WHERE reason = '{reason}') AS {reason}" for reason in EXCLUSION_REASONS
    )
    counts = _fetch(con, _COUNTS.format(reasons=reasons, sets=sets), [])
    counted: dict[tuple[bool, str | None], dict[str, int]] = defaultdict(dict)
    type_sets = "(grp, type), (type)" if options.by else "(grp, type)"
    for row in _fetch(con, _COUNTED.format(sets=type_sets), []):
        counted[_key(row)][row["type"]] = int(row["n"])
    ctas: dict[tuple[bool, str | None], list[dict[str, Any]]] = defaultdict(list)
    for row in _fetch(con, _CTAS.format(sets=cta_sets), []):
        ctas[_key(row)].append(row)
    links = {entry.id: entry for entry in entries}
    # Every trackable CTA is listed, clicked or not: a CTA nobody clicked is a finding too.
    listed = [entry.id for entry in entries if entry.role == "cta" and entry.status == "active"]

    overall_key = (bool(options.by), None)
    overall_row = next(row for row in counts if _key(row) == overall_key)
    summary = _summary(overall_row, counted.get(overall_key, {}), options, overall=True)
    report_ctas = _cta_rows(ctas.get(overall_key, []), links, summary, listed)
    groups = []
    if options.by:
        for row in sorted(
            (r for r in counts if not r["overall"]), key=lambda r: (r["grp"] is None, r["grp"])
        ):
            key = _key(row)
            group_summary = _summary(row, counted.get(key, {}), options, overall=False)
            group_ctas = _cta_rows(ctas.get(key, []), links, group_summary, [])
            groups.append(Group(row["grp"], group_summary, group_ctas))
    unmatched = tuple(
        UnmatchedUrl(str(row["url"]), int(row["clicks"]))
        for row in _fetch(con, _UNMATCHED, [options.unmatched_limit])
    )
    return Report(summary, report_ctas, unmatched, options.by, tuple(groups))
