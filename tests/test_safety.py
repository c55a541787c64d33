"""Never damage a user's file: bad input is reported and left alone, writes are atomic."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ctamap.config import from_mapping
from ctamap.workspace import instrument, open_workspace

CONFIG = from_mapping({"first_party_domains": ["example.com"]})
GOOD = '<html><body><a href="https://example.com/x">Go</a></body></html>\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<a href="https://example.com/\xff">x</a>', "not valid UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b'line 1\n{% if x %}\n<a href="https://example.com/y">y</a>\n', "never closed"),
        (b'{% for a in b %}<a href="https://example.com/y">y</a>{% endif %}', "closes"),
        (b'<a href="https://example.com/{{ x ">y</a>', "template syntax error"),
    ],
    ids=["invalid-utf8", "binary", "unclosed-if", "mismatched-end", "unclosed-expression"],
)
def test_bad_file_is_reported_and_untouched_others_still_run(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "bad.html").write_bytes(content)
    (tmp_path / "good.html").write_text(GOOD)
    workspace = open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.json")
    result = instrument(workspace)
    assert len(workspace.errors) == 1
    assert (workspace.errors[0].path or "").endswith("bad.html")
    assert message in str(workspace.errors[0])
    assert (tmp_path / "bad.html").read_bytes() == content
    assert "cta_id=good.go" in (tmp_path / "good.html").read_text()
    assert result.changed


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text("a\nb\n{% if x %}\nc\n")
    workspace = open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.json")
    assert workspace.errors[0].line == 3


def test_oversized_file_is_a_clear_error(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"x" * 6_000_000 + b"</p>")
    workspace = open_workspace([big], CONFIG, map_path=tmp_path / "map.json")
    assert "over the 5.0 MB limit" in str(workspace.errors[0])


def test_mode_is_kept_and_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(GOOD)
    page.chmod(0o640)
    plain = tmp_path / "plain.html"
    plain.write_text("<p>no links</p>\n")
    os.utime(plain, (1_000_000, 1_000_000))
    instrument(open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.json"))
    assert stat.S_IMODE(page.stat().st_mode) == 0o640
    assert plain.stat().st_mtime == 1_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_text_versions_are_never_written(tmp_path: Path) -> None:
    text = "Go ( https://example.com/x )\r\n"
    (tmp_path / "page.txt").write_bytes(text.encode())
    (tmp_path / "page.html").write_text(GOOD)
    result = instrument(open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.json"))
    assert (tmp_path / "page.txt").read_bytes() == text.encode()
    assert [Path(c).name for c in result.changed] == ["page.html"]


def test_check_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(GOOD)
    result = instrument(
        open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.json"), check=True
    )
    assert result.changed and result.map_changed
    assert (tmp_path / "page.html").read_text() == GOOD
    assert not (tmp_path / "map.json").exists()


def test_out_dir_copies_get_the_source_mode_not_0600(tmp_path: Path) -> None:
    page = tmp_path / "src" / "page.html"
    page.parent.mkdir()
    page.write_text(GOOD)
    page.chmod(0o644)
    instrument(
        open_workspace([page.parent], CONFIG, map_path=tmp_path / "map.json"),
        out_dir=tmp_path / "o",
    )
    assert stat.S_IMODE((tmp_path / "o" / "page.html").stat().st_mode) == 0o644
