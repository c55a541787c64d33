"""Customer.io reporting webhooks: `{"event_id", "object_type", "metric", "timestamp", "data"}`.

Only `object_type: email` events are email events; push, SMS and in-app metrics keep their
own names (`push_clicked`, ...) so they never count as email clicks. `event_id` is the event
ID. The email is `data.template`, else the transactional message, newsletter, broadcast or
campaign ID (set `[report] template_field` to name the field your sends carry).
"""

from __future__ import annotations

from ctamap.report.providers.base import COMMON_WORDS, Fields, Provider, Signature, js, words_case

_WORDS = {**COMMON_WORDS, "spammed": "complaint", "human_opened": "open"}
_METRIC = js("$.metric")
_OBJECT = js("$.object_type")
_KIND = f"""CASE WHEN coalesce({_OBJECT}, 'email') = 'email' THEN {words_case(_METRIC, _WORDS)}
    ELSE lower({_OBJECT} || '_' || {_METRIC}) END"""
_MESSAGE = (
    f"coalesce({js('$.data.transactional_message_id')}, {js('$.data.newsletter_id')}, "
    f"{js('$.data.broadcast_id')}, {js('$.data.campaign_id')})"
)

PROVIDER = Provider(
    name="customerio",
    title="Customer.io reporting webhooks",
    signature=Signature(
        required=("metric", "timestamp", "event_id"),
        distinctive=("object_type", "data"),
    ),
    fields=Fields(
        type=_KIND,
        recipient=f"coalesce({js('$.data.recipient')}, {js('$.data.email_address')}, "
        f"{js('$.data.identifiers.email')})",
        time=js("$.timestamp"),
        url=js("$.data.href"),
        message_id=js("$.data.delivery_id"),
        event_id=js("$.event_id"),
        campaign=_MESSAGE,
        template=f"coalesce({js('$.data.template')}, {_MESSAGE})",
    ),
    template_default="`data.template`, else `data.transactional_message_id`, "
    "`newsletter_id`, `broadcast_id` or `campaign_id`",
)
