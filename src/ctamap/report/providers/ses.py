"""Amazon SES: event publishing records (`eventType`) and identity notifications
(`notificationType`), raw (Firehose objects, one record per line or concatenated) or inside
SNS `Notification` envelopes.

The SNS `MessageId` is the event ID, so a redelivered notification counts once; the
subscription confirmation and the "Successfully validated" notice carry no event and give no
row. A Delivery, Bounce or Complaint names every recipient it concerns: it gives one row per
recipient. Only a `Permanent` bounce is a bounce (`Transient` and `Undetermined` are
`soft_bounce`). The email is the `template` message tag, else the `campaign` tag.
"""

from __future__ import annotations

import json
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

_CONTROL_TYPES = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
_KIND = f"coalesce({js('$.eventType')}, {js('$.notificationType')})"
_OPTED_OUT = (
    f"(try_cast({js('$.subscription.newTopicPreferences.unsubscribeAll')} AS BOOLEAN) "
    f"OR contains(coalesce({js('$.subscription.newTopicPreferences')}, ''), '\"OptOut\"'))"
)
_TYPE = f"""CASE lower({_KIND})
    WHEN 'bounce' THEN CASE WHEN {js("$.bounce.bounceType")} = 'Permanent' THEN 'bounce'
        ELSE 'soft_bounce' END
    WHEN 'subscription' THEN CASE WHEN {_OPTED_OUT} THEN 'unsubscribe' ELSE 'subscription' END
    WHEN 'deliverydelay' THEN 'deferred'
    ELSE {words_case(_KIND, COMMON_WORDS)} END"""
_RECIPIENTS = f"""CASE lower({_KIND})
    WHEN 'delivery' THEN {js("$.delivery.recipients[*]")}
    WHEN 'bounce' THEN {js("$.bounce.bouncedRecipients[*].emailAddress")}
    WHEN 'complaint' THEN {js("$.complaint.complainedRecipients[*].emailAddress")} END"""
_SNS_MESSAGE = f"try_cast({js('$.Message')} AS JSON)"
_SNS = f"""CASE
    WHEN {js("$.Type")} = 'Notification' AND {js("$.TopicArn")} IS NOT NULL THEN CASE
        WHEN json_type({_SNS_MESSAGE}) = 'OBJECT'
            THEN [json_merge_patch({_SNS_MESSAGE},
                                   json_object('ctamap_sns_id', {js("$.MessageId")}))]
        ELSE []::JSON[] END
    WHEN {js("$.Type")} IN {_CONTROL_TYPES} THEN []::JSON[]
    ELSE [j] END"""
_PER_RECIPIENT = f"""CASE WHEN len({_RECIPIENTS}) > 1
    THEN list_transform({_RECIPIENTS},
                        lambda r: json_merge_patch(j, json_object('ctamap_recipient', r)))
    ELSE [j] END"""


def _sns_message(value: Mapping[str, Any]) -> Any:
    message = value.get("Message")
    if not isinstance(message, str):
        return None
    try:
        return json.loads(message)
    except json.JSONDecodeError:
        return None


def _is_sns(value: Any) -> bool:
    return (
        isinstance(value, Mapping) and value.get("Type") == "Notification" and "TopicArn" in value
    )


def _control(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if value.get("Type") in _CONTROL_TYPES:
        return True
    return _is_sns(value) and not isinstance(_sns_message(value), Mapping)


def _unwrap(value: Any) -> list[Record]:
    if not isinstance(value, Mapping) or _control(value):
        return []
    if _is_sns(value):
        return [{**_sns_message(value), "ctamap_sns_id": value.get("MessageId")}]
    return [value]


PROVIDER = Provider(
    name="ses",
    title="Amazon SES event publishing and notifications (SNS envelopes, Firehose objects)",
    signature=Signature(
        required=("mail", "eventType|notificationType"),
        distinctive=("click", "open", "delivery", "bounce", "complaint", "send", "ctamap_sns_id"),
    ),
    unwrap=_unwrap,
    control=_control,
    records=(_SNS, _PER_RECIPIENT),
    fields=Fields(
        type=_TYPE,
        recipient=f"coalesce({js('$.ctamap_recipient')}, {js('$.delivery.recipients[0]')}, "
        f"{js('$.bounce.bouncedRecipients[0].emailAddress')}, "
        f"{js('$.complaint.complainedRecipients[0].emailAddress')}, "
        f"{js('$.mail.destination[0]')})",
        time=f"coalesce({js('$.click.timestamp')}, {js('$.open.timestamp')}, "
        f"{js('$.delivery.timestamp')}, {js('$.bounce.timestamp')}, "
        f"{js('$.complaint.timestamp')}, {js('$.subscription.timestamp')}, "
        f"{js('$.deliveryDelay.timestamp')}, {js('$.mail.timestamp')})",
        url=js("$.click.link"),
        user_agent=f"coalesce({js('$.click.userAgent')}, {js('$.open.userAgent')})",
        message_id=js("$.mail.messageId"),
        # One SNS notification per event; its per-recipient rows are distinct events.
        event_id=f"CASE WHEN {js('$.ctamap_sns_id')} IS NOT NULL THEN concat_ws(':', "
        f"{js('$.ctamap_sns_id')}, {js('$.ctamap_recipient')}) END",
        campaign=js("$.mail.tags.campaign[0]"),
        template=f"coalesce({js('$.mail.tags.template[0]')}, {js('$.mail.tags.campaign[0]')})",
    ),
    template_default="the `template` message tag (`mail.tags.template`), else the `campaign` tag",
)
