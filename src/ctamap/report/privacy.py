"""What the report may show of recipients: masked unmatched URLs, no address columns in `--by`.

Clicked URLs are the one place where provider logs carry personal data into a report: a link
to `…?email=alice@corp.example&token=…` lists the address and a secret in the "unmatched" table.
Query values are masked except for keys known to be safe (`utm_*`, the link-ID parameter);
addresses and URL user-info are masked wherever they appear. The mask is plain SQL
(`ctamap_replace_all`, `replace`), so it runs in the engine before grouping: URLs that differ
only in a masked value are one row with their clicks summed.
"""

from __future__ import annotations

import re

from ctamap.report.providers.generic import CSV_FIELDS

#: What a masked value is replaced with.
MASK = "…"

#: Query keys whose values are shown: campaign parameters carry no personal data, and the
#: link-ID parameter is what a user needs to see to understand why a click was unmatched.
SAFE_KEY_PREFIXES = ("utm_",)

# Markers, as literals so that every replacement stays a plain string (the portable
# `ctamap_replace_all` rewrites `\\1` per dialect only in literals). Neither can occur in the
# URL by then: spaces and double quotes are percent-encoded first, as a browser sends them.
# KEEP marks a safe key while the other values are masked (RE2 and Java regexes have no
# look-ahead, so "every key but these" is written as "protect these, mask the rest"); END
# closes every query token, so that masking a bare value does not swallow the next one's `&`.
_KEEP = " "
_END = '"'

#: Addresses, also percent-encoded (`%40`), anywhere in the URL.
_ADDRESS = r"[A-Za-z0-9._%+\-]+(@|%40)[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _any_case(text: str) -> str:
    """A regex matching `text` in any letter case, without inline flags (not every dialect
    has `(?i)`)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _replace_all(expr: str, pattern: str, replacement: str) -> str:
    return f"ctamap_replace_all({expr}, {_literal(pattern)}, {_literal(replacement)})"


def masked_url_sql(expr: str, link_id_param: str) -> str:
    """SQL for the URL `expr` as the report may show it.

    `https://u:p@shop.example/x?email=a@b.example&utm_source=nl&cta_id=w.buy&t=1#top` becomes
    `https://…@shop.example/x?email=…&utm_source=nl&cta_id=w.buy&t=…#top`. An empty value stays
    empty; a bare query token (`?a1b2c3`) is masked; a `#fragment` without `=` is an anchor and
    is kept.
    """
    safe = "|".join(
        [*(f"{_any_case(prefix)}[^=&#]*" for prefix in SAFE_KEY_PREFIXES)]
        + ([_any_case(link_id_param)] if link_id_param else [])
    )
    url = f"replace(replace({expr}, ' ', '%20'), '\"', '%22')"
    url = _replace_all(url, r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@]*@", rf"\1{MASK}@")
    url = _replace_all(url, f"([?&#])({safe})=", rf"\1{_KEEP}\2=")
    url = _replace_all(url, f"([?&#])([^=&#{_KEEP}][^=&#]*)?=[^&#]+", rf"\1\2={MASK}")
    url = _replace_all(url, "([&#])", rf"{_END}\1") + f" || {_literal(_END)}"
    url = _replace_all(url, f"([?&])[^=&#{_KEEP}{_END}]+{_END}", rf"\1{MASK}{_END}")
    url = f"replace(replace({url}, {_literal(_KEEP)}, ''), {_literal(_END)}, '')"
    return _replace_all(url, _ADDRESS, MASK)


#: Column names that hold addresses, compared as lower-case letters and digits only. The
#: generic CSV reader's recipient headers are among them, so what it reads as the recipient is
#: never a group title either.
_RECIPIENT_NAMES = frozenset(
    {*CSV_FIELDS["recipient"], "mail", "rawrcptto", "destination", "emailaddresses"}
)
#: Name stems that mean an address column whatever precedes or follows them.
_RECIPIENT_STEMS = ("recipient", "email", "rcpt", "subscriber")


def is_recipient_column(name: str) -> bool:
    """True when `--by NAME` would print addresses as group titles.

    `NAME` is a CSV header or a dotted path into JSON events (`msg.rcpt_to`, `data.to[0]`,
    `$.Recipient`); its last named segment decides.
    """
    segments = [s for s in re.split(r"[.\[\]$]+", name) if s.strip() and not s.isdigit()]
    word = re.sub(r"[^a-z0-9]", "", segments[-1].lower()) if segments else ""
    if word in _RECIPIENT_NAMES:
        return True
    return any(stem in word for stem in _RECIPIENT_STEMS)
