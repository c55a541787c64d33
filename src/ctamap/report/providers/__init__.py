"""Provider readers, one module each, registered here in an explicit tuple.

Adding a provider touches its module, one line of `PROVIDERS`, one fixture folder (with its
golden normalised rows) and its docs page. Generic CSV (`generic`) is the last entry of
`FORMATS`: it is chosen by the file's layout, not by detection.
"""

from __future__ import annotations

from collections.abc import Mapping

from ctamap.report.providers import (
    brevo,
    customerio,
    mailchimp,
    mailgun,
    mailjet,
    postmark,
    resend,
    sendgrid,
    ses,
    sparkpost,
)
from ctamap.report.providers.base import Fields, Provider, Signature

#: Every JSON provider, in the order docs and `--help` list them.
PROVIDERS: tuple[Provider, ...] = (
    sendgrid.PROVIDER,
    mailgun.PROVIDER,
    postmark.PROVIDER,
    ses.PROVIDER,
    sparkpost.PROVIDER,
    mailjet.PROVIDER,
    brevo.PROVIDER,
    resend.PROVIDER,
    customerio.PROVIDER,
    mailchimp.PROVIDER,
)

BY_NAME: Mapping[str, Provider] = {provider.name: provider for provider in PROVIDERS}

#: Every `--format` value.
FORMATS: tuple[str, ...] = ("auto", *BY_NAME, "csv")

__all__ = ["BY_NAME", "FORMATS", "PROVIDERS", "Fields", "Provider", "Signature"]
