"""docs/utm.md shows what `instrument` does: each `<!-- utm-example -->` is followed by a config,
a template and the template after `instrument`, run here as a user would run them. A
`<!-- utm-example: name, then -->` continues example `name`'s folder (its link map included)
with a new config: only the config and the result follow it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

PAGE = REPO / "docs" / "utm.md"
_MARKER = re.compile(r"<!-- utm-example(?:: (?P<name>[\w-]+)(?P<then>, then)?)? -->")
_BLOCK = re.compile(r"```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)


def _examples() -> list[tuple[str, str | None, bool, list[str]]]:
    text = PAGE.read_text(encoding="utf-8")
    found = []
    for index, marker in enumerate(_MARKER.finditer(text)):
        then = bool(marker.group("then"))
        blocks = [m.group("body") for m in _BLOCK.finditer(text, marker.end())][: 2 if then else 3]
        found.append(
            (f"{index}-{marker.group('name') or 'fresh'}", marker.group("name"), then, blocks)
        )
    return found


EXAMPLES = _examples()


def test_the_page_has_examples_and_is_linked_from_the_index() -> None:
    assert len(EXAMPLES) >= 5
    assert "(utm.md)" in (REPO / "docs" / "README.md").read_text(encoding="utf-8")


def test_every_example_is_what_instrument_does(tmp_path: Path) -> None:
    folders: dict[str, Path] = {}
    for label, name, then, blocks in EXAMPLES:
        if then:
            assert name in folders, f"{label}: continues an example that is not above it"
            folder, (config, after) = folders[name], blocks
        else:
            folder = tmp_path / label
            (folder / ".git").mkdir(parents=True)
            config, before, after = blocks
            (folder / "email.html").write_text(before, encoding="utf-8")
            if name:
                folders[name] = folder
        (folder / "ctamap.toml").write_text(config, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "ctamap", "instrument", "email.html"],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{label}: {done.stderr}"
        assert (folder / "email.html").read_text(encoding="utf-8") == after, label


@pytest.mark.parametrize(
    "line",
    [line for line in PAGE.read_text(encoding="utf-8").splitlines() if "ctamap: error:" in line],
)
def test_every_error_shown_is_one_ctamap_prints(line: str, tmp_path: Path) -> None:
    """The config errors quoted on the page are worded as ctamap words them today."""
    message = line.split("ctamap.toml:", 1)[1].split(": ", 1)[1]
    key = re.match(r"(\S+) = ", message)
    assert key is not None, line
    from ctamap.config import from_mapping
    from ctamap.errors import ConfigError

    samples = {
        "utm.campaign": {"utm": {"campaign": "Spring Sale"}},
        "utm.term": {"utm": {"term": "{email}"}},
        "link_id_param": {"link_id_param": "", "utm": {"content": ""}},
    }
    with pytest.raises(ConfigError) as raised:
        from_mapping(samples[key.group(1)])
    assert message in str(raised.value)
