"""SendGrid Event Webhook: one JSON object per event, POSTed in arrays.

Temporary failures are not bounces: `deferred` is its own event, and a `bounce` whose `type`
is `blocked` is a temporary block by the receiving server. The email an event belongs to is
the `template` custom arg (custom args are top-level keys of the event) or else the first
`category`.
"""

from __future__ import annotations

from ctamap.report.providers.base import COMMON_WORDS, Fields, Provider, Signature, js, words_case

_WORDS = {**COMMON_WORDS, "group_unsubscribe": "unsubscribe", "spamreport": "complaint"}
_EVENT = js("$.event")
_KIND = (
    f"CASE WHEN lower({_EVENT}) = 'bounce' AND lower({js('$.type')}) = 'blocked' "
    f"THEN 'blocked' ELSE {words_case(_EVENT, _WORDS)} END"
)
# `category` is a string or an array of strings.
_CATEGORY = f"coalesce({js('$.category[0]')}, {js('$.category')})"

PROVIDER = Provider(
    name="sendgrid",
    title="SendGrid Event Webhook (JSON arrays, JSON lines, one POST body per line)",
    signature=Signature(
        required=("email", "event", "timestamp"),
        distinctive=(
            "sg_event_id",
            "sg_message_id",
            "smtp-id",
            "category",
            "useragent",
            "url_offset",
            "sg_machine_open",
            "sg_template_id",
            "asm_group_id",
        ),
    ),
    fields=Fields(
        type=_KIND,
        recipient=js("$.email"),
        time=js("$.timestamp"),
        url=js("$.url"),
        user_agent=js("$.useragent"),
        message_id=js("$.sg_message_id"),
        event_id=js("$.sg_event_id"),
        machine_open=f"CASE WHEN {_KIND} = 'open' THEN "
        f"coalesce(try_cast({js('$.sg_machine_open')} AS BOOLEAN), false) END",
        part=f"lower({js('$.url_offset.type')})",
        campaign=f"coalesce({js('$.marketing_campaign_name')}, {js('$.singlesend_name')}, "
        f"{_CATEGORY})",
        template=f"coalesce({js('$.template')}, {js('$.template_name')}, "
        f"{js('$.sg_template_name')}, {_CATEGORY})",
    ),
    template_default="custom arg `template` (or `template_name`), else `sg_template_name`, "
    "else the first `category`",
)
