"""Mailgun: Events API items, `{"items": [...]}` pages, and webhook `{"event-data": {...}}` bodies.

A `failed` event is a bounce only with `severity: permanent`; a temporary failure is retried
(`soft_bounce`). `client-info.bot` marks privacy-proxy opens (`apple`) and scanners (`gmail`,
`generic`). The email is `user-variables.template`, else the first tag, else the campaign.
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

_EVENT = js("$.event")
_KIND = (
    f"CASE WHEN lower({_EVENT}) = 'failed' THEN CASE WHEN lower({js('$.severity')}) = "
    f"'permanent' THEN 'bounce' ELSE 'soft_bounce' END ELSE {words_case(_EVENT, COMMON_WORDS)} END"
)
_BOT_WORD = js('$."client-info".bot')
_BOT = f"coalesce({_BOT_WORD}, '') <> ''"
_TEMPLATE_VAR = js('$."user-variables".template')


def _unwrap(value: Any) -> list[Record]:
    if not isinstance(value, Mapping):
        return []
    if isinstance(value.get("items"), list):
        return [item for item in value["items"] if isinstance(item, Mapping)]
    if isinstance(value.get("event-data"), Mapping):
        return [value["event-data"]]
    return [value]


PROVIDER = Provider(
    name="mailgun",
    title="Mailgun Events API items and pages, webhook event-data bodies",
    signature=Signature(
        required=("event", "recipient", "timestamp"),
        distinctive=(
            "id",
            "log-level",
            "user-variables",
            "client-info",
            "delivery-status",
            "recipient-domain",
            "envelope",
            "flags",
            "campaigns",
            "tags",
        ),
    ),
    unwrap=_unwrap,
    records=(
        "CASE WHEN json_type(j, '$.items') = 'ARRAY' THEN json_extract(j, '$.items[*]') "
        """WHEN json_type(j, '$."event-data"') = 'OBJECT' """
        """THEN [json_extract(j, '$."event-data"')] """
        "ELSE [j] END",
    ),
    fields=Fields(
        type=_KIND,
        recipient=js("$.recipient"),
        time=js("$.timestamp"),
        url=js("$.url"),
        user_agent=js('$."client-info"."user-agent"'),
        message_id=js('$.message.headers."message-id"'),
        event_id=js("$.id"),
        # "apple" is a privacy-proxy open; "gmail"/"generic" are scanners and firewalls.
        bot=f"({_KIND} = 'click' AND {_BOT})",
        machine_open=f"CASE WHEN {_KIND} = 'open' THEN {_BOT} END",
        campaign=f"coalesce({js('$.campaigns[0].name')}, {js('$.tags[0]')})",
        template=f"coalesce({_TEMPLATE_VAR}, {js('$.tags[0]')}, {js('$.campaigns[0].name')})",
    ),
    template_default="`user-variables.template`, else the first of `tags`, else the first "
    "campaign's name",
)
