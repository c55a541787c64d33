"""Mailjet Event API (webhooks): one object per event, POSTed alone or in arrays.

Mailjet's `sent` means the receiving server accepted the message: it is the delivery. A
`bounce` with `hard_bounce: false` is temporary (`soft_bounce`); `blocked` is Mailjet refusing
to send. The email is `customcampaign` (the `X-Mailjet-Campaign` header).
"""

from __future__ import annotations

from ctamap.report.providers.base import COMMON_WORDS, Fields, Provider, Signature, js, words_case

_WORDS = {**COMMON_WORDS, "sent": "delivered", "unsub": "unsubscribe", "spam": "complaint"}
_EVENT = js("$.event")
_KIND = f"""CASE WHEN lower({_EVENT}) = 'bounce' THEN CASE
        WHEN coalesce(try_cast({js("$.hard_bounce")} AS BOOLEAN), true) THEN 'bounce'
        ELSE 'soft_bounce' END
    ELSE {words_case(_EVENT, _WORDS)} END"""

PROVIDER = Provider(
    name="mailjet",
    title="Mailjet Event API webhooks",
    signature=Signature(
        required=("email", "event", "time"),
        distinctive=(
            "MessageID",
            "Message_GUID",
            "mj_campaign_id",
            "mj_contact_id",
            "mj_message_id",
            "customcampaign",
            "CustomID",
            "Payload",
        ),
    ),
    fields=Fields(
        type=_KIND,
        recipient=js("$.email"),
        time=js("$.time"),
        url=js("$.url"),
        user_agent=js("$.agent"),
        message_id=f"coalesce({js('$.Message_GUID')}, {js('$.MessageID')})",
        campaign=f"coalesce(nullif({js('$.customcampaign')}, ''), "
        f"nullif({js('$.mj_campaign_id')}, '0'))",
        template=f"coalesce(nullif({js('$.customcampaign')}, ''), "
        f"nullif({js('$.mj_campaign_id')}, '0'))",
    ),
    template_default="`customcampaign`, else `mj_campaign_id`",
)
