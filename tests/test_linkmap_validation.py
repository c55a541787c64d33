"""A link map is input: every entry is validated before an ID from it reaches an href. A bad
map is one error naming the map, the entry and the rule (exit 2, nothing written); IDs found in
hrefs are checked by the same grammar; and nothing spliced can end an attribute value."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctamap.config import from_mapping
from ctamap.errors import InputError
from ctamap.linkmap import LinkMap, is_link_id
from ctamap.urls import set_params
from ctamap.workspace import instrument, open_workspace

CTAMAP = str(Path(sys.executable).with_name("ctamap"))
PHISH = 't.x"><a href="https://phish.example.net/login">Verify your account</a><a x="'
PAGE = '<html><body>\n<a href="https://example.com/start">Get started</a>\n</body></html>\n'


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "t.get-started",
        "template": "t.html",
        "text": "Get started",
        "kind": "text",
        "role": "cta",
        "url": "https://example.com/start",
        "tracked_url": None,
        "tracked": False,
        "status": "active",
        "tags": ["a"],
    }
    entry.update(changes)
    return entry


def _project(tmp_path: Path, links: object) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text(
        'first_party_domains = ["example.com"]\n[utm]\ncontent = "{campaign}"\n'
    )
    (tmp_path / "t.html").write_text(PAGE)
    data = {"schema": "ctamap.linkmap/2", "links": links}
    (tmp_path / "ctamap.linkmap.json").write_text(json.dumps(data, indent=2))
    return tmp_path


def test_a_phishing_id_in_the_map_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    project = _project(tmp_path, [_entry(id=PHISH)])
    map_before = (project / "ctamap.linkmap.json").read_bytes()
    run = subprocess.run([CTAMAP, "instrument", "."], cwd=project, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    line = run.stderr.strip()
    assert "ctamap.linkmap.json" in line and "entry #1" in line and "id" in line
    assert "a link ID is lowercase letters" in line and "internal error" not in line
    assert len(run.stderr.strip().splitlines()) == 1
    assert (project / "t.html").read_text() == PAGE
    assert (project / "ctamap.linkmap.json").read_bytes() == map_before


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (_entry(id=["x"]), 'entry #1 (id ["x"]): id ["x"]: a link ID'),
        (_entry(tracked="yes"), 'entry #1 (id "t.get-started"): tracked "yes": must be true'),
        ({"id": "t.a", "template": "t.html"}, "missing field(s) text, kind, role, url"),
        (_entry(status="gone"), 'status "gone": must be "active" or "retired"'),
        (_entry(tags="a"), 'tags "a": must be a list of strings'),
        (_entry(colour="red"), "unknown field(s) colour"),
        ("t.a", 'entry #1: "t.a": an entry must be an object'),
    ],
)
def test_bad_entries_name_the_map_the_entry_and_the_rule(
    tmp_path: Path, entry: object, says: str
) -> None:
    text = json.dumps({"schema": "ctamap.linkmap/2", "links": [_entry(id="t.ok"), entry]})
    with pytest.raises(InputError) as raised:
        LinkMap.loads(text, "maps/ctamap.linkmap.json")
    message = str(raised.value)
    assert message.startswith("maps/ctamap.linkmap.json: invalid link map: ")
    assert says.replace("#1", "#2") in message


def test_v1_positions_of_the_wrong_type_are_an_error_not_a_crash() -> None:
    item = _entry(occurrences=[{"line": "abc", "column": 1, "tag": "a"}])
    del item["tags"]
    text = json.dumps({"schema": "ctamap.linkmap/1", "links": [item]})
    with pytest.raises(InputError, match=r"entry #1 \(id \"t.get-started\"\): occurrences"):
        LinkMap.loads(text, "m.json")


def test_duplicate_ids_and_bad_csv_rows_are_errors() -> None:
    text = json.dumps({"schema": "ctamap.linkmap/2", "links": [_entry(), _entry()]})
    with pytest.raises(InputError, match=r"entry #2 .*the same id as entry #1"):
        LinkMap.loads(text, "m.json")
    csv_map = "id,template,url,tracked\nt.a,t.html,https://e.com,maybe\n"
    with pytest.raises(InputError, match=r'entry #1 .*tracked "maybe"'):
        LinkMap.loads(csv_map, "m.csv")
    with pytest.raises(InputError, match="schema"):
        LinkMap.loads('{"schema": "ctamap.linkmap/9", "links": []}', "m.json")


def test_a_hostile_id_in_an_href_is_not_reused(tmp_path: Path) -> None:
    hostile = 't.x"><img src=x onerror=alert(1)><a x="'
    page = f'<html><body><a href="https://example.com/a?cta_id={quote(hostile)}">Go</a></body>'
    (tmp_path / "t.html").write_text(page)
    config = from_mapping(
        {"first_party_domains": ["example.com"], "utm": {"content": "{campaign}"}}, root=tmp_path
    )
    instrument(open_workspace([tmp_path / "t.html"], config))
    written = (tmp_path / "t.html").read_text()
    assert "onerror" not in re.sub(r'href="[^"]*"', "", written)
    ids = {e["id"] for e in json.loads((tmp_path / "ctamap.linkmap.json").read_text())["links"]}
    assert ids == {"t.go"}


def test_a_quote_in_a_spliced_value_never_ends_the_attribute() -> None:
    assert set_params("https://e.com/", [("cta_id", 'a"b')]) == "https://e.com/?cta_id=a&quot;b"
    single = set_params("https://e.com/", [("cta_id", "a'b")], quote="'")
    assert single == "https://e.com/?cta_id=a&#39;b"


def _outside_hrefs(markup: str) -> str:
    return re.sub(r'href="[^"]*"', 'href=""', markup)


_hostile = st.text(
    alphabet=st.sampled_from("\"'<>&=;/ #%?.-_aZ09\n\t{}`")
    | st.characters(blacklist_categories=("Cs",)),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(link_id=_hostile, data_cta=_hostile, text=_hostile, map_id=_hostile)
def test_hostile_ids_and_values_never_change_markup_outside_hrefs(
    tmp_path: Path, link_id: str, data_cta: str, text: str, map_id: str
) -> None:
    page = (
        "<html><body>\n"
        f'<a href="https://example.com/p?cta_id={quote(link_id)}" '
        f'data-cta="{html.escape(data_cta)}">{html.escape(text)}</a>\n'
        f'<a href="https://example.com/q?cta_id={html.escape(link_id)}">More</a>\n'
        "</body></html>\n"
    )
    target = tmp_path / "t.html"
    target.write_text(page)
    link_map = tmp_path / "map.json"
    entry = _entry(id=map_id, url="https://example.com/q", text="More")
    link_map.write_text(json.dumps({"schema": "ctamap.linkmap/2", "links": [entry]}))
    config = from_mapping(
        {"first_party_domains": ["example.com"], "utm": {"content": "{campaign}"}},
        root=tmp_path,
    )
    try:
        workspace = open_workspace([target], config, map_path=link_map)
    except InputError as error:
        assert not is_link_id(map_id) and "invalid link map" in str(error)
        return
    assert is_link_id(map_id)
    instrument(workspace)
    assert _outside_hrefs(target.read_text()) == _outside_hrefs(page)
