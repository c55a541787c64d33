"""Stage two, template identity: which email each event belongs to, one answer per message.

The provider's own name for the email (`events.template`: a custom arg, tag, template ID ...)
is matched to the link map's emails by path, file name, stem or slug (`email_aliases`); a name
the link map does not know is an email of its own. A message without one takes the email of
the CTAs clicked in it. Every event of a message then shares the message's email, so a
delivery, its opens and its clicks are never split across two names. When the whole input
names one email only, events that name none belong to it.

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

#: Each distinct provider name -> the email it names; a name the link map does not know gets
#: a number of its own, after the link map's emails.
TEMPLATE_NAMES = f"""
CREATE OR REPLACE TABLE template_names AS
SELECT t.template,
    coalesce(a.email, s.email, n.known + dense_rank() OVER (ORDER BY t.template)) AS email,
    coalesce(a.email, s.email) IS NOT NULL AS known
FROM (SELECT DISTINCT template FROM events WHERE template IS NOT NULL AND NOT malformed) t
CROSS JOIN (SELECT count(*) AS known FROM email_names) n
LEFT JOIN email_aliases a ON a.alias = lower(trim(t.template))
LEFT JOIN email_aliases s ON s.alias = {_SLUG}
"""

#: Names of the emails only the provider knows.
PROVIDER_EMAIL_NAMES = """
INSERT INTO email_names (email, name)
SELECT email, template AS name FROM template_names WHERE NOT known
"""

#: Links sent in exactly one email: a click on one says which email it came from (a layout
#: link used by several emails does not).
LINK_HOMES = """
CREATE OR REPLACE TABLE link_homes AS
SELECT link_id, min(email) AS email FROM link_emails GROUP BY link_id HAVING count(*) = 1
"""

#: Each message's email: the provider's name (any of its events), else the one email of the
#: CTAs clicked in it. Only rows that can say something are grouped.
MESSAGE_EMAILS = """
CREATE OR REPLACE TABLE message_emails AS
SELECT message_id, email FROM (
    SELECT e.message_id,
        coalesce(min(t.email),
                 CASE WHEN count(DISTINCT h.email) = 1 THEN min(h.email) END) AS email
    FROM events e
    LEFT JOIN template_names t ON e.template = t.template
    LEFT JOIN url_links u ON e.type = 'click' AND e.url = u.url
    LEFT JOIN link_homes h ON u.link_id = h.link_id
    WHERE e.message_id IS NOT NULL AND NOT e.malformed
        AND (e.template IS NOT NULL OR e.type = 'click')
    GROUP BY e.message_id
) WHERE email IS NOT NULL
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
    ("template_names", TEMPLATE_NAMES),
    ("provider_email_names", PROVIDER_EMAIL_NAMES),
    ("link_homes", LINK_HOMES),
    ("message_emails", MESSAGE_EMAILS),
    ("sole_email", SOLE_EMAIL),
)

#: Joins that give an event row `e` (with its `url_links` row `u`) its email: `EVENT_EMAIL`.
EVENT_EMAIL_JOINS = """
    LEFT JOIN message_emails me ON e.message_id = me.message_id
    LEFT JOIN template_names tn ON e.template = tn.template
    LEFT JOIN link_homes lh ON u.link_id = lh.link_id
    CROSS JOIN sole_email se"""

#: The email (number) of an event row: its message's, else its own name's, else its clicked
#: link's, else the input's one email.
EVENT_EMAIL = "coalesce(me.email, tn.email, lh.email, se.email)"


def email_names(engine: Engine) -> dict[int, str]:
    """Email number -> name (the link map's key, or the provider's name)."""
    rows = engine.fetch("SELECT email, name FROM email_names")
    return {int(row["email"]): str(row["name"]) for row in rows}
