"""Config discovery as a CI job runs it: from each PATH argument up to the repository root, not
from the current folder; one stderr line when defaults are used; every config error at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctamap.config import configs_for, load
from ctamap.errors import EXIT_ERROR, EXIT_OK, ConfigError

PAGE = """<html><body>
<a href="https://shop.example.com/sale">See the sale</a>
<a href="https://twitter.com/example">Follow us</a>
<a href="https://example.com/unsubscribe">Unsubscribe</a>
</body></html>
"""


def _ctamap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctamap", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A monorepo whose `shop/` folder keeps its own templates and config; nothing at the top."""
    top = tmp_path / "mono"
    (top / ".git").mkdir(parents=True)
    shop = top / "shop"
    (shop / "emails").mkdir(parents=True)
    (shop / "ctamap.toml").write_text(
        'first_party_domains = ["shop.example.com"]\n[utm]\nsource = "shop"\n'
    )
    (shop / "emails" / "sale.html").write_text(PAGE)
    return top


def test_config_is_found_from_the_path_not_the_current_folder(monorepo: Path) -> None:
    result = _ctamap("instrument", "shop/emails", cwd=monorepo)
    assert result.returncode == EXIT_OK, result.stderr
    text = (monorepo / "shop" / "emails" / "sale.html").read_text()
    assert "sale?utm_source=shop&amp;" in text
    assert 'href="https://twitter.com/example"' in text  # third-party under shop's config
    # The map lands next to the config that governs the templates, keyed relative to it.
    assert not (monorepo / "ctamap.linkmap.json").exists()
    links = json.loads((monorepo / "shop" / "ctamap.linkmap.json").read_text())["links"]
    assert {e["template"] for e in links} == {"emails/sale.html"}
    assert "defaults" not in result.stderr


def test_audit_and_inventory_use_the_path_config_too(monorepo: Path) -> None:
    inventory = _ctamap("inventory", "--format", "json", "shop/emails/sale.html", cwd=monorepo)
    assert inventory.returncode == EXIT_OK, inventory.stderr
    roles = {e["url"]: e["role"] for e in json.loads(inventory.stdout)["links"]}
    assert roles["https://twitter.com/example"] == "third-party"
    audit = _ctamap("audit", "--select", "T001", "shop", cwd=monorepo)
    assert "T001" in audit.stdout and "utm_source" in audit.stdout


def test_paths_under_different_configs_each_use_their_nearest(monorepo: Path) -> None:
    blog = monorepo / "blog"
    blog.mkdir()
    (blog / ".ctamap.toml").write_text('first_party_domains = ["twitter.com"]\n')
    (blog / "post.html").write_text(PAGE)
    result = _ctamap("instrument", "shop/emails", "blog/post.html", cwd=monorepo)
    assert result.returncode == EXIT_OK, result.stderr
    shop = (monorepo / "shop" / "emails" / "sale.html").read_text()
    post = (blog / "post.html").read_text()
    assert "sale?utm_source=shop" in shop and 'href="https://twitter.com/example"' in shop
    assert "https://twitter.com/example?utm_source=newsletter" in post
    assert 'href="https://shop.example.com/sale"' in post  # third-party for the blog
    assert (monorepo / "shop" / "ctamap.linkmap.json").exists()
    assert (blog / "ctamap.linkmap.json").exists()
    assert "updated link map: shop/ctamap.linkmap.json" in result.stderr
    assert "updated link map: blog/ctamap.linkmap.json" in result.stderr


def test_config_option_wins_for_every_path(monorepo: Path) -> None:
    given = monorepo / "ci.toml"
    given.write_text('first_party_domains = ["twitter.com"]\n')
    result = _ctamap("instrument", "--config", "ci.toml", "shop/emails", cwd=monorepo)
    assert result.returncode == EXIT_OK, result.stderr
    text = (monorepo / "shop" / "emails" / "sale.html").read_text()
    assert "twitter.com/example?utm_source=newsletter" in text
    assert (monorepo / "ctamap.linkmap.json").exists()  # next to the given config


def test_defaults_are_announced_once_on_stderr(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.html").write_text(PAGE)
    (tmp_path / "b.html").write_text(PAGE)
    result = _ctamap("inventory", "a", "b.html", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    notices = [line for line in result.stderr.splitlines() if "defaults" in line]
    assert len(notices) == 1, result.stderr
    assert "no config file" in notices[0] and "ctamap.toml" in notices[0]


def test_every_config_error_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "x.html").write_text(PAGE)
    (tmp_path / "ctamap.toml").write_text(
        "# house policy\n"
        'first_party_domain = ["example.com"]\n'
        "max_file_bytes = -1\n"
        "\n"
        "[utm]\n"
        'source = "News Letter"\n'
        'medum = "email"\n'
        "[pixel]\n"
        'position = "middle"\n'
    )
    result = _ctamap("audit", "x.html", cwd=tmp_path)
    assert result.returncode == EXIT_ERROR
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5, result.stderr
    assert lines[0].startswith("ctamap: error: ctamap.toml:2: unknown key 'first_party_domain'")
    assert "did you mean 'first_party_domains'" in lines[0]
    assert lines[1].startswith("ctamap: error: ctamap.toml:3: max_file_bytes")
    assert lines[2].startswith("ctamap: error: ctamap.toml:6: utm.source")
    assert lines[3].startswith("ctamap: error: ctamap.toml:7: unknown key 'utm.medum'")
    assert lines[4].startswith("ctamap: error: ctamap.toml:9: pixel.position")
    assert "Traceback" not in result.stderr


def test_pyproject_errors_name_lines_of_the_tool_table(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ctamap]\nlink_id_param = "CTA"\n\n'
        '[tool.ctamap.utm]\nexisting = "replace"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(start=tmp_path)
    shown = str(caught.value).splitlines()
    assert shown[0].endswith("pyproject.toml:5: link_id_param must be lowercase letters, "
                             "digits or '_' (or \"\" when utm.content carries {link_id}), "
                             "got 'CTA'")  # fmt: skip
    assert ":8: utm.existing must be 'keep' or 'override'" in shown[1]


def test_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text('campaign = "a"\nutm = [\n')
    with pytest.raises(ConfigError, match=r"ctamap.toml:3: not valid TOML"):
        load(start=tmp_path)


def test_grouping_is_by_nearest_config(monorepo: Path) -> None:
    (monorepo / "README.html").write_text(PAGE)
    groups = configs_for(
        [monorepo / "shop" / "emails", monorepo / "shop", monorepo / "README.html"], None
    )
    assert [(g.config.origin.endswith("ctamap.toml"), len(g.paths)) for g in groups] == [
        (True, 2),
        (False, 1),
    ]
    assert groups[1].config.origin == "defaults"
    assert groups[1].config.root == monorepo.resolve()  # the repository root, not cwd


def test_config_command_shows_the_config_of_a_path(monorepo: Path) -> None:
    result = _ctamap("config", "shop/emails", cwd=monorepo)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[0] == "# from: shop/ctamap.toml"
    assert 'source = "shop"' in result.stdout
