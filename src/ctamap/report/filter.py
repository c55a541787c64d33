"""Stage two, filtering: give every event row at most one exclusion reason.

Reasons are decided in a fixed order, so each row has exactly one: malformed, out_of_window,
duplicate (same event ID), bot (clicks), unmatched (clicks), duplicate (repeat click within
`--dedupe-window`). Rows without a reason are counted. Plain SQL over `events`, `links` and
`url_links`, using functions Spark SQL and Trino also have.
"""

from __future__ import annotations

from datetime import datetime

from ctamap.report.model import BotMode, ReportOptions
from ctamap.report.readers import EVENT_COLUMNS

#: `--by` value -> SQL for the group key of a row (`e` = event, `l` = its link, if any).
GROUP_KEYS: dict[str, str] = {
    "template": "coalesce(l.template, e.template)",
    "campaign": "coalesce(l.campaign, e.campaign)",
    "day": "CAST(CAST(e.time AS DATE) AS VARCHAR)",
    "part": "CASE WHEN e.type = 'click' THEN coalesce(e.part, l.part) "
    "WHEN e.type = 'open' THEN 'html' ELSE e.part END",
}


def _timestamp(value: datetime) -> str:
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def group_key(by: str | None) -> str:
    """SQL for the group key; a column name reads the value the reader kept (`by_value`)."""
    if by is None:
        return "CAST(NULL AS VARCHAR)"
    return GROUP_KEYS.get(by, "e.by_value")


def classify_sql(options: ReportOptions) -> str:
    """CREATE the `classified` table: one row per event with `reason` (NULL = counted)."""
    window: list[str] = []
    if options.since is not None:
        window.append(f"e.time < {_timestamp(options.since)}")
    if options.until is not None:
        window.append(f"e.time >= {_timestamp(options.until)}")
    out_of_window = " OR ".join(window) or "false"
    burst_ms = int(options.bot_burst_seconds * 1000)
    min_ms = int(options.bot_min_seconds * 1000)
    detect = options.bots is not BotMode.INCLUDE
    signal = (
        f"""(e.bot OR l.role = 'honeypot' OR h.recipient IS NOT NULL OR bu.recipient IS NOT NULL
            OR (d.delivered_at IS NOT NULL
                AND date_diff('millisecond', d.delivered_at, e.time) < {min_ms}))"""
        if detect
        else "false"
    )
    exclude_bots = options.bots is BotMode.EXCLUDE
    window_ms = int(options.dedupe_window * 1000)
    repeat = (
        f"""CASE WHEN reason IS NULL AND type = 'click' AND date_diff('millisecond',
                lag(time) OVER (PARTITION BY reason, type, recipient, link_id ORDER BY time),
                time) < {window_ms} THEN 'duplicate' ELSE reason END"""
        if window_ms > 0
        else "reason"
    )
    columns = ", ".join(EVENT_COLUMNS)
    return f"""
CREATE OR REPLACE TABLE classified AS
WITH
-- Event IDs seen more than once: only those rows need numbering (cheaper than all rows).
repeated_ids AS (
    SELECT event_id FROM events
    WHERE event_id IS NOT NULL AND NOT malformed
    GROUP BY event_id HAVING count(*) > 1
),
screened AS (
    SELECT e.*, CASE WHEN e.malformed THEN 'malformed'
                     WHEN {out_of_window} THEN 'out_of_window' END AS early_reason,
           r.event_id IS NOT NULL AS maybe_duplicate
    FROM events e LEFT JOIN repeated_ids r ON e.event_id = r.event_id
),
numbered AS (
    SELECT {columns},
           coalesce(early_reason, CASE WHEN row_number() OVER (
               PARTITION BY event_id ORDER BY time, url, type) > 1 THEN 'duplicate' END) AS reason
    FROM screened WHERE maybe_duplicate AND early_reason IS NULL
    UNION ALL
    SELECT {columns}, early_reason AS reason
    FROM screened WHERE NOT (maybe_duplicate AND early_reason IS NULL)
),
clicks AS (
    SELECT n.recipient, coalesce(n.message_id, 0) AS message_key, n.time, u.link_id,
           coalesce(u.link_id, n.url) AS target, l.role
    FROM numbered n
    LEFT JOIN url_links u ON n.url = u.url
    LEFT JOIN links l ON u.link_id = l.id
    WHERE n.reason IS NULL AND n.type = 'click'
),
-- A honeypot click marks the recipient's other clicks on that message as bot.
honeypot AS (
    SELECT DISTINCT recipient, message_key FROM clicks WHERE role = 'honeypot'
),
delivered AS (
    SELECT recipient, coalesce(message_id, 0) AS message_key, min(time) AS delivered_at
    FROM numbered WHERE reason IS NULL AND type = 'delivered'
    GROUP BY recipient, coalesce(message_id, 0)
),
-- Bursts: cheap pre-filter (the click {options.bot_burst - 1} places later is within the
-- burst span), then an exact count of distinct targets for the few candidates.
burst_candidates AS (
    SELECT recipient, time FROM (
        SELECT recipient, time, lead(time, {options.bot_burst - 1}) OVER (
            PARTITION BY recipient ORDER BY time) AS later
        FROM clicks
    ) WHERE date_diff('millisecond', time, later) <= {burst_ms}
),
burst_starts AS (
    SELECT s.recipient, s.time AS started
    FROM (SELECT DISTINCT recipient, time FROM burst_candidates) s
    JOIN clicks c ON c.recipient = s.recipient
        AND c.time >= s.time AND date_diff('millisecond', s.time, c.time) <= {burst_ms}
    GROUP BY s.recipient, s.time
    HAVING count(DISTINCT c.target) >= {options.bot_burst}
),
burst_clicks AS (
    SELECT DISTINCT c.recipient, c.time
    FROM burst_starts s JOIN clicks c ON c.recipient = s.recipient
        AND c.time >= s.started AND date_diff('millisecond', s.started, c.time) <= {burst_ms}
),
judged AS (
    SELECT e.type, e.recipient, e.time, e.machine_open,
        CASE WHEN e.type = 'click' THEN u.link_id END AS link_id,
        (e.type = 'click' AND l.role = 'unsubscribe') AS unsubscribe_click,
        {group_key(options.by)} AS grp,
        CASE
            WHEN e.reason IS NOT NULL OR e.type <> 'click' THEN e.reason
            WHEN {"true" if exclude_bots else "false"} AND {signal} THEN 'bot'
            WHEN u.link_id IS NULL THEN 'unmatched'
        END AS reason,
        (e.reason IS NULL AND e.type = 'click' AND {signal}) AS bot_signal,
        e.url
    FROM numbered e
    LEFT JOIN url_links u ON e.type = 'click' AND e.url = u.url
    LEFT JOIN links l ON u.link_id = l.id
    LEFT JOIN honeypot h
        ON e.recipient = h.recipient AND coalesce(e.message_id, 0) = h.message_key
    LEFT JOIN delivered d
        ON e.recipient = d.recipient AND coalesce(e.message_id, 0) = d.message_key
    LEFT JOIN burst_clicks bu ON e.recipient = bu.recipient AND e.time = bu.time
)
SELECT type, recipient, link_id, unsubscribe_click, grp, machine_open, final_reason AS reason,
       bot_signal AND final_reason IS NULL AS flagged,
       CASE WHEN final_reason = 'unmatched' THEN url END AS url
FROM (SELECT *, {repeat} AS final_reason FROM judged)
"""
