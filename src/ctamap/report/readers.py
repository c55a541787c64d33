"""Stage one: provider readers that turn each event file into rows of one `events` table.

Each provider is a `Reader` in `READERS`, keyed by name: it recognises a sample record and gives
SQL expressions for the normalised fields. DuckDB reads the files itself (CSV, JSON lines, JSON
arrays, gzip) so the rows never pass through Python. A row that lacks what counting needs is
kept and marked malformed, never dropped: the summary accounts for every row read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ctamap.errors import InputError
from ctamap.report.sources import Layout, Source

#: Security scanners, link-preview fetchers and scripts: their clicks are not people's. Matched
#: against the lower-cased user agent. Browsers that merely run inside a gateway are not listed.
SCANNER_AGENTS = (
    r"bot\b|bot/|crawler|spider|slurp|python-requests|python-urllib|aiohttp|curl/|wget|"
    r"go-http-client|java/|okhttp|libwww|httpclient|headlesschrome|phantomjs|"
    r"barracuda|proofpoint|mimecast|messagelabs|ironport|fireeye|trendmicro|forcepoint|"
    r"symantec|sophos|zscaler|safelinks|linkpreview|facebookexternalhit|slackbot|skypeuripreview"
)

#: Event words across providers -> normalised type. Words not listed keep their own name
#: (lower-cased) and are counted under it.
EVENT_WORDS: Mapping[str, str] = {
    "click": "click",
    "clicked": "click",
    "amp_click": "click",
    "open": "open",
    "opened": "open",
    "initial_open": "open",
    "amp_open": "open",
    "amp_initial_open": "open",
    "delivered": "delivered",
    "delivery": "delivered",
    "bounce": "bounce",
    "bounced": "bounce",
    "out_of_band": "bounce",
    "hard_bounce": "bounce",
    "unsubscribe": "unsubscribe",
    "unsubscribed": "unsubscribe",
    "group_unsubscribe": "unsubscribe",
    "list_unsubscribe": "unsubscribe",
    "link_unsubscribe": "unsubscribe",
    "spamreport": "complaint",
    "complained": "complaint",
    "complaint": "complaint",
    "spam_complaint": "complaint",
    "spamcomplaint": "complaint",
}

#: Columns of the normalised `events` table, in order (see `model.Event`).
EVENT_COLUMNS = (
    "type",
    "recipient",
    "time",
    "url",
    "message_id",
    "event_id",
    "bot",
    "machine_open",
    "part",
    "campaign",
    "template",
    "by_value",
    "malformed",
)

CREATE_EVENTS = """
CREATE OR REPLACE TABLE events (
    type VARCHAR, recipient UBIGINT, time TIMESTAMP, url VARCHAR, message_id UBIGINT,
    event_id UBIGINT, bot BOOLEAN, machine_open BOOLEAN, part VARCHAR, campaign VARCHAR,
    template VARCHAR, by_value VARCHAR, malformed BOOLEAN
)"""


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _case(raw: str, words: Mapping[str, str]) -> str:
    whens = " ".join(f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in words.items())
    return f"CASE lower({raw}) {whens} ELSE nullif(lower({raw}), '') END"


def _js(path: str) -> str:
    """`json_extract_string` of the record `j` at a JSON path such as `$."client-info".bot`."""
    return f"json_extract_string(j, {sql_string(path)})"


@dataclass(frozen=True)
class Fields:
    """SQL expressions (over the record) for one provider's normalised fields."""

    type: str
    recipient: str
    time: str
    url: str = "NULL"
    user_agent: str = "NULL"
    message_id: str = "NULL"
    event_id: str = "NULL"
    bot: str = "NULL"
    """Provider's own bot flag (BOOLEAN)."""
    machine_open: str = "NULL"
    """BOOLEAN for open events when the provider reports machine opens; else NULL."""
    part: str = "NULL"
    campaign: str = "NULL"
    template: str = "NULL"


@dataclass(frozen=True)
class Reader:
    """One provider's JSON events."""

    name: str
    detect: Callable[[Mapping[str, Any]], bool]
    fields: Fields
    doc: str = field(default="")


def _sendgrid() -> Reader:
    event = _js("$.event")
    typ = _case(event, EVENT_WORDS)
    return Reader(
        "sendgrid",
        lambda r: "sg_event_id" in r or "sg_message_id" in r or {"email", "event"} <= r.keys(),
        Fields(
            type=typ,
            recipient=_js("$.email"),
            time=_js("$.timestamp"),
            url=_js("$.url"),
            user_agent=_js("$.useragent"),
            message_id=_js("$.sg_message_id"),
            event_id=_js("$.sg_event_id"),
            machine_open=f"CASE WHEN {typ} = 'open' THEN "
            f"coalesce(try_cast({_js('$.sg_machine_open')} AS BOOLEAN), false) END",
            part=f"lower({_js('$.url_offset.type')})",
            # `category` is a string or an array of strings.
            campaign=f"coalesce({_js('$.category[0]')}, {_js('$.category')})",
        ),
        "SendGrid Event Webhook (JSON array or JSON lines)",
    )


def _mailgun() -> Reader:
    event = _js("$.event")
    # A temporary failure is retried; only a permanent one is a bounce.
    typ = (
        f"CASE WHEN lower({event}) = 'failed' THEN CASE WHEN {_js('$.severity')} = 'permanent' "
        f"THEN 'bounce' ELSE 'failed' END ELSE {_case(event, EVENT_WORDS)} END"
    )
    bot_word = _js('$."client-info".bot')
    bot = f"coalesce({bot_word}, '') <> ''"
    return Reader(
        "mailgun",
        lambda r: {"recipient", "event"} <= r.keys(),
        Fields(
            type=typ,
            recipient=_js("$.recipient"),
            time=_js("$.timestamp"),
            url=_js("$.url"),
            user_agent=_js('$."client-info"."user-agent"'),
            message_id=_js('$.message.headers."message-id"'),
            event_id=_js("$.id"),
            # "apple" is a privacy-proxy open; "gmail"/"generic" are scanners and firewalls.
            bot=f"({typ} = 'click' AND {bot})",
            machine_open=f"CASE WHEN {typ} = 'open' THEN {bot} END",
            campaign=f"coalesce({_js('$.campaigns[0].name')}, {_js('$.tags[0]')})",
        ),
        "Mailgun Events API items, {items: [...]} pages, webhook event-data wrappers",
    )


def _postmark() -> Reader:
    record = _js("$.RecordType")
    words = {**EVENT_WORDS, "spamcomplaint": "complaint"}
    typ = (
        f"CASE WHEN lower({record}) = 'subscriptionchange' THEN CASE WHEN "
        f"try_cast({_js('$.SuppressSending')} AS BOOLEAN) THEN 'unsubscribe' "
        f"ELSE 'resubscribe' END ELSE {_case(record, words)} END"
    )
    return Reader(
        "postmark",
        lambda r: "RecordType" in r,
        Fields(
            type=typ,
            recipient=f"coalesce({_js('$.Recipient')}, {_js('$.Email')})",
            time=f"coalesce({_js('$.ReceivedAt')}, {_js('$.DeliveredAt')}, "
            f"{_js('$.BouncedAt')}, {_js('$.ChangedAt')})",
            url=_js("$.OriginalLink"),
            user_agent=_js("$.UserAgent"),
            message_id=_js("$.MessageID"),
            event_id=_js("$.ID"),
            part=f"lower({_js('$.ClickLocation')})",
            campaign=_js("$.Tag"),
        ),
        "Postmark Click/Open/Delivery/Bounce/SubscriptionChange webhooks",
    )


def _ses() -> Reader:
    kind = f"coalesce({_js('$.eventType')}, {_js('$.notificationType')})"
    opted_out = (
        f"(try_cast({_js('$.subscription.newTopicPreferences.unsubscribeAll')} AS BOOLEAN) "
        f"OR contains(coalesce({_js('$.subscription.newTopicPreferences')}, ''), '\"OptOut\"'))"
    )
    typ = (
        f"CASE lower({kind}) "
        f"WHEN 'bounce' THEN CASE WHEN {_js('$.bounce.bounceType')} = 'Transient' "
        f"THEN 'transient_bounce' ELSE 'bounce' END "
        f"WHEN 'subscription' THEN CASE WHEN {opted_out} THEN 'unsubscribe' "
        f"ELSE 'subscription' END "
        f"ELSE {_case(kind, EVENT_WORDS)} END"
    )
    return Reader(
        "ses",
        lambda r: ("eventType" in r or "notificationType" in r) and "mail" in r,
        Fields(
            type=typ,
            recipient=f"coalesce({_js('$.bounce.bouncedRecipients[0].emailAddress')}, "
            f"{_js('$.complaint.complainedRecipients[0].emailAddress')}, "
            f"{_js('$.delivery.recipients[0]')}, {_js('$.mail.destination[0]')})",
            time=f"coalesce({_js('$.click.timestamp')}, {_js('$.open.timestamp')}, "
            f"{_js('$.delivery.timestamp')}, {_js('$.bounce.timestamp')}, "
            f"{_js('$.complaint.timestamp')}, {_js('$.subscription.timestamp')}, "
            f"{_js('$.deliveryDelay.timestamp')}, {_js('$.mail.timestamp')})",
            url=_js("$.click.link"),
            user_agent=f"coalesce({_js('$.click.userAgent')}, {_js('$.open.userAgent')})",
            message_id=_js("$.mail.messageId"),
            campaign=_js("$.mail.tags.campaign[0]"),
        ),
        "Amazon SES event publishing records (also inside SNS notifications)",
    )


def _sparkpost() -> Reader:
    return Reader(
        "sparkpost",
        lambda r: "rcpt_to" in r or "target_link_url" in r or "transmission_id" in r,
        Fields(
            type=_case(_js("$.type"), EVENT_WORDS),
            recipient=f"coalesce({_js('$.rcpt_to')}, {_js('$.raw_rcpt_to')})",
            time=_js("$.timestamp"),
            url=_js("$.target_link_url"),
            user_agent=_js("$.user_agent"),
            message_id=_js("$.message_id"),
            event_id=_js("$.event_id"),
            campaign=_js("$.campaign_id"),
            template=_js("$.template_id"),
        ),
        "SparkPost Events API items and webhook msys batches",
    )


#: JSON providers by name; `--format auto` tries them in this order on each file's first record.
READERS: dict[str, Reader] = {
    reader.name: reader for reader in (_sendgrid(), _postmark(), _ses(), _sparkpost(), _mailgun())
}

#: Every `--format` value.
FORMATS = ("auto", *READERS, "csv")


# --- JSON records -------------------------------------------------------------------------------


def _json_values(source: Source, path_literal: str) -> str:
    """Raw JSON values of a file, one per line / array element / document; NULL if invalid."""
    compression = "'gzip'" if source.gzipped else "'none'"
    if source.layout is Layout.JSON_LINES:
        # Lines are read as text so that an invalid line is one malformed row, not a failure.
        return (
            "SELECT CASE WHEN json_valid(line) THEN line::JSON END AS j FROM read_csv("
            f"{path_literal}, columns = {{'line': 'VARCHAR'}}, delim = chr(1), quote = '', "
            "escape = '', header = false, auto_detect = false, max_line_size = 67108864, "
            f"compression = {compression}) WHERE trim(line) <> ''"
        )
    fmt = "'array'" if source.layout is Layout.JSON_ARRAY else "'unstructured'"
    return (
        f"SELECT json AS j FROM read_json({path_literal}, format = {fmt}, records = false, "
        f"columns = {{'json': 'JSON'}}, compression = {compression}, "
        "maximum_object_size = 268435456)"
    )


# Pages (`items`, `results`) and batches (arrays) hold several events; envelopes (Mailgun
# `event-data`, SparkPost `msys.<kind>_event`, SNS `Message`) hold one. Mirrors sources.unwrap.
_EXPAND = """
SELECT unnest(CASE
    WHEN j IS NULL THEN [NULL::JSON]
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j, '$.items') = 'ARRAY' THEN json_extract(j, '$.items[*]')
    WHEN json_type(j, '$.results') = 'ARRAY' THEN json_extract(j, '$.results[*]')
    ELSE [j] END) AS j
FROM ({values})
"""

_UNWRAP = """
SELECT CASE
    WHEN json_type(j, '$."event-data"') = 'OBJECT' THEN json_extract(j, '$."event-data"')
    WHEN json_type(j, '$.msys') = 'OBJECT' THEN json_extract(j, '$.msys.*')[1]
    WHEN json_extract_string(j, '$.Type') = 'Notification'
        THEN coalesce(try_cast(json_extract_string(j, '$.Message') AS JSON), j)
    ELSE j END AS j
FROM ({expanded})
"""


def _normalise(fields: Fields, by_value: str, frm: str) -> str:
    """The final SELECT shared by every reader: hashing, time parsing, row-local bot signals."""
    return f"""
SELECT type, recipient, time, url, message_id, event_id,
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
        {fields.campaign} AS campaign,
        {fields.template} AS template,
        {by_value} AS by_value
    FROM ({frm})
)"""


def json_select(source: Source, reader: Reader, by_column: str | None) -> str:
    """SELECT producing normalised events from one JSON file."""
    values = _json_values(source, sql_string(str(source.path)))
    records = _UNWRAP.format(expanded=_EXPAND.format(values=values))
    by_value = "NULL"
    if by_column:
        path = (
            by_column
            if by_column.startswith("$")
            else "$." + ".".join('"' + part.replace('"', "") + '"' for part in by_column.split("."))
        )
        by_value = _js(path)
    return _normalise(reader.fields, by_value, records)


def detect(source: Source) -> Reader:
    """The reader whose provider wrote this JSON file (`--format auto`)."""
    sample = source.sample
    if sample is None:
        raise InputError(
            "cannot tell which provider wrote this file (its first record is not a JSON "
            "object); pass --format",
            path=source.name,
        )
    for reader in READERS.values():
        if reader.detect(sample):
            return reader
    keys = ", ".join(sorted(sample)[:8])
    raise InputError(
        f"cannot tell which provider wrote this file (first record has keys {keys}); "
        f"pass --format ({', '.join(FORMATS[1:])})",
        path=source.name,
    )


# --- generic CSV --------------------------------------------------------------------------------

#: Fields a generic CSV can map, with the header names recognised without `--column`.
CSV_FIELDS: dict[str, tuple[str, ...]] = {
    "recipient": ("recipient", "email", "emailaddress", "rcptto", "rcpt", "to", "address"),
    "url": ("url", "link", "targetlinkurl", "originallink", "clickedurl", "clickurl", "href"),
    "time": (
        "timestamp",
        "time",
        "datetime",
        "date",
        "eventtime",
        "ts",
        "receivedat",
        "createdat",
        "occurredat",
    ),
    "event": ("event", "type", "eventtype", "recordtype", "action"),
    "user_agent": ("useragent", "ua", "agent"),
    "event_id": ("eventid", "sgeventid", "id"),
    "message_id": ("messageid", "sgmessageid", "msgid"),
    "part": ("part", "clicklocation"),
    "campaign": ("campaign", "utmcampaign", "category", "tag"),
    "template": ("template", "templateid", "templatename"),
    "bot": ("bot", "isbot"),
    "machine_open": ("machineopen", "sgmachineopen", "ismachineopen"),
}
_REQUIRED_CSV = ("recipient", "time")


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def csv_read(source: Source, rejects: str) -> str:
    """read_csv over one file: the sniffed header, all columns text, bad lines in `rejects`."""
    compression = "'gzip'" if source.gzipped else "'none'"
    columns = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in source.header)
    return (
        f"read_csv({sql_string(str(source.path))}, header = true, auto_detect = false, "
        f"columns = {{{columns}}}, delim = {sql_string(source.delimiter)}, quote = '\"', "
        f"escape = '\"', compression = {compression}, store_rejects = true, "
        # Exports that mix line endings (a CRLF file with LF rows appended) still read.
        "strict_mode = false, "
        f"rejects_table = {sql_string(rejects)}, rejects_scan = {sql_string(rejects + '_scan')})"
    )


def map_csv_columns(
    source: Source, headers: list[str], explicit: Mapping[str, str], by_column: str | None
) -> dict[str, str]:
    """field -> header; explicit `--column` wins over recognised names. Errors name the gap."""
    by_squashed = {_squash(h): h for h in reversed(headers)}
    mapping: dict[str, str] = {}
    for name, header in explicit.items():
        if header not in headers:
            raise InputError(
                f"--column {name}={header}: no such column (columns: {', '.join(headers)})",
                path=source.name,
            )
        mapping[name] = header
    taken = set(mapping.values())
    for name, aliases in CSV_FIELDS.items():
        if name in mapping:
            continue
        for alias in aliases:
            found = by_squashed.get(alias)
            if found is not None and found not in taken:
                mapping[name] = found
                taken.add(found)
                break
    required = [*_REQUIRED_CSV, *(() if "event" in mapping else ("url",))]
    missing = [name for name in required if name not in mapping]
    if missing:
        hints = " ".join(f"--column {name}=HEADER" for name in missing)
        raise InputError(
            f"cannot map CSV columns: no {', '.join(missing)} column among "
            f"{', '.join(headers) or '(none)'}; pass {hints}",
            path=source.name,
        )
    if by_column is not None and by_column not in headers:
        raise InputError(
            f"--by {by_column}: no such column (columns: {', '.join(headers)})", path=source.name
        )
    return mapping


def csv_select(read: str, mapping: Mapping[str, str], by_column: str | None) -> str:
    """SELECT producing normalised events from one generic CSV file."""

    def col(name: str) -> str:
        header = mapping.get(name)
        return '"' + header.replace('"', '""') + '"' if header else "NULL"

    truthy = "lower({}) IN ('true', '1', 'yes', 'y', 't')"
    # Without an event column the file is a click log: every row is a click.
    typ = _case(col("event"), EVENT_WORDS) if "event" in mapping else "'click'"
    fields = Fields(
        type=typ,
        recipient=col("recipient"),
        time=col("time"),
        url=col("url"),
        user_agent=col("user_agent"),
        message_id=col("message_id"),
        event_id=col("event_id"),
        bot=truthy.format(col("bot")) if "bot" in mapping else "NULL",
        machine_open=(
            f"CASE WHEN {typ} = 'open' THEN {truthy.format(col('machine_open'))} END"
            if "machine_open" in mapping
            else "NULL"
        ),
        part=f"lower({col('part')})",
        campaign=col("campaign"),
        template=col("template"),
    )
    by_value = '"' + by_column.replace('"', '""') + '"' if by_column else "NULL"
    return _normalise(fields, by_value, f"SELECT * FROM {read}")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
