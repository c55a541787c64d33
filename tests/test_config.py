from __future__ import annotations

from pathlib import Path

import pytest

from ctamap.config import from_mapping, load
from ctamap.errors import ConfigError


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_party_domain": []}, "did you mean 'first_party_domains'"),
        ({"utm": {"sorce": "x"}}, "did you mean 'source'"),
        ({"utm": {"source": "News Letter"}}, "not house style"),
        ({"utm": {"medium": "Email"}}, "not house style"),
        ({"utm": {"existing": "replace"}}, "keep' or 'override"),
        ({"pixel": {"position": "middle"}}, "top' or 'bottom"),
        ({"template_syntax": "erb"}, "template_syntax must be one of"),
        ({"first_party_domains": "example.com"}, "must be a list of strings"),
        ({"link_id_param": "CTA-ID"}, "link_id_param"),
    ],
)
def test_bad_config_is_an_error(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        from_mapping(data)


def test_pyproject_tool_table_is_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.ctamap]\nlink_id_param = "lid"\n')
    nested = tmp_path / "emails" / "welcome"
    nested.mkdir(parents=True)
    config = load(start=nested)
    assert config.link_id_param == "lid"
    assert config.root == tmp_path.resolve()


def test_search_stops_at_repository_root(tmp_path: Path) -> None:
    (tmp_path / "ctamap.toml").write_text('link_id_param = "outer"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert load(start=repo).link_id_param == "cta_id"


def test_two_config_files_in_one_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text("")
    (tmp_path / ".ctamap.toml").write_text("")
    with pytest.raises(ConfigError, match="two config files"):
        load(start=tmp_path)


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / ".ctamap.toml").write_text('campaign = "fall"\n')
    assert load(start=tmp_path).campaign == "fall"


def test_explicit_config_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text('campaign = "found"\n')
    other = tmp_path / "other.toml"
    other.write_text('campaign = "given"\n')
    assert load(other, start=tmp_path).campaign == "given"
