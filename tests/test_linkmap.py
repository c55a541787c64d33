"""The link map is a lockfile: IDs survive edits and reordering, removed CTAs retire."""

from __future__ import annotations

import json
from pathlib import Path

from ctamap.config import from_mapping
from ctamap.workspace import instrument, open_workspace

CONFIG = from_mapping({"first_party_domains": ["example.com"]})

PAGE = """<html><body>
<a href="https://example.com/a">Alpha</a>
<a href="https://example.com/b">Beta</a>
<a href="https://example.com/c">Gamma</a>
</body></html>
"""


def _ids(tmp: Path) -> dict[str, tuple[str, str]]:
    data = json.loads((tmp / "map.json").read_text())
    return {e["text"]: (e["id"], e["status"]) for e in data["links"]}


def _run(tmp: Path, html: str) -> None:
    (tmp / "welcome.html").write_text(html)
    workspace = open_workspace([tmp / "welcome.html"], CONFIG, map_path=tmp / "map.json")
    instrument(workspace, out_dir=tmp / "out")


def test_ids_survive_reordering_and_layout_edits(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    before = _ids(tmp_path)
    lines = PAGE.splitlines()
    reordered = "\n".join(
        [
            lines[0],
            "<table><tr><td>",
            lines[3],
            lines[1],
            lines[2],
            "</td></tr></table>",
            *lines[4:],
        ]
    )
    _run(tmp_path, reordered)
    assert _ids(tmp_path) == before


def test_renamed_text_keeps_id_by_destination(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    _run(tmp_path, PAGE.replace(">Beta<", ">Beta, renamed<"))
    assert _ids(tmp_path)["Beta, renamed"] == ("welcome.beta", "active")


def test_removed_cta_is_retired_and_new_one_gets_new_id(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    _run(
        tmp_path,
        PAGE.replace(
            '<a href="https://example.com/b">Beta</a>', '<a href="https://example.com/d">Delta</a>'
        ),
    )
    ids = _ids(tmp_path)
    assert ids["Beta"] == ("welcome.beta", "retired")
    assert ids["Delta"] == ("welcome.delta", "active")


def test_retired_id_is_never_reused(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    _run(tmp_path, PAGE.replace('<a href="https://example.com/b">Beta</a>\n', ""))
    _run(
        tmp_path,
        PAGE.replace(
            '<a href="https://example.com/b">Beta</a>', '<a href="https://example.com/z">Beta</a>'
        ),
    )
    data = json.loads((tmp_path / "map.json").read_text())
    ids = [e["id"] for e in data["links"]]
    assert len(ids) == len(set(ids))


def test_id_written_in_href_is_recovered_without_a_map(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    instrumented = (tmp_path / "out" / "welcome.html").read_text()
    (tmp_path / "map.json").unlink()
    _run(tmp_path, instrumented.replace("Alpha", "First").replace("/a?", "/a-new?"))
    assert _ids(tmp_path)["First"][0] == "welcome.alpha"


def test_map_bytes_are_deterministic(tmp_path: Path) -> None:
    _run(tmp_path, PAGE)
    first = (tmp_path / "map.json").read_bytes()
    (tmp_path / "map.json").unlink()
    _run(tmp_path, PAGE)
    assert (tmp_path / "map.json").read_bytes() == first
    assert b"T0" not in first and b"timestamp" not in first


def test_untracked_and_text_links_are_in_the_map(tmp_path: Path) -> None:
    (tmp_path / "welcome.txt").write_text("Alpha ( https://example.com/a )\n")
    _run(tmp_path, PAGE.replace("</body>", '<a href="mailto:x@example.com">Mail</a></body>'))
    workspace = open_workspace([tmp_path / "welcome.txt"], CONFIG, map_path=tmp_path / "map.json")
    instrument(workspace)
    data = json.loads((tmp_path / "map.json").read_text())
    by_id = {e["id"]: e for e in data["links"]}
    assert by_id["welcome.mail"]["tracked"] is False
    assert by_id["welcome.txt.alpha"]["kind"] == "text-version"
    assert by_id["welcome.txt.alpha"]["tracked_url"] is None
    assert by_id["welcome.alpha"]["status"] == "active"  # other templates' entries untouched


def test_csv_map_format(tmp_path: Path) -> None:
    (tmp_path / "welcome.html").write_text(PAGE)
    workspace = open_workspace([tmp_path], CONFIG, map_path=tmp_path / "map.csv")
    instrument(workspace, map_format="csv")
    lines = (tmp_path / "map.csv").read_text().splitlines()
    assert lines[0] == "id,template,text,kind,role,url,tracked_url,tracked,status,tags"
    assert lines[1].startswith("welcome.alpha,welcome.html,Alpha,text,cta,https://example.com/a,")


def test_identical_ctas_keep_their_ids_in_document_order(tmp_path: Path) -> None:
    icons = "".join(f'<a href="#"><img src="i{n}.png"></a>\n' for n in range(12))
    page = f"<html><body>\n{icons}</body></html>\n"
    _run(tmp_path, page)
    first = (tmp_path / "map.json").read_bytes()
    _run(tmp_path, page)
    assert (tmp_path / "map.json").read_bytes() == first
