"""Postmark: webhooks (`RecordType` Click/Open/Delivery/Bounce/SpamComplaint/
SubscriptionChange) and the Messages/Bounces API exports (`{"TotalCount": n, "Clicks": [...]}`,
`"Opens"`, `"Bounces"`).

Only a `HardBounce` (or a bad address) is a bounce; `Transient`, `SoftBounce` and `DnsError`
are temporary (`soft_bounce`). A `SubscriptionChange` that suppresses sending is an
unsubscribe only when the recipient asked for it: a suppression after a hard bounce or a spam
complaint (`SuppressionReason` `HardBounce`/`SpamComplaint`) is `suppression`, so a bounce does
not count twice. The email is `Metadata.template`, else the message's `Tag`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ctamap.report.providers.base import (
    COMMON_WORDS,
    Fields,
    Provider,
    Record,
    Signature,
    js,
    words_case,
)

#: API export pages: list key -> the RecordType its items have (Bounces API items have none).
PAGES = {"Clicks": "Click", "Opens": "Open", "Bounces": "Bounce"}

_RECORD = js("$.RecordType")
_BOUNCE_TYPE = js("$.Type")
_KIND = f"""CASE lower({_RECORD})
    WHEN 'subscriptionchange' THEN CASE
        WHEN NOT coalesce(try_cast({js("$.SuppressSending")} AS BOOLEAN), false) THEN 'resubscribe'
        WHEN {js("$.SuppressionReason")} IN ('HardBounce', 'SpamComplaint') THEN 'suppression'
        ELSE 'unsubscribe' END
    WHEN 'bounce' THEN CASE
        WHEN {_BOUNCE_TYPE} IS NULL OR {_BOUNCE_TYPE} IN ('HardBounce', 'BadEmailAddress')
            THEN 'bounce'
        WHEN {_BOUNCE_TYPE} IN ('Transient', 'SoftBounce', 'DnsError') THEN 'soft_bounce'
        WHEN {_BOUNCE_TYPE} = 'SpamComplaint' THEN 'complaint'
        ELSE lower({_BOUNCE_TYPE}) END
    ELSE {words_case(_RECORD, COMMON_WORDS)} END"""


def _unwrap(value: Any) -> list[Record]:
    if not isinstance(value, Mapping):
        return []
    for key, record_type in PAGES.items():
        items = value.get(key)
        if isinstance(items, list):
            return [
                {"RecordType": record_type, **item} for item in items if isinstance(item, Mapping)
            ]
    return [value]


def _pages_sql() -> str:
    whens = " ".join(
        f"WHEN json_type(j, '$.{key}') = 'ARRAY' "
        f"THEN list_transform(json_extract(j, '$.{key}[*]'), "
        f"""lambda r: json_merge_patch('{{"RecordType": "{kind}"}}', r))"""
        for key, kind in PAGES.items()
    )
    return f"CASE {whens} ELSE [j] END"


PROVIDER = Provider(
    name="postmark",
    title="Postmark webhooks and Messages/Bounces API exports",
    signature=Signature(
        required=("RecordType",),
        distinctive=(
            "MessageID",
            "Recipient",
            "ReceivedAt",
            "DeliveredAt",
            "BouncedAt",
            "ChangedAt",
            "MessageStream",
            "ServerID",
            "Tag",
            "Metadata",
            "OriginalLink",
            "ClickLocation",
        ),
        values={"RecordType": r"^[A-Z][A-Za-z]+$"},
    ),
    unwrap=_unwrap,
    records=(_pages_sql(),),
    fields=Fields(
        type=_KIND,
        recipient=f"coalesce({js('$.Recipient')}, {js('$.Email')})",
        time=f"coalesce({js('$.ReceivedAt')}, {js('$.DeliveredAt')}, "
        f"{js('$.BouncedAt')}, {js('$.ChangedAt')})",
        url=js("$.OriginalLink"),
        user_agent=js("$.UserAgent"),
        message_id=js("$.MessageID"),
        event_id=js("$.ID"),
        part=f"lower({js('$.ClickLocation')})",
        campaign=js("$.Tag"),
        template=f"coalesce({js('$.Metadata.template')}, {js('$.Tag')})",
    ),
    template_default="`Metadata.template`, else `Tag`",
)
