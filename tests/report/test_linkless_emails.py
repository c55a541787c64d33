"""An email with no link of its own (a password reset on the house layout) is an email of the
report too: the link map has no entry for it, yet the layout's links are sent in it, so its
deliveries belong in those links' rates."""

from __future__ import annotations

import shutil
from pathlib import Path

from ctamap.config import load
from ctamap.report import load_link_maps
from ctamap.report.catalog import build_catalog, composition
from tests.clickmap.conftest import LAYOUTS, instrument


def test_an_email_without_links_beside_the_layouts_users_is_one_of_its_emails(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    link_map = instrument(folder, "--config", str(folder / "ctamap.toml"))
    entries = load_link_maps((link_map,))
    assert "emails/password-reset.html" not in {e.template for e in entries}
    found = composition(entries, (folder,), load(folder / "ctamap.toml"))
    emails = ("emails/password-reset.html", "emails/receipt.html", "emails/welcome.html")
    assert found["layouts/base.html"] == emails
    assert found["partials/footer.html"] == emails
    catalog = build_catalog(entries, found)
    assert catalog.emails == emails
    assert catalog.emails_with("layouts/base.html") == emails
    assert catalog.aliases["password-reset"] == "emails/password-reset.html"


def test_a_template_beside_them_that_uses_no_layout_is_not_an_email(tmp_path: Path) -> None:
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    (folder / "emails" / "notes.html").write_text("<p>draft, no layout</p>", encoding="utf-8")
    link_map = instrument(folder, "--config", str(folder / "ctamap.toml"))
    found = composition(load_link_maps((link_map,)), (folder,), load(folder / "ctamap.toml"))
    assert "emails/notes.html" not in found["layouts/base.html"]
