"""SparkPost: Events API pages (`{"results": [...]}`) and webhook batches
(`[{"msys": {"track_event": {...}}}, ...]`).

The webhook's `{"msys": {}}` ping carries no event and gives no row. A bounce is a hard
bounce only for bounce classes 10, 30 and 90 (SparkPost's "hard" classes); other classes are
temporary or blocks (`soft_bounce`). The email is `template_id`, else `campaign_id`.
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

_WORDS = {
    **COMMON_WORDS,
    "initial_open": "open",
    "amp_open": "open",
    "amp_initial_open": "open",
    "amp_click": "click",
    "list_unsubscribe": "unsubscribe",
    "link_unsubscribe": "unsubscribe",
    "spam_complaint": "complaint",
    "delay": "deferred",
}
_TYPE = js("$.type")
_KIND = f"""CASE WHEN lower({_TYPE}) IN ('bounce', 'out_of_band') THEN CASE
        WHEN {js("$.bounce_class")} IS NULL OR {js("$.bounce_class")} IN ('10', '30', '90')
            THEN 'bounce' ELSE 'soft_bounce' END
    ELSE {words_case(_TYPE, _WORDS)} END"""


def _control(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("msys") == {}


def _unwrap(value: Any) -> list[Record]:
    if not isinstance(value, Mapping):
        return []
    if isinstance(value.get("results"), list):
        return [item for item in value["results"] if isinstance(item, Mapping)]
    msys = value.get("msys")
    if isinstance(msys, Mapping):
        return [event for event in msys.values() if isinstance(event, Mapping)][:1]
    return [value]


PROVIDER = Provider(
    name="sparkpost",
    title="SparkPost Events API pages and webhook msys batches",
    signature=Signature(
        required=("type", "rcpt_to|raw_rcpt_to|message_id"),
        distinctive=(
            "event_id",
            "transmission_id",
            "rcpt_to",
            "raw_rcpt_to",
            "target_link_url",
            "customer_id",
            "ip_pool",
            "injection_time",
            "msg_from",
            "template_id",
            "campaign_id",
            "rcpt_meta",
        ),
    ),
    unwrap=_unwrap,
    control=_control,
    records=(
        "CASE WHEN json_type(j, '$.results') = 'ARRAY' THEN json_extract(j, '$.results[*]') "
        "WHEN json_type(j, '$.msys') = 'OBJECT' THEN json_extract(j, '$.msys.*') ELSE [j] END",
    ),
    fields=Fields(
        type=_KIND,
        recipient=f"coalesce({js('$.rcpt_to')}, {js('$.raw_rcpt_to')})",
        time=js("$.timestamp"),
        url=js("$.target_link_url"),
        user_agent=js("$.user_agent"),
        message_id=js("$.message_id"),
        event_id=js("$.event_id"),
        campaign=js("$.campaign_id"),
        template=f"coalesce({js('$.rcpt_meta.template')}, {js('$.template_id')}, "
        f"{js('$.campaign_id')})",
    ),
    template_default="`rcpt_meta.template`, else `template_id`, else `campaign_id`",
)
