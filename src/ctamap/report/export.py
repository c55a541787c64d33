"""`report --output parquet`: the report's tables for BI tools, written by the engine that
ran the report (DuckDB writes files; Spark writes folders of part files, on any path it can
write, `s3a://` included).

`ctas` and `emails` hold the figures of the JSON report; `excluded` one row per excluded
event, straight from the engine (it can be as long as the log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ctamap.report.model import Report, Schema, Summary

if TYPE_CHECKING:
    from ctamap.report.engines import Engine

CTA_SCHEMA: Schema = (
    ("id", "VARCHAR"),
    ("template", "VARCHAR"),
    ("text", "VARCHAR"),
    ("url", "VARCHAR"),
    ("role", "VARCHAR"),
    ("status", "VARCHAR"),
    ("total_clicks", "BIGINT"),
    ("unique_clicks", "BIGINT"),
    ("click_share", "DOUBLE"),
    ("ctr", "DOUBLE"),
    ("ctor", "DOUBLE"),
)

_SUMMARY: Schema = (
    ("rows_read", "BIGINT"),
    ("clicks_counted", "BIGINT"),
    ("delivered", "BIGINT"),
    ("unique_opens", "BIGINT"),
    ("open_rate", "DOUBLE"),
    ("unique_clickers", "BIGINT"),
    ("ctr", "DOUBLE"),
    ("ctor", "DOUBLE"),
    ("ctor_human", "DOUBLE"),
    ("unsubscribes", "BIGINT"),
    ("unsubscribe_rate", "DOUBLE"),
)
EMAIL_SCHEMA: Schema = (("email", "VARCHAR"), ("in_link_map", "BOOLEAN"), *_SUMMARY)

#: One row per excluded event, with its email's name.
EXCLUDED = """
SELECT c.reason, c.type, n.name AS email, k.link_id, c.url
FROM classified c LEFT JOIN email_names n ON c.email = n.email
LEFT JOIN (SELECT DISTINCT link_no, link_id FROM url_links WHERE link_no IS NOT NULL) k
    ON c.link_no = k.link_no
WHERE c.reason IS NOT NULL
"""

TABLES = ("ctas", "emails", "excluded")


def _summary_row(summary: Summary) -> tuple[object, ...]:
    return tuple(getattr(summary, name) for name, _ in _SUMMARY)


def write_parquet(engine: Engine, report: Report, folder: str) -> list[str]:
    """The three tables under `folder`; their paths."""
    ctas = [tuple(getattr(cta, name) for name, _ in CTA_SCHEMA) for cta in report.ctas]
    emails = [(e.email, e.in_link_map, *_summary_row(e.summary)) for e in report.emails]
    engine.load_table("ctamap_export_ctas", CTA_SCHEMA, ctas)
    engine.load_table("ctamap_export_emails", EMAIL_SCHEMA, emails)
    base = folder.rstrip("/")
    written = []
    for name, sql in (
        ("ctas", "SELECT * FROM ctamap_export_ctas"),
        ("emails", "SELECT * FROM ctamap_export_emails"),
        ("excluded", EXCLUDED),
    ):
        target = f"{base}/{name}.parquet"
        engine.write_parquet(target, sql)
        written.append(target)
    return written
