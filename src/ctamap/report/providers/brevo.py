"""Brevo (formerly Sendinblue) transactional and marketing webhooks.

Times come from `ts_event` (seconds, UTC) or `ts_epoch` (milliseconds, UTC), never `date`
(the account's time zone). `proxy_open`/`unique_proxy_open` are machine (privacy-proxy) opens;
`soft_bounce` and `deferred` are temporary. The email is the first of `tags`, else `tag`
(a plain tag or a JSON-encoded list), else the campaign name, else `template_id`.
"""

from __future__ import annotations

from ctamap.report.providers.base import COMMON_WORDS, Fields, Provider, Signature, js, words_case

_WORDS = {
    **COMMON_WORDS,
    "unique_opened": "open",
    "proxy_open": "open",
    "unique_proxy_open": "open",
    "first_opening": "open",
    "hardbounce": "bounce",
    "invalid_email": "bounce",
    "softbounce": "soft_bounce",
}
_EVENT = js("$.event")
_KIND = words_case(_EVENT, _WORDS)
_TAG = js("$.tag")
_MESSAGE_ID = js('$."message-id"')
_CAMPAIGN_NAME = js('$."campaign name"')
_FIRST_TAG = (
    f"coalesce({js('$.tags[0]')}, CASE WHEN starts_with({_TAG}, '[') "
    f"THEN json_extract_string(try_cast({_TAG} AS JSON), '$[0]') ELSE nullif({_TAG}, '') END)"
)

PROVIDER = Provider(
    name="brevo",
    title="Brevo transactional and marketing webhooks",
    signature=Signature(
        required=("email", "event", "ts_event|ts_epoch|ts|date_event"),
        distinctive=(
            "message-id",
            "ts_epoch",
            "ts_event",
            "sending_ip",
            "camp_id",
            "campaign name",
            "X-Mailin-custom",
            "template_id",
            "tag",
            "tags",
            "link",
        ),
    ),
    fields=Fields(
        type=_KIND,
        recipient=js("$.email"),
        time=f"coalesce({js('$.ts_event')}, {js('$.ts_epoch')}, {js('$.ts')})",
        url=f"coalesce({js('$.link')}, {js('$.URL')})",
        user_agent=js("$.user_agent"),
        message_id=f"coalesce({_MESSAGE_ID}, {js('$.camp_id')} || ':' || {js('$.email')})",
        machine_open=f"CASE WHEN {_KIND} = 'open' THEN lower({_EVENT}) LIKE '%proxy_open' END",
        campaign=f"coalesce({_CAMPAIGN_NAME}, {js('$.camp_id')}, {_FIRST_TAG})",
        template=f"coalesce({_FIRST_TAG}, {_CAMPAIGN_NAME}, {js('$.template_id')})",
    ),
    template_default="the first of `tags`, else `tag`, else `campaign name`, else `template_id`",
)
