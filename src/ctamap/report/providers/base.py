"""What a provider module declares: its detection signature, its records, its field map.

A provider is data: `Signature` says which keys its events carry (detection scores every
provider on a sample of records), `records` says how one raw JSON value (a webhook POST body,
an API page, an SNS envelope) becomes event records, in Python for the sample and in SQL for
the whole file, and `Fields` maps each normalised column to a SQL expression over one record
`j`. The SQL is DuckDB's dialect and only builds strings; nothing here imports duckdb.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Event words most providers share -> normalised type. A provider adds or overrides its own;
#: words not listed keep their own (lower-cased) name and are counted under it.
COMMON_WORDS: Mapping[str, str] = {
    "click": "click",
    "clicked": "click",
    "open": "open",
    "opened": "open",
    "delivered": "delivered",
    "delivery": "delivered",
    "bounce": "bounce",
    "bounced": "bounce",
    "hard_bounce": "bounce",
    "unsubscribe": "unsubscribe",
    "unsubscribed": "unsubscribe",
    "complaint": "complaint",
    "complained": "complaint",
    "spam": "complaint",
    "spamreport": "complaint",
    "spam_complaint": "complaint",
    "spamcomplaint": "complaint",
    "soft_bounce": "soft_bounce",
    "deferred": "deferred",
}

Record = Mapping[str, Any]


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def js(path: str, record: str = "j") -> str:
    """`json_extract_string` of `record` at a JSON path such as `$."client-info".bot`."""
    return f"json_extract_string({record}, {sql_string(path)})"


def json_path(dotted: str) -> str:
    """A JSON path from a user's dotted name (`custom_args.email`); `$…` is taken as is."""
    if dotted.startswith("$"):
        return dotted
    return "$." + ".".join('"' + part.replace('"', "") + '"' for part in dotted.split("."))


def words_case(raw: str, words: Mapping[str, str]) -> str:
    """CASE mapping a provider's event word to the normalised type."""
    whens = " ".join(f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in words.items())
    return f"CASE lower({raw}) {whens} ELSE nullif(lower({raw}), '') END"


def address(expr: str) -> str:
    """The address inside `Name <addr@example.org>`, or the value itself."""
    return f"coalesce(nullif(regexp_extract({expr}, '<([^<>]+)>', 1), ''), {expr})"


@dataclass(frozen=True)
class Fields:
    """SQL expressions over one event record `j` for the normalised columns (`EVENT_SCHEMA`)."""

    type: str
    recipient: str
    time: str
    url: str = "NULL"
    user_agent: str = "NULL"
    message_id: str = "NULL"
    event_id: str = "NULL"
    bot: str = "NULL"
    """The provider's own bot flag (BOOLEAN)."""
    machine_open: str = "NULL"
    """BOOLEAN for open events when the provider reports machine opens; else NULL."""
    part: str = "NULL"
    campaign: str = "NULL"
    template: str = "NULL"
    """The email (template) the provider recorded for the event: its own field, by default."""


@dataclass(frozen=True)
class Signature:
    """Keys the provider's event records carry, for detection.

    A record matches when every `required` entry is present (`a|b`: either key) and every
    `values` regex matches its key's value; its score is then 1 plus one per `distinctive`
    key present. Keys are top-level keys of the record after `records` has unwrapped it.
    """

    required: tuple[str, ...]
    distinctive: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)

    def score(self, record: Record) -> int:
        """0 when the record is not this provider's; else how strongly it looks like it."""
        for entry in self.required:
            if not any(key in record for key in entry.split("|")):
                return 0
        for key, pattern in self.values.items():
            if not re.search(pattern, str(record.get(key, ""))):
                return 0
        return 1 + sum(key in record for key in self.distinctive)


def _one(value: Any) -> list[Record]:
    return [value] if isinstance(value, Mapping) else []


@dataclass(frozen=True)
class Provider:
    """One email service's events: detection, unwrapping, field map and documentation."""

    name: str
    title: str
    """What it reads, for `--help`, stderr notices and docs."""
    signature: Signature
    fields: Fields
    unwrap: Callable[[Any], list[Record]] = _one
    """Python twin of `records`: the event records inside one raw value (for detection)."""
    records: Sequence[str] = ()
    """SQL JSON[] expressions over `j`, applied in turn (each result unnested): envelopes,
    pages and per-recipient expansion. Empty: the value is the record."""
    control: Callable[[Any], bool] = field(default=lambda value: False)
    """True for a value that carries no event (a subscription notice, a ping)."""
    template_default: str = ""
    """Where `Fields.template` reads from, for the docs (`[report] template_field` wins)."""

    def score(self, value: Any) -> int:
        """Detection score of one raw value (0: not this provider's)."""
        return sum(self.signature.score(record) for record in self.unwrap(value))
