"""Stage two, attribution: which link-map entry each distinct clicked URL belongs to.

Order (design.md): the link-ID parameter (also inside Outlook Safe Links, Proofpoint urldefense
v2/v3, and behind a `#`), then `utm_content`, then the URL without tracking parameters matching
exactly one entry. Mimecast rewrites carry no destination, so such clicks stay unmatched. Plain
SQL with functions Spark SQL and Trino also have; it runs once per distinct URL, not per row.
"""

from __future__ import annotations

import re

import duckdb

from ctamap.errors import ConfigError
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import LINK_SCHEMA, column_names, create_table

_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _decode(expr: str) -> str:
    # A bad percent-escape must not stop the run: keep the text as it was (`portable`).
    return f"ctamap_decode({expr})"


def _param(expr: str, name: str) -> str:
    """Value of query parameter `name` in the URL `expr` (also after `#`), decoded, or NULL."""
    pattern = r"[?&#]" + re.escape(name) + r"=([^&#]*)"
    value = f"nullif(regexp_extract({expr}, '{pattern}', 1), '')"
    return f"lower({_decode(value)})"


def _bare(expr: str, link_id_param: str) -> str:
    """The URL without utm_* and link-ID parameters and without a dangling `?`/`&`."""
    # Plain groups only: POSIX regex dialects (Snowflake) have no `(?:`.
    tracking = r"([?&])(utm_[A-Za-z_]+|" + re.escape(link_id_param) + r")=[^&#]*"
    stripped = f"ctamap_replace_all({expr}, '{tracking}', '\\1')"
    collapsed = f"ctamap_replace_all({stripped}, '&&+', '&')"
    no_lead = f"ctamap_replace_all({collapsed}, '\\?&', '?')"
    return f"ctamap_replace_all({no_lead}, '[?&]+(#|$)', '\\1')"


def _unwrap(expr: str) -> str:
    """The destination inside a security-gateway URL; NULL when the gateway hides it."""
    return f"""CASE
        WHEN regexp_matches({expr}, '^https?://[^/]*safelinks\\.protection\\.outlook\\.com/')
            THEN {_decode(f"regexp_extract({expr}, '[?&]url=([^&]*)', 1)")}
        WHEN regexp_matches({expr}, '^https?://urldefense(\\.proofpoint)?\\.com/v2/')
            THEN {
        _decode(f"replace(replace(regexp_extract({expr}, '[?&]u=([^&]*)', 1), '-', '%'), '_', '/')")
    }
        WHEN regexp_matches({expr}, '^https?://urldefense(\\.proofpoint)?\\.com/v3/__')
            THEN regexp_extract({expr}, '/v3/__(.*)__;', 1)
        WHEN regexp_matches({expr}, '^https?://protect[^/]*\\.mimecast\\.com/') THEN NULL
        ELSE {expr} END"""


def load_links(con: duckdb.DuckDBPyConnection, entries: list[LinkMapEntry]) -> None:
    """The link map as the `links` table, in one statement (one list parameter per column)."""
    con.execute(create_table("links", LINK_SCHEMA))
    names = column_names(LINK_SCHEMA)
    columns = [[getattr(entry, name) for entry in entries] for name in names]
    unnested = ", ".join(f"unnest(?::VARCHAR[]) AS {name}" for name in names)
    con.execute(f"INSERT INTO links BY NAME SELECT {unnested}", columns)


def attribution_sql(link_id_param: str) -> str:
    """CREATE the `url_links` table: url -> link_id (and its number, `link_no`), method and
    the URL's `utm_campaign`, for every distinct clicked URL."""
    if not _PARAM_NAME.match(link_id_param):
        raise ConfigError(f"--link-id-param {link_id_param!r}: use letters, digits, _ . -")
    # Gateways can be nested (Safe Links around urldefense): unwrap twice.
    return f"""
CREATE OR REPLACE TABLE url_links AS
WITH clicked AS (
    SELECT DISTINCT url FROM events WHERE type = 'click' AND NOT malformed
),
unwrapped AS (
    SELECT url, {_unwrap(_unwrap("url"))} AS target FROM clicked
),
keyed AS (
    SELECT url,
        -- The campaign the link was sent with (a send-time value in a layout link, too).
        nullif({_decode("regexp_extract(target, '[?&#]utm_campaign=([^&#]*)', 1)")}, '')
            AS campaign,
        {_param("target", link_id_param)} AS by_param,
        {_param("target", "utm_content")} AS by_content,
        {_bare("target", link_id_param)} AS bare
    FROM unwrapped
),
content_keys AS (
    SELECT key, min(id) AS id FROM (
        SELECT id AS key, id FROM links
        UNION ALL
        SELECT {_param("tracked_url", "utm_content")} AS key, id FROM links
    ) WHERE key IS NOT NULL GROUP BY key HAVING count(DISTINCT id) = 1
),
bare_keys AS (
    -- One entry, or else the one untracked entry: a click that reached this step carries no
    -- known link ID, which a tracked HTML link would have had, so when an HTML CTA and its
    -- text-version twin share a destination the click came from the untracked twin.
    SELECT key,
        CASE WHEN count(DISTINCT id) = 1 THEN min(id)
             WHEN count(DISTINCT CASE WHEN untracked THEN id END) = 1
                 THEN min(CASE WHEN untracked THEN id END)
        END AS id
    FROM (
        SELECT {_bare("url", link_id_param)} AS key, id, tracked_url IS NULL AS untracked
        FROM links
        UNION ALL
        SELECT {_bare("tracked_url", link_id_param)} AS key, id, FALSE AS untracked FROM links
    ) WHERE key IS NOT NULL GROUP BY key
)
-- `link_no` numbers the link IDs clicked: counting per CTA and recipient groups on integers.
SELECT *, CASE WHEN link_id IS NOT NULL THEN dense_rank() OVER (ORDER BY link_id) END
    AS link_no
FROM (
    SELECT k.url, k.campaign,
        coalesce(p.id, c.id, b.id) AS link_id,
        CASE WHEN p.id IS NOT NULL THEN 'param' WHEN c.id IS NOT NULL THEN 'utm_content'
             WHEN b.id IS NOT NULL THEN 'url' END AS method
    FROM keyed k
    LEFT JOIN links p ON p.id = k.by_param
    LEFT JOIN content_keys c ON c.key = k.by_content
    LEFT JOIN bare_keys b ON b.key = k.bare
)
"""
