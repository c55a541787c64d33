"""Generic CSV: any export with one row per event, columns recognised by name or mapped with
`--column FIELD=HEADER`.

Without an event column the file is a click log (every row a click). The email is the
`template` column (or `[report] template_field`, a header name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ctamap.errors import InputError
from ctamap.report.providers.base import COMMON_WORDS, Fields, sql_string, words_case
from ctamap.report.sources import Source

NAME = "csv"

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
_REQUIRED = ("recipient", "time")
_WORDS = {
    **COMMON_WORDS,
    "amp_click": "click",
    "initial_open": "open",
    "group_unsubscribe": "unsubscribe",
    "list_unsubscribe": "unsubscribe",
    "link_unsubscribe": "unsubscribe",
}


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


def map_columns(
    source: Source,
    explicit: Mapping[str, str],
    by_column: str | None,
    template_field: str = "",
) -> dict[str, str]:
    """field -> header; explicit `--column` wins over recognised names. Errors name the gap."""
    headers = list(source.header)
    by_squashed = {_squash(h): h for h in reversed(headers)}
    mapping: dict[str, str] = {}
    if template_field and template_field in headers and "template" not in explicit:
        mapping["template"] = template_field
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
    required = [*_REQUIRED, *(() if "event" in mapping else ("url",))]
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


def fields(mapping: Mapping[str, str]) -> Fields:
    """The field map of one CSV file, from its column mapping."""

    def col(name: str) -> str:
        header = mapping.get(name)
        return '"' + header.replace('"', '""') + '"' if header else "NULL"

    truthy = "lower({}) IN ('true', '1', 'yes', 'y', 't')"
    # Without an event column the file is a click log: every row is a click.
    typ = words_case(col("event"), _WORDS) if "event" in mapping else "'click'"
    return Fields(
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


def by_value(by_column: str | None) -> str:
    """SQL for the `--by COLUMN` value of a CSV row."""
    return '"' + by_column.replace('"', '""') + '"' if by_column else "NULL"
