"""The template graph: text twins by name and by `[pairs]`, layouts and partials."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctamap import config as configuration
from ctamap.errors import ConfigError
from ctamap.graph import Twins
from ctamap.walk import collect


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("welcome.html", "welcome.txt"),
        ("receipt.html.j2", "receipt.txt.j2"),
        ("promo-body-html.html", "promo-body-text.html"),
        ("launch.mjml", "launch.txt"),
        ("reset_html.hbs", "reset_text.hbs"),
    ],
)
def test_twins_pair_by_name(tmp_path: Path, html: str, text: str) -> None:
    _write(tmp_path, {html: "<p>x</p>", text: "x", "other.txt": "y"})
    config = configuration.from_mapping({}, root=tmp_path)
    files = collect([tmp_path], config)
    by_name = {f.path.name: f for f in files}
    assert by_name[text].is_text
    twins = Twins(config, files)
    assert twins.text_of(by_name[html]) == by_name[text]
    assert twins.html_of(by_name[text]) == by_name[html]
    # Named alone (pre-commit), the HTML file still finds its twin on disk.
    alone = Twins(config, [by_name[html]])
    found = alone.text_of(by_name[html])
    assert found is not None and found.path == by_name[text].path and found.is_text


def test_configured_pairs_cross_folders(tmp_path: Path) -> None:
    _write(tmp_path, {"mjml/welcome.mjml": "<mjml/>", "plain/welcome.text.txt": "x"})
    config = configuration.from_mapping(
        {"pairs": {"mjml/*.mjml": "plain/*.text.txt"}}, root=tmp_path
    )
    files = collect([tmp_path], config)
    by_name = {f.path.name: f for f in files}
    twins = Twins(config, files)
    assert twins.text_of(by_name["welcome.mjml"]) == by_name["welcome.text.txt"]
    alone = Twins(config, [by_name["welcome.mjml"]])
    found = alone.text_of(by_name["welcome.mjml"])
    assert found is not None and found.path == by_name["welcome.text.txt"].path


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        ({"*.mjml": "text/plain.txt"}, "same wildcards (1 and 0)"),
        ({"**/*.mjml": "*.txt"}, "use `*` and `?` only"),
        ({"*.mjml": ["*.txt"]}, "must be a text-version glob"),
    ],
)
def test_bad_pairs_are_config_errors(pairs: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=r".*") as error:
        configuration.from_mapping({"pairs": pairs})
    assert says in str(error.value)
