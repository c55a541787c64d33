"""Stage one on Spark: provider readers as Spark SQL over the raw files, no Python per row.

Each JSON input is read as text (`value STRING`: one row per line, or one per file for a JSON
array or document), each record kept as JSON text `j`; the provider's field map — the same
DuckDB-dialect expressions the DuckDB engine runs, `providers/` — is transpiled
(`json_extract_string` becomes `get_json_object`). What the DuckDB readers do with JSON lists
(`unnest`, `list_transform`, `json_merge_patch`) is written here once more in Spark SQL, per
provider: `RECORDS`. A provider without envelopes needs no entry; every one with envelopes
has one (a test holds the two registries together). Generic CSV is read with a declared
all-text schema from its header.
"""

from __future__ import annotations

from collections.abc import Mapping

from ctamap.report.engines.portable import Op

#: Stage one's named operations on Spark (DuckDB defines them as macros in `report.engine`).
_NUMBER = "try_cast({v} AS DOUBLE)"
STAGE_ONE_OPS: Mapping[str, Op] = {
    # ISO 8601 with any fraction and offset (read in the session's UTC, kept as UTC wall
    # time), Unix seconds or milliseconds; anything else NULL (a malformed row).
    "ctamap_ts": Op(
        params=("v",),
        bodies={
            "spark": f"""CAST(CASE
                WHEN {_NUMBER} BETWEEN 0 AND 1e11
                    THEN timestamp_micros(CAST(round({_NUMBER} * 1000000) AS BIGINT))
                WHEN {_NUMBER} BETWEEN 1e11 AND 1e14
                    THEN timestamp_micros(CAST(round({_NUMBER} * 1000) AS BIGINT))
                WHEN {_NUMBER} IS NULL THEN try_cast({{v}} AS TIMESTAMP_LTZ)
            END AS TIMESTAMP_NTZ)"""
        },
        doc="A provider's time as UTC.",
    ),
    # xxhash64: Spark's `hash` is 32-bit, and recipients would collide at scale.
    "ctamap_rcpt": Op(
        params=("v",),
        bodies={"spark": "CASE WHEN trim({v}) <> '' THEN xxhash64(lower(trim({v}))) END"},
        doc="A recipient's 64-bit hash.",
    ),
    "ctamap_id": Op(
        params=("v",),
        bodies={"spark": "CASE WHEN {v} <> '' THEN xxhash64({v}) END"},
        doc="A message or event ID's 64-bit hash.",
    ),
}


def _array(expr: str) -> str:
    """The elements of a JSON array held as text, each as JSON text; NULL if not an array."""
    return f"from_json({expr}, 'array<string>')"


def _is_array(expr: str) -> str:
    return f"(ltrim({expr}) LIKE '[%' AND {_array(expr)} IS NOT NULL)"


def _is_object(expr: str) -> str:
    return f"(ltrim({expr}) LIKE '{{%' AND get_json_object({expr}, '$') IS NOT NULL)"


def merge(obj: str, pairs: str, *, patch_wins: bool) -> str:
    """JSON object text `obj` with the keys of the JSON object text `pairs` added.

    `get_json_object` reads the first of two equal keys, so the winning side goes first."""
    inner = f"regexp_replace({pairs}, '^\\\\s*\\\\{{|\\\\}}\\\\s*$', '')"
    body = f"regexp_replace({obj}, '^\\\\s*\\\\{{|\\\\}}\\\\s*$', '')"
    first, second = (inner, body) if patch_wins else (body, inner)
    return f"concat('{{', concat_ws(',', nullif({first}, ''), nullif({second}, '')), '}}')"


def _pairs(*keys: tuple[str, str]) -> str:
    """A JSON object text of (key, SQL string expression) pairs; NULL values left out."""
    fields = ", ".join(f"'{key}', {expr}" for key, expr in keys)
    return f"to_json(named_struct({fields}))"


def _gjo(path: str, record: str = "j") -> str:
    return f"get_json_object({record}, '{path}')"


_MAILGUN = (
    f"CASE WHEN {_is_array(_gjo('$.items'))} THEN {_array(_gjo('$.items'))} "
    f"WHEN {_is_object(_gjo('$.event-data'))} THEN array({_gjo('$.event-data')}) "
    "ELSE array(j) END",
)


def _postmark_pages() -> str:
    from ctamap.report.providers.postmark import PAGES

    whens = []
    for key, kind in PAGES.items():
        pages = _gjo(f"$.{key}")
        record_type = "'{" + f'"RecordType": "{kind}"' + "}'"
        whens.append(
            f"WHEN {_is_array(pages)} THEN transform({_array(pages)}, "
            f"r -> {merge('r', record_type, patch_wins=False)})"
        )
    return f"CASE {' '.join(whens)} ELSE array(j) END"


_SES_KIND = f"lower(coalesce({_gjo('$.eventType')}, {_gjo('$.notificationType')}))"
_SES_MESSAGE = _gjo("$.Message")
_SES_SNS = f"""CASE
    WHEN {_gjo("$.Type")} = 'Notification' AND {_gjo("$.TopicArn")} IS NOT NULL THEN CASE
        WHEN {_is_object(_SES_MESSAGE)} THEN array({
    merge(_SES_MESSAGE, _pairs(("ctamap_sns_id", _gjo("$.MessageId"))), patch_wins=True)
})
        ELSE CAST(array() AS array<string>) END
    WHEN {_gjo("$.Type")} IN ('SubscriptionConfirmation', 'UnsubscribeConfirmation')
        THEN CAST(array() AS array<string>)
    ELSE array(j) END"""
_SES_RECIPIENTS = f"""CASE {_SES_KIND}
    WHEN 'delivery' THEN {_array(_gjo("$.delivery.recipients"))}
    WHEN 'bounce' THEN {_array(_gjo("$.bounce.bouncedRecipients[*].emailAddress"))}
    WHEN 'complaint' THEN {_array(_gjo("$.complaint.complainedRecipients[*].emailAddress"))}
    END"""
_SES_PER_RECIPIENT = f"""CASE WHEN coalesce(size({_SES_RECIPIENTS}), 0) > 1
    THEN transform({_SES_RECIPIENTS},
                   r -> {merge("j", _pairs(("ctamap_recipient", "r")), patch_wins=True)})
    ELSE array(j) END"""

_MAILCHIMP_PARENT = _pairs(
    *((key, _gjo(f"$.{key}")) for key in ("email_address", "email_id", "campaign_id", "list_id"))
)
_MAILCHIMP = (
    f"CASE WHEN {_is_array(_gjo('$.emails'))} THEN {_array(_gjo('$.emails'))} ELSE array(j) END",
    f"CASE WHEN {_is_array(_gjo('$.activity'))} THEN transform({_array(_gjo('$.activity'))}, "
    f"a -> {merge('a', _MAILCHIMP_PARENT, patch_wins=True)}) ELSE array(j) END",
)

# `$.msys.*` (every value of the envelope object) has no `get_json_object` path: the object is
# read as a map whose values stay JSON text. The `{"msys": {}}` ping is an empty map, so no row.
_SPARKPOST = (
    f"CASE WHEN {_is_array(_gjo('$.results'))} THEN {_array(_gjo('$.results'))} "
    f"WHEN {_is_object(_gjo('$.msys'))} "
    f"THEN map_values(from_json({_gjo('$.msys')}, 'map<string,string>')) ELSE array(j) END",
)

#: Provider -> Spark SQL array<string> expressions over `j`, applied in turn (each result
#: exploded): the twin of `Provider.records`.
RECORDS: Mapping[str, tuple[str, ...]] = {
    "mailgun": _MAILGUN,
    "postmark": (_postmark_pages(),),
    "ses": (_SES_SNS, _SES_PER_RECIPIENT),
    "mailchimp": _MAILCHIMP,
    "sparkpost": _SPARKPOST,
}

#: A value that is itself an array (a webhook POST body on one line) is its events.
BATCH = (
    "CASE WHEN j IS NULL THEN array(CAST(NULL AS STRING)) "
    f"WHEN {_is_array('j')} THEN {_array('j')} ELSE array(j) END"
)


def values_sql(table: str, whole_file: bool, array: bool) -> str:
    """Raw JSON values `j` of a text table (`value`): one per non-blank line, or the file's
    one document, or its array's elements; NULL for text that is not JSON (a malformed row)."""
    valid = f"CASE WHEN {_is_object('value')} OR {_is_array('value')} THEN value END"
    if not whole_file:
        return f"SELECT {valid} AS j FROM {table} WHERE trim(value) <> ''"
    # Concatenated documents (Firehose objects, pretty-printed pages) become one array: a
    # `}{` or `][` between two values, never inside one (a string holding `}{` would split).
    whole = (
        "value"
        if array
        else "concat('[', regexp_replace(value, '([}\\\\]])\\\\s*([{\\\\[])', '$1,$2'), ']')"
    )
    return (
        f"SELECT explode(coalesce({_array(whole)}, array(CAST(NULL AS STRING)))) AS j FROM {table}"
    )


def records_sql(values: str, layers: tuple[str, ...]) -> str:
    """SELECT of the event records `j`: batches expanded, then the provider's layers."""
    sql = f"SELECT explode({BATCH}) AS j FROM ({values})"
    for layer in layers:
        sql = f"SELECT explode(coalesce({layer}, array(j))) AS j FROM ({sql})"
    return sql
