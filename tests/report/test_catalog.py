"""The emails a link map's templates make up, and the names a provider may give them."""

from __future__ import annotations

from ctamap.linkmap import LinkMapEntry
from ctamap.report.catalog import build_catalog


def _entry(link_id: str, template: str, kind: str = "button") -> LinkMapEntry:
    return LinkMapEntry(link_id, template, "Go", kind, "cta", "https://x.example/", None, False)


ENTRIES = [
    _entry("welcome.go", "emails/welcome.html"),
    _entry("welcome.txt.go", "emails/welcome.txt", "text-version"),
    _entry("receipt.go", "emails/receipt-body-html.html"),
    _entry("receipt.txt.go", "emails/receipt-body-text.html", "text-version"),
    _entry("us-promo.go", "us/promo.html"),
    _entry("uk-promo.go", "uk/promo.html"),
    _entry("base.help", "layouts/base.html"),
]


def test_text_twins_are_parts_of_their_html_email() -> None:
    catalog = build_catalog(ENTRIES)
    assert catalog.email_of["emails/welcome.txt"] == "emails/welcome.html"
    assert catalog.email_of["emails/receipt-body-text.html"] == "emails/receipt-body-html.html"
    assert catalog.part_of["emails/welcome.txt"] == "text"
    assert "emails/welcome.txt" not in catalog.emails


def test_a_layout_is_sent_in_every_email_using_it() -> None:
    layouts = {"layouts/base.html": ("emails/welcome.html", "emails/welcome.txt", "us/promo.html")}
    catalog = build_catalog(ENTRIES, layouts)
    assert "layouts/base.html" not in catalog.emails
    assert catalog.emails_with("layouts/base.html") == ("emails/welcome.html", "us/promo.html")
    assert catalog.templates_of("emails/welcome.html") == (
        "emails/welcome.html",
        "emails/welcome.txt",
        "layouts/base.html",
    )
    # Without the template graph, the layout is a template like any other.
    assert "layouts/base.html" in build_catalog(ENTRIES).emails


def test_provider_names_by_path_file_name_stem_slug_and_link_id_prefix() -> None:
    aliases = build_catalog(ENTRIES).aliases
    for name in ("emails/welcome.html", "welcome.html", "welcome"):
        assert aliases[name] == "emails/welcome.html", name
    assert aliases["receipt"] == "emails/receipt-body-html.html"  # the link IDs' prefix
    assert aliases["us-promo"] == "us/promo.html"
    # Two emails are called promo.html: only their paths and slugs tell them apart.
    assert "promo.html" not in aliases and "promo" not in aliases
    assert aliases["uk/promo.html"] == "uk/promo.html"
