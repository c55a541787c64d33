"""Stage two, filtering: give every event row at most one exclusion reason.

Reasons are decided in a fixed order, so each row has exactly one: malformed, out_of_window,
duplicate (same event ID), bot (clicks), unmatched (clicks), duplicate (repeat click within
`--dedupe-window`). Rows without a reason are counted. Plain SQL over `events`, `links` and
`url_links`, using functions Spark SQL and Trino also have.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ctamap.report import identity
from ctamap.report.model import BotMode, ReportOptions

#: `--by` value -> SQL for the group key of a row (`e` = event, `u` = its URL's link facts).
#: `template` groups are the emails, which every row carries anyway (`email`, `identity`):
#: the aggregation reads them from there.
GROUP_KEYS: dict[str, str] = {
    "template": "CAST(NULL AS VARCHAR)",
    # The provider's campaign for the message, else the event's own, else (clicks) the
    # `utm_campaign` of the clicked URL, else the link map's: one name space per message.
    "campaign": "coalesce(mc.campaign, e.campaign, u.campaign, u.link_campaign)",
    "day": "CAST(CAST(e.time AS DATE) AS VARCHAR)",
    "part": "CASE WHEN e.type = 'click' THEN coalesce(e.part, u.link_part) "
    "WHEN e.type = 'open' THEN 'html' ELSE e.part END",
}


def _timestamp(value: datetime) -> str:
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


#: Joins a `--by` value's group key needs, with the statements that create their tables.
GROUP_JOINS: dict[str, str] = {
    "campaign": "\n    LEFT JOIN message_campaigns mc ON e.message_id = mc.message_id",
}


#: `events` columns that only some `--by` views read (every other column is read by every
#: run): view -> its columns. `provider` is read by no statement of stage two at all.
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {"campaign": ("campaign",), "part": ("part",)}
_OPTIONAL_COLUMNS = ("provider", *(c for cs in VIEW_COLUMNS.values() for c in cs))


def unread_columns(views: Sequence[str | None]) -> frozenset[str]:
    """The `events` columns no statement of a run over `views` reads: stage one may leave them
    NULL. Computing and writing them was a sixth of a SendGrid run's CPU."""
    read = {c for by in views for c in VIEW_COLUMNS.get(by or "", ())}
    return frozenset(c for c in _OPTIONAL_COLUMNS if c not in read)


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
    bucket_s = max(options.bot_burst_seconds, 0.001)
    min_ms = int(options.bot_min_seconds * 1000)
    exclude_bots = "true" if options.bots is BotMode.EXCLUDE else "false"
    window_ms = int(options.dedupe_window * 1000)
    repeat = (
        f"""CASE WHEN reason IS NULL AND type = 'click' AND date_diff('millisecond',
                lag(time) OVER (PARTITION BY reason IS NULL AND type = 'click', recipient,
                                link_id ORDER BY time),
                time) < {window_ms} THEN 'duplicate' ELSE reason END"""
        if window_ms > 0
        else "reason"
    )
    signals = (
        "SELECT rid FROM clicks WHERE false"
        if options.bots is BotMode.INCLUDE
        else f"""
    SELECT c.rid FROM clicks c
    LEFT JOIN honeypot h ON c.recipient = h.recipient AND c.message_key = h.message_key
    LEFT JOIN delivered d ON c.recipient = d.recipient AND c.message_key = d.message_key
    LEFT JOIN burst_clicks b ON c.rid = b.rid
    WHERE c.bot OR c.honeypot OR h.recipient IS NOT NULL OR b.rid IS NOT NULL
        OR date_diff('millisecond', d.delivered_at, c.time) < {min_ms}"""
    )
    # `rid` identifies a row of `events`: assigned at load (DuckDB: its `rowid`, engines/).
    # `events` is scanned three times: clicks, deliveries and every row (`base`); each scan
    # joins only what it needs, and the link map's per-URL facts are joined once per URL.
    counted = f"NOT e.malformed AND NOT ({out_of_window}) AND lc.rid IS NULL"
    return f"""
CREATE OR REPLACE TABLE classified AS
WITH
-- Event IDs seen more than once: only those rows are numbered, the rest pass untouched.
repeated_ids AS (
    SELECT e.event_id FROM events e
    WHERE e.event_id IS NOT NULL AND NOT e.malformed AND NOT ({out_of_window})
    GROUP BY e.event_id HAVING count(*) > 1
),
later_copies AS (
    SELECT rid FROM (
        SELECT e.rid AS rid, row_number() OVER (
            PARTITION BY e.event_id ORDER BY e.time, e.url, e.type, e.rid) AS copy_no
        FROM events e JOIN repeated_ids r ON e.event_id = r.event_id
        WHERE NOT e.malformed AND NOT ({out_of_window})
    ) WHERE copy_no > 1
),
-- Per clicked URL, what its link says (one row per URL and entry, as the joins give them).
url_facts AS (
    SELECT u.url, u.link_id, u.link_no, u.campaign, l.role, l.campaign AS link_campaign,
        l.part AS link_part, lh.email AS home_email,
        ctamap_hash64(coalesce(u.link_id, u.url)) AS target
    FROM url_links u
    LEFT JOIN links l ON u.link_id = l.id
    LEFT JOIN link_homes lh ON u.link_id = lh.link_id
),
clicks AS (
    SELECT e.rid AS rid, e.recipient, coalesce(e.message_id, 0) AS message_key, e.time, e.bot,
        coalesce(u.target, ctamap_hash64(e.url)) AS target,
        coalesce(u.role = 'honeypot', false) AS honeypot
    FROM events e
    LEFT JOIN later_copies lc ON e.rid = lc.rid
    LEFT JOIN url_facts u ON e.url = u.url
    WHERE e.type = 'click' AND {counted}
),
-- A honeypot click marks the recipient's other clicks on that message as bot.
honeypot AS (
    SELECT DISTINCT recipient, message_key FROM clicks WHERE honeypot
),
delivered AS (
    SELECT e.recipient, coalesce(e.message_id, 0) AS message_key, min(e.time) AS delivered_at
    FROM events e LEFT JOIN later_copies lc ON e.rid = lc.rid
    WHERE e.type = 'delivered' AND {counted}
    GROUP BY e.recipient, coalesce(e.message_id, 0)
),
-- Bursts ({options.bot_burst} distinct targets within {options.bot_burst_seconds:g}s): such
-- clicks span at most two {options.bot_burst_seconds:g}-second buckets, so one bucket holds at
-- least half of them. That cheap count finds the few recipients worth the exact check.
burst_recipients AS (
    SELECT DISTINCT recipient FROM (
        SELECT recipient, floor(date_diff('millisecond',
                TIMESTAMP '1970-01-01', time) / {bucket_s * 1000}) AS bucket
        FROM clicks
    ) GROUP BY recipient, bucket HAVING count(*) >= {(options.bot_burst + 1) // 2}
),
burst_pool AS (
    SELECT c.* FROM clicks c JOIN burst_recipients r ON c.recipient = r.recipient
),
burst_starts AS (
    SELECT s.recipient, s.time AS started
    FROM burst_pool s JOIN burst_pool c ON c.recipient = s.recipient
        AND c.time >= s.time AND date_diff('millisecond', s.time, c.time) <= {burst_ms}
    GROUP BY s.recipient, s.time
    HAVING count(DISTINCT c.target) >= {options.bot_burst}
),
burst_clicks AS (
    SELECT DISTINCT c.rid
    FROM burst_starts s JOIN burst_pool c ON c.recipient = s.recipient
        AND c.time >= s.started AND date_diff('millisecond', s.started, c.time) <= {burst_ms}
),
signals AS ({signals}
),
base AS (
    SELECT e.rid AS rid, e.type, e.recipient, e.time, e.machine_open,
        CASE WHEN e.malformed THEN 'malformed'
             WHEN {out_of_window} THEN 'out_of_window'
             WHEN lc.rid IS NOT NULL THEN 'duplicate' END AS early_reason,
        u.link_id, u.link_no, u.role,
        -- Only unmatched URLs are listed later: do not carry every URL along.
        CASE WHEN e.type = 'click' AND u.link_id IS NULL THEN e.url END AS unmatched_url,
        {group_key(options.by)} AS grp,
        {identity.EVENT_EMAIL} AS email
    FROM events e
    LEFT JOIN later_copies lc ON e.rid = lc.rid
    LEFT JOIN url_facts u ON e.type = 'click' AND e.url = u.url{identity.EVENT_EMAIL_JOINS}{
        GROUP_JOINS.get(options.by or "", "")
    }
),
judged AS (
    SELECT b.type, b.recipient, b.time, b.machine_open, b.link_id, b.link_no, b.grp, b.email,
        b.unmatched_url,
        (b.type = 'click' AND b.role = 'unsubscribe') AS unsubscribe_click,
        CASE
            WHEN b.early_reason IS NOT NULL OR b.type <> 'click' THEN b.early_reason
            WHEN {exclude_bots} AND s.rid IS NOT NULL THEN 'bot'
            WHEN b.link_id IS NULL THEN 'unmatched'
        END AS reason,
        s.rid IS NOT NULL AS bot_signal
    FROM base b LEFT JOIN signals s ON b.rid = s.rid
)
SELECT type, recipient, link_no, unsubscribe_click, grp, email, machine_open,
       final_reason AS reason,
       bot_signal AND final_reason IS NULL AS flagged,
       CASE WHEN final_reason = 'unmatched' THEN unmatched_url END AS url
FROM (SELECT *, {repeat} AS final_reason FROM judged)
"""
