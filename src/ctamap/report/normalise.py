"""Stage one in SQL: one event file -> rows of the normalised `events` table (`EVENT_SCHEMA`).

Layers, each a SELECT over the previous: raw JSON values (one per line, array element or
document; a line that is not JSON is a NULL value, hence one malformed row), batches (a value
that is an array, such as a whole webhook POST body on one line, is expanded), the provider's
records (envelopes, pages, per-recipient rows), and the normalised columns. DuckDB reads the
files itself; no row passes through Python.
"""

from __future__ import annotations

from ctamap.report.model import EVENT_SCHEMA, column_names
from ctamap.report.providers.base import Fields, Provider, js, json_path, sql_string
from ctamap.report.sources import Layout, Source

#: Security scanners, link-preview fetchers and scripts: their clicks are not people's. Matched
#: against the lower-cased user agent. Browsers that merely run inside a gateway are not listed.
SCANNER_AGENTS = (
    r"bot\b|bot/|crawler|spider|slurp|python-requests|python-urllib|aiohttp|curl/|wget|"
    r"go-http-client|java/|okhttp|libwww|httpclient|headlesschrome|phantomjs|"
    r"barracuda|proofpoint|mimecast|messagelabs|ironport|fireeye|trendmicro|forcepoint|"
    r"symantec|sophos|zscaler|safelinks|linkpreview|facebookexternalhit|slackbot|skypeuripreview"
)

EVENT_COLUMNS = column_names(EVENT_SCHEMA)


def _compression(source: Source) -> str:
    return "'gzip'" if source.gzipped else "'none'"


def lines_table(source: Source, rejects: str) -> str:
    """read_csv of a file as one text column per line; undecodable lines go to `rejects`."""
    return (
        f"read_csv({sql_string(str(source.path))}, columns = {{'line': 'VARCHAR'}}, "
        "delim = chr(1), quote = '', escape = '', header = false, auto_detect = false, "
        # Lines up to 16 MB (a whole webhook POST body); the buffer stays a fixed 64 MB so no
        # allocation grows with the file (read_csv would otherwise take 16 lines' worth).
        "max_line_size = 16777216, buffer_size = 67108864, "
        f"compression = {_compression(source)}, "
        # A stray 0x01 byte only cuts its own line short (which then is not valid JSON).
        "strict_mode = false, store_rejects = true, "
        f"rejects_table = {sql_string(rejects)}, rejects_scan = {sql_string(rejects + '_scan')})"
    )


def json_values(source: Source, rejects: str) -> str:
    """Raw JSON values of a file, one per line / array element / document; NULL if invalid."""
    if source.layout is Layout.JSON_LINES:
        return (
            "SELECT CASE WHEN json_valid(line) THEN line::JSON END AS j "
            f"FROM {lines_table(source, rejects)} WHERE trim(line) <> ''"
        )
    fmt = "'array'" if source.layout is Layout.JSON_ARRAY else "'unstructured'"
    return (
        f"SELECT json AS j FROM read_json({sql_string(str(source.path))}, format = {fmt}, "
        f"records = false, columns = {{'json': 'JSON'}}, compression = {_compression(source)}, "
        "maximum_object_size = 268435456)"
    )


def _unnest(expression: str, frm: str) -> str:
    """One layer: every value of `frm` becomes the records `expression` lists (NULL stays)."""
    return (
        f"SELECT unnest(CASE WHEN j IS NULL THEN [NULL::JSON] ELSE {expression} END) AS j "
        f"FROM ({frm})"
    )


#: A value that is itself an array (a webhook POST body stored as one line) is its events.
_BATCH = "CASE WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]') ELSE [j] END"


def records(source: Source, provider: Provider, rejects: str) -> str:
    """SELECT of one provider's event records `j` in a JSON file."""
    sql = _unnest(_BATCH, json_values(source, rejects))
    for layer in provider.records:
        sql = _unnest(layer, sql)
    return sql


def normalise(fields: Fields, provider: str, by_value: str, frm: str) -> str:
    """The final SELECT every reader shares: hashing, time parsing, row-local bot signals."""
    return f"""
SELECT {sql_string(provider)} AS provider, type, recipient, time, url, message_id, event_id,
    -- Scanner user agents matter for clicks only; skipping the rest saves a regex per row.
    provider_bot OR (type = 'click' AND coalesce(
        regexp_matches(lower(user_agent), {sql_string(SCANNER_AGENTS)}), false)) AS bot,
    machine_open, part, campaign, template, by_value,
    (type IS NULL OR recipient IS NULL OR time IS NULL
     OR (type = 'click' AND url IS NULL)) AS malformed
FROM (
    SELECT
        {fields.type} AS type,
        ctamap_rcpt({fields.recipient}) AS recipient,
        ctamap_ts({fields.time}) AS time,
        nullif({fields.url}, '') AS url,
        ctamap_id({fields.message_id}) AS message_id,
        ctamap_id({fields.event_id}) AS event_id,
        coalesce({fields.bot}, false) AS provider_bot,
        {fields.user_agent} AS user_agent,
        {fields.machine_open} AS machine_open,
        {fields.part} AS part,
        nullif({fields.campaign}, '') AS campaign,
        nullif({fields.template}, '') AS template,
        {by_value} AS by_value
    FROM ({frm})
)"""


def json_select(
    source: Source,
    provider: Provider,
    rejects: str,
    *,
    by_column: str | None = None,
    template_field: str = "",
) -> str:
    """SELECT producing normalised events from one JSON file."""
    fields = provider.fields
    if template_field:
        from dataclasses import replace

        fields = replace(fields, template=js(json_path(template_field)))
    by_value = js(json_path(by_column)) if by_column else "NULL"
    return normalise(fields, provider.name, by_value, records(source, provider, rejects))


def rejected_rows(rejects: str, provider: str) -> str:
    """One malformed row per line the reader rejected (a line can carry several errors)."""
    return (
        f"INSERT INTO events BY NAME SELECT {sql_string(provider)} AS provider, true AS malformed "
        f"FROM (SELECT DISTINCT file_id, line FROM {rejects})"
    )
