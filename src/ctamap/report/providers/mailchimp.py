"""Mailchimp Marketing API, Reports `GET /reports/{campaign_id}/email-activity` pages
(`{"emails": [{"email_address", "activity": [...]}]}`), or one such email object per line.

Each activity (`open`, `click`, `bounce`) is one row; a `bounce` of `type: soft` is temporary.
Email-activity lists no deliveries: give `--delivered` (or `--sent`) for rates. The email is
the campaign (`campaign_id`): a Mailchimp campaign is one email.
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

_PARENT_KEYS = ("email_address", "email_id", "campaign_id", "list_id")
_ACTION = js("$.action")
_KIND = f"""CASE WHEN lower({_ACTION}) = 'bounce' AND lower({js("$.type")}) = 'soft'
    THEN 'soft_bounce' ELSE {words_case(_ACTION, COMMON_WORDS)} END"""


def _activities(email: Mapping[str, Any]) -> list[Record]:
    parent = {key: email[key] for key in _PARENT_KEYS if key in email}
    return [{**a, **parent} for a in email.get("activity", []) if isinstance(a, Mapping)]


def _unwrap(value: Any) -> list[Record]:
    if not isinstance(value, Mapping):
        return []
    if isinstance(value.get("emails"), list):
        return [r for e in value["emails"] if isinstance(e, Mapping) for r in _activities(e)]
    if isinstance(value.get("activity"), list):
        return _activities(value)
    return [value]


# The email's own keys, copied onto each of its activities.
_PARENT = "json_object(" + ", ".join(f"'{k}', json_extract(j, '$.{k}')" for k in _PARENT_KEYS) + ")"
_EMAILS = (
    "CASE WHEN json_type(j, '$.emails') = 'ARRAY' THEN json_extract(j, '$.emails[*]') ELSE [j] END"
)
_ACTIVITY = (
    "CASE WHEN json_type(j, '$.activity') = 'ARRAY' THEN list_transform("
    f"json_extract(j, '$.activity[*]'), lambda a: json_merge_patch(a, {_PARENT})) ELSE [j] END"
)

PROVIDER = Provider(
    name="mailchimp",
    title="Mailchimp Reports API email-activity",
    signature=Signature(
        required=("action", "email_address", "timestamp"),
        distinctive=("email_id", "list_id", "campaign_id"),
    ),
    unwrap=_unwrap,
    records=(_EMAILS, _ACTIVITY),
    fields=Fields(
        type=_KIND,
        recipient=js("$.email_address"),
        time=js("$.timestamp"),
        url=js("$.url"),
        message_id=f"{js('$.campaign_id')} || ':' || {js('$.email_id')}",
        campaign=js("$.campaign_id"),
        template=js("$.campaign_id"),
    ),
    template_default="`campaign_id`",
)
