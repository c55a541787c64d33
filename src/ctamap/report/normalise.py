"""Stage one in SQL: one event file -> rows of the normalised `events` table (`EVENT_SCHEMA`).

Layers, each a SELECT over the previous: raw JSON values (one per line, array element or
document; a line that is not JSON is a NULL value, hence one malformed row), batches (a value
that is an array, such as a whole webhook POST body on one line, is expanded), the provider's
records (envelopes, pages, per-recipient rows), and the normalised columns. DuckDB reads the
files itself; no row passes through Python.
"""

from __future__ import annotations

from dataclasses import replace

from ctamap.report.declared import MAX_LINE, Declared, declare
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


def json_values(source: Source) -> str:
    """Raw JSON values of a file, one per line / array element / document; NULL if invalid."""
    if source.layout is Layout.JSON_LINES:
        # One value per non-blank line; with ignore_errors a line that is not JSON (cut short,
        # a stray control byte, not UTF-8) is a NULL value, hence one malformed row.
        return (
            f"SELECT json AS j FROM read_json({sql_string(str(source.path))}, "
            "format = 'newline_delimited', records = false, columns = {'json': 'JSON'}, "
            f"ignore_errors = true, compression = {_compression(source)}, "
            f"maximum_object_size = {MAX_LINE})"
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


def records(values: str, provider: Provider) -> str:
    """SELECT of one provider's event records `j` from the raw JSON values `values`."""
    sql = _unnest(_BATCH, values)
    for layer in provider.records:
        sql = _unnest(layer, sql)
    return sql


def _scanner(agent: str) -> str:
    return f"regexp_matches(lower({agent}), {sql_string(SCANNER_AGENTS)})"


#: The column DuckDB's stage one keeps a click's user agent in until `flag_agents` reads it.
AGENT = "agent"


def normalise(
    fields: Fields,
    provider: str,
    by_value: str,
    frm: str,
    *,
    agent_column: bool = False,
    unread: frozenset[str] = frozenset(),
) -> str:
    """The final SELECT every reader shares: hashing, time parsing, row-local bot signals.

    With `agent_column` scanner user agents are left to `flag_agents`: `bot` is the provider's
    own flag and a last column, `agent`, holds the user agent of a click it does not flag.
    Columns in `unread` (`filter.unread_columns`: no statement of the run reads them) are NULL:
    neither computed nor written."""
    if agent_column:
        bot = "provider_bot AS bot"
        agent = (
            f",\n    CASE WHEN type = 'click' AND NOT provider_bot THEN user_agent END AS {AGENT}"
        )
    else:
        # Scanner user agents matter for clicks only; skipping the rest saves a regex per row.
        bot = (
            f"provider_bot OR (type = 'click' AND coalesce({_scanner('user_agent')}, false)) AS bot"
        )
        agent = ""
    provider_, part, campaign = (
        f"NULL AS {name}" if name in unread else value
        for name, value in (
            ("provider", f"{sql_string(provider)} AS provider"),
            ("part", "part"),
            ("campaign", "campaign"),
        )
    )
    return f"""
SELECT {provider_}, type, recipient, time, url, message_id, event_id,
    {bot},
    machine_open, {part}, {campaign}, template, by_value,
    (type IS NULL OR recipient IS NULL OR time IS NULL
     OR (type = 'click' AND url IS NULL)) AS malformed{agent}
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


#: Distinct user agents of the clicks, while `flag_agents` runs.
_AGENTS = "ctamap_agents"


def flag_agents() -> tuple[str, ...]:
    """After every file is in `events`: flag the clicks whose user agent is a scanner's and drop
    the `agent` column. The regex runs once per distinct agent instead of once per click, where
    it was the dearest expression of stage one (0.4 s of CPU per million clicks)."""
    distinct = f"SELECT DISTINCT {AGENT} FROM events WHERE {AGENT} IS NOT NULL"
    scanners = f"SELECT {AGENT} FROM {_AGENTS} WHERE {_scanner(AGENT)}"
    return (
        f"CREATE OR REPLACE TEMP TABLE {_AGENTS} AS {distinct}",
        f"UPDATE events SET bot = true WHERE {AGENT} IN ({scanners})",
        f"ALTER TABLE events DROP COLUMN {AGENT}",
        f"DROP TABLE {_AGENTS}",
    )


#: The `events` columns that are one field of the provider's map each.
_FIELD_COLUMNS = frozenset({"part", "campaign"})


def _record_fields(
    provider: Provider, by_column: str | None, template_field: str, unread: frozenset[str]
) -> tuple[Fields, str]:
    """The provider's field map for this run: the configured template field, and NULL for a
    column no statement reads (so a typed read does not even declare the keys it came from)."""
    fields = replace(provider.fields, **{name: "NULL" for name in unread & _FIELD_COLUMNS})
    if template_field:
        fields = replace(fields, template=js(json_path(template_field)))
    return fields, js(json_path(by_column)) if by_column else "NULL"


def declared_read(
    source: Source,
    provider: Provider,
    *,
    by_column: str | None = None,
    template_field: str = "",
    unread: frozenset[str] = frozenset(),
) -> Declared | None:
    """The typed read of a JSON-lines file of flat records; None when the file needs the
    generic reader (envelopes or pages to unwrap, batches in its first lines)."""
    if source.layout is not Layout.JSON_LINES or provider.records:
        return None
    if any(isinstance(value, list) for value in source.sample):
        return None  # batches from the start: the generic reader expands them in one pass
    return declare(*_record_fields(provider, by_column, template_field, unread))


def json_select(
    source: Source,
    provider: Provider,
    *,
    by_column: str | None = None,
    template_field: str = "",
    unread: frozenset[str] = frozenset(),
) -> str:
    """SELECT producing normalised events from one JSON file (with the `agent` column)."""
    typed = declared_read(
        source, provider, by_column=by_column, template_field=template_field, unread=unread
    )
    if typed is not None:
        read = typed.read(str(source.path), _compression(source))
        return normalise(
            typed.fields, provider.name, typed.by_value, read, agent_column=True, unread=unread
        )
    fields, by_value = _record_fields(provider, by_column, template_field, unread)
    values = records(json_values(source), provider)
    return normalise(fields, provider.name, by_value, values, agent_column=True, unread=unread)


#: The array lines of a file read by `declared_read`, while their events replace them.
BATCHES = "ctamap_batches"


def batch_statements(
    source: Source,
    provider: Provider,
    *,
    by_column: str | None = None,
    template_field: str = "",
    unread: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """After a typed read left malformed rows: the file's array lines (whole POST bodies) each
    gave one row of NULLs there; these statements replace each such row with the line's events,
    read by the generic reader. Nothing to do for a file without array lines."""
    typed = declared_read(
        source, provider, by_column=by_column, template_field=template_field, unread=unread
    )
    if typed is None:
        return ()
    nulls = ", ".join(f"NULL::{kind} AS c{n}" for n, (_, kind) in enumerate(typed.columns))
    # The row a line of NULLs gives: rows equal to it are interchangeable (all malformed).
    blank = normalise(
        typed.fields,
        provider.name,
        typed.by_value,
        f"SELECT {nulls}",
        agent_column=True,
        unread=unread,
    )
    same = " AND ".join(f"e.{c} IS NOT DISTINCT FROM b.{c}" for c in EVENT_COLUMNS)
    fields, by_value = _record_fields(provider, by_column, template_field, unread)
    batches = records(f"SELECT j FROM {BATCHES}", provider)
    expanded = normalise(fields, provider.name, by_value, batches, agent_column=True, unread=unread)
    return (
        f"CREATE OR REPLACE TEMP TABLE {BATCHES} AS SELECT j FROM ({json_values(source)}) "
        "WHERE json_type(j) = 'ARRAY'",
        f"DELETE FROM events WHERE rowid IN (SELECT id FROM (SELECT e.rowid AS id, "
        f"row_number() OVER () AS n FROM events e, ({blank}) b WHERE {same}) "
        f"WHERE n <= (SELECT count(*) FROM {BATCHES}))",
        f"INSERT INTO events {expanded}",
        f"DROP TABLE {BATCHES}",
    )


def rejected_rows(rejects: str, provider: str) -> str:
    """One malformed row per line the reader rejected (a line can carry several errors)."""
    return (
        f"INSERT INTO events BY NAME SELECT {sql_string(provider)} AS provider, true AS malformed "
        f"FROM (SELECT DISTINCT file_id, line FROM {rejects})"
    )
