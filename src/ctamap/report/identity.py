"""Stage two, template identity: which email each event belongs to, one answer per message.

The provider's own name for the email (`events.template`: a custom arg, tag, template ID ...)
is matched to the link map's emails by path, file name, stem or slug (`email_aliases`); a name
the link map does not spell means the one email whose CTAs are clicked under it, or, when
they belong to several, nothing (a category such as `marketing`); a name with no clicks on
the link map's CTAs is an email the link map does not have. Every event of a message shares
the message's email, so a delivery, its opens and its clicks are never split across two
names. A click whose message names no email counts in the email of its CTA. When the whole
input names one email only, events that name none belong to it.

Emails are numbers (`email_names`: number -> name). Named statements, run in order after
attribution (`url_links`): plain SQL over the tables the catalogue (`catalog.tables`) and
stage one load, with functions Spark SQL and Trino also have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ctamap.report.catalog import CatalogRows
from ctamap.report.model import (
    EMAIL_ALIAS_SCHEMA,
    EMAIL_NAME_SCHEMA,
    LINK_EMAIL_SCHEMA,
    SCOPE_EMAIL_SCHEMA,
)

if TYPE_CHECKING:
    from ctamap.report.engines import Engine


def load_catalog(engine: Engine, rows: CatalogRows) -> None:
    """The catalogue's tables: `email_names`, `email_aliases`, `link_emails`, `scope_emails`."""
    engine.load_table("email_names", EMAIL_NAME_SCHEMA, rows.names)
    engine.load_table("email_aliases", EMAIL_ALIAS_SCHEMA, rows.aliases)
    engine.load_table("link_emails", LINK_EMAIL_SCHEMA, rows.link_emails)
    engine.load_table("scope_emails", SCOPE_EMAIL_SCHEMA, rows.scopes)


#: A provider's name as a slug, the way link IDs spell a template (`Welcome Email` ->
#: `welcome-email`).
_SLUG = (
    "ctamap_replace_all(ctamap_replace_all(lower(t.template), '[^a-z0-9]+', '-'), '^-+|-+$', '')"
)

#: Links sent in exactly one email: a click on one says which email it came from (a layout
#: link used by several emails does not).
LINK_HOMES = """
CREATE OR REPLACE TABLE link_homes AS
SELECT link_id, min(email) AS email FROM link_emails GROUP BY link_id HAVING count(*) = 1
"""

#: Each distinct provider name -> the link map's email it spells (NULL: none).
TEMPLATE_MATCHES = f"""
CREATE OR REPLACE TABLE template_matches AS
SELECT t.template, coalesce(a.email, s.email) AS email
FROM (SELECT DISTINCT template FROM events WHERE template IS NOT NULL AND NOT malformed) t
LEFT JOIN email_aliases a ON a.alias = lower(trim(t.template))
LEFT JOIN email_aliases s ON s.alias = {_SLUG}
"""

#: For a name that spells no email of the link map: the emails of the CTAs clicked in its
#: events and messages. One email: the name is the provider's for it. Several: the name is a
#: category or campaign, not an email's name.
NAME_HOMES = """
CREATE OR REPLACE TABLE name_homes AS
WITH unknown AS (
    SELECT template FROM template_matches WHERE email IS NULL
),
named_messages AS (
    SELECT DISTINCT e.message_id, e.template
    FROM events e JOIN unknown n ON e.template = n.template
    WHERE e.message_id IS NOT NULL AND NOT e.malformed
),
-- Clicks that carry an unknown name, and clicks in messages that carry one.
named_clicks AS (
    SELECT e.template AS name, e.url
    FROM events e JOIN unknown n ON e.template = n.template
    WHERE e.type = 'click' AND NOT e.malformed
    UNION ALL
    SELECT m.template AS name, e.url
    FROM events e JOIN named_messages m ON e.message_id = m.message_id
    WHERE e.type = 'click' AND NOT e.malformed
)
SELECT c.name, min(h.email) AS email, count(DISTINCT h.email) AS emails
FROM named_clicks c
JOIN url_links u ON c.url = u.url
JOIN link_homes h ON u.link_id = h.link_id
GROUP BY c.name
"""

#: Each distinct provider name -> the email it names, NULL when it names several (see
#: `NAME_HOMES`); a name for an email the link map does not have gets a number of its own,
#: after the link map's emails (`own`).
TEMPLATE_NAMES = """
CREATE OR REPLACE TABLE template_names AS
SELECT t.template,
    CASE WHEN t.email IS NOT NULL THEN t.email
         WHEN h.emails = 1 THEN h.email
         WHEN h.emails > 1 THEN NULL
         ELSE n.known + dense_rank() OVER (ORDER BY t.template) END AS email,
    t.email IS NULL AND h.name IS NULL AS own
FROM template_matches t
LEFT JOIN name_homes h ON h.name = t.template
CROSS JOIN (SELECT count(*) AS known FROM email_names) n
"""

#: Names of the emails only the provider knows.
PROVIDER_EMAIL_NAMES = """
INSERT INTO email_names (email, name)
SELECT email, template AS name FROM template_names WHERE own
"""

#: Each message's email: the one its events name (any of them). Clicks in a message that
#: names none still count in their CTA's email (`EVENT_EMAIL`), but their email is not given
#: to the message's delivery and opens: only clicked messages would get one, and the
#: email's deliveries would then be its clickers.
MESSAGE_EMAILS = """
CREATE OR REPLACE TABLE message_emails AS
SELECT e.message_id, min(t.email) AS email
FROM events e JOIN template_names t ON e.template = t.template
WHERE e.message_id IS NOT NULL AND NOT e.malformed AND t.email IS NOT NULL
GROUP BY e.message_id
"""

#: The one email the whole input names, if it names exactly one (provider names and the
#: emails of clicked links together); NULL otherwise.
SOLE_EMAIL = """
CREATE OR REPLACE TABLE sole_email AS
SELECT CASE WHEN count(DISTINCT email) = 1 THEN min(email) END AS email FROM (
    SELECT email FROM template_names
    UNION ALL
    SELECT l.email FROM url_links u JOIN link_emails l ON u.link_id = l.link_id
)
"""

#: Statements in the order they run.
STATEMENTS: tuple[tuple[str, str], ...] = (
    ("link_homes", LINK_HOMES),
    ("template_matches", TEMPLATE_MATCHES),
    ("name_homes", NAME_HOMES),
    ("template_names", TEMPLATE_NAMES),
    ("provider_email_names", PROVIDER_EMAIL_NAMES),
    ("message_emails", MESSAGE_EMAILS),
    ("sole_email", SOLE_EMAIL),
)

#: Each message's campaign as the provider recorded it (any of its events): `--by campaign`
#: then keeps a message's delivery and clicks in one group (run before such a view only).
MESSAGE_CAMPAIGNS = """
CREATE OR REPLACE TABLE message_campaigns AS
SELECT message_id, min(campaign) AS campaign FROM events
WHERE message_id IS NOT NULL AND campaign IS NOT NULL AND NOT malformed
GROUP BY message_id
"""

#: Statements a `--by` view needs first.
VIEW_STATEMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "campaign": (("message_campaigns", MESSAGE_CAMPAIGNS),),
}

#: Joins that give an event row `e` (with its URL's facts `u`: `url_links`, and `link_homes` as
#: `home_email`) its email: `EVENT_EMAIL`.
EVENT_EMAIL_JOINS = """
    LEFT JOIN message_emails me ON e.message_id = me.message_id
    LEFT JOIN template_names tn ON e.template = tn.template
    CROSS JOIN sole_email se"""

#: The email (number) of an event row: its message's, else its own name's, else its clicked
#: link's, else the input's one email.
EVENT_EMAIL = "coalesce(me.email, tn.email, u.home_email, se.email)"


def email_names(engine: Engine) -> dict[int, str]:
    """Email number -> name (the link map's key, or the provider's name)."""
    rows = engine.fetch("SELECT email, name FROM email_names")
    return {int(row["email"]): str(row["name"]) for row in rows}
