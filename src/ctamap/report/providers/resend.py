"""Resend webhooks: `{"type": "email.clicked", "created_at": ..., "data": {...}}`.

The recipient is the first `data.to` address (Resend's own events concern the message, as
django-anymail reads them). `email.delivery_delayed` and a `Transient` bounce are temporary.
The body has no event ID (Resend sends it as the `svix-id` header). The email is the
`template` tag (`data.tags.template`), else the `category` tag.
"""

from __future__ import annotations

from ctamap.report.providers.base import (
    COMMON_WORDS,
    Fields,
    Provider,
    Signature,
    address,
    js,
    words_case,
)

_WORDS = {**COMMON_WORDS, "delivery_delayed": "deferred"}
_EVENT = f"regexp_replace({js('$.type')}, '^email\\.', '')"
_KIND = f"""CASE WHEN {_EVENT} = 'bounced' AND {js("$.data.bounce.type")} = 'Transient'
    THEN 'soft_bounce' ELSE {words_case(_EVENT, _WORDS)} END"""

PROVIDER = Provider(
    name="resend",
    title="Resend webhooks",
    signature=Signature(
        required=("type", "created_at", "data"),
        values={"type": r"^email\."},
    ),
    fields=Fields(
        type=_KIND,
        recipient=address(js("$.data.to[0]")),
        time=f"coalesce({js('$.data.click.timestamp')}, {js('$.data.open.timestamp')}, "
        f"{js('$.created_at')})",
        url=js("$.data.click.link"),
        user_agent=f"coalesce({js('$.data.click.userAgent')}, {js('$.data.open.userAgent')})",
        message_id=js("$.data.email_id"),
        campaign=js("$.data.broadcast_id"),
        template=f"coalesce({js('$.data.tags.template')}, {js('$.data.tags.category')})",
    ),
    template_default="`data.tags.template`, else `data.tags.category`",
)
