"""One-file runs read the map's entries on demand and splice their changes into its bytes
(`linkmap_splice`): what they read and write must be exactly what a whole read and re-encode
gives, and any map not in the canonical layout must take the whole path."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import InputError
from ctamap.linkmap import SCHEMA, LinkMap, LinkMapEntry, dumps, loads, read, update
from ctamap.linkmap_splice import SplicedLinkMap

_TEMPLATES = ["emails/a.html", "emails/b.html", "emails/c d.html", "emails/é.html", "z.txt"]
_SLUGS = ["a", "b", "c-d", "e", "z.txt"]
_values = st.text(max_size=12)  # quotes, backslashes, newlines, control characters, non-ASCII


@st.composite
def _entry(draw: st.DrawFn, template: int, n: int) -> LinkMapEntry:
    return LinkMapEntry(
        id=f"{_SLUGS[template]}.{draw(st.sampled_from(['hero', 'shop', 'x']))}-{n}",
        template=_TEMPLATES[template],
        text=draw(_values),
        kind=draw(st.sampled_from(["text", "button", "text-version"])),
        role=draw(st.sampled_from(["cta", "nav"])),
        url=draw(_values),
        tracked_url=draw(st.none() | _values),
        tracked=draw(st.booleans()),
        status=draw(st.sampled_from(["active", "retired"])),
        tags=tuple(draw(st.lists(st.sampled_from(["a", "v:roundrect"]), max_size=2))),
    )


@st.composite
def _map_and_run(
    draw: st.DrawFn,
) -> tuple[list[LinkMapEntry], dict[str, list[LinkMapEntry]]]:
    """A map of some templates' entries, and what a run over some templates produced (new
    entries, kept ones edited, some gone; templates the map has and has not)."""
    entries = [
        draw(_entry(t, n))
        for t in sorted(draw(st.sets(st.integers(0, 4), min_size=1)))
        for n in range(draw(st.integers(1, 4)))
    ]
    fresh: dict[str, list[LinkMapEntry]] = {}
    for t in draw(st.sets(st.integers(0, 4), min_size=1, max_size=3)):
        old = [e for e in entries if e.template == _TEMPLATES[t]]
        kept = [e for e in old if draw(st.booleans())]
        edited = [e._replace(url=draw(_values), status="active") for e in kept]
        new = [draw(_entry(t, 100 + n)) for n in range(draw(st.integers(0, 3)))]
        fresh[_TEMPLATES[t]] = edited + [e._replace(status="active") for e in new]
    return entries, fresh


def _spliced(text: str) -> SplicedLinkMap:
    return SplicedLinkMap(text, "ctamap.linkmap.json", None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_map_and_run())
def test_splice_writes_what_a_whole_re_encode_writes(
    case: tuple[list[LinkMapEntry], dict[str, list[LinkMapEntry]]],
) -> None:
    entries, fresh = case
    text = dumps(entries)
    whole = loads(text, "map.json")
    linkmap = _spliced(text)
    for template in [*_TEMPLATES, "a.html", "zz.html"]:
        assert linkmap.entries_for(template) == whole.entries_for(template)
    for prefix in [*_SLUGS, "a.hero", "q"]:
        assert linkmap.with_prefix(prefix) == whole.with_prefix(prefix)
    for entry in whole.entries:
        assert linkmap.active_ids.get(entry.id) == whole.active_ids.get(entry.id)
    assert linkmap.updated_text(fresh, "json") == dumps(update(whole, fresh))
    assert linkmap.spliced  # a canonical map never needed the whole read


def _bench_map(entries: int) -> str:
    """A map like `bench/bench_links.py`'s: 1000 other templates' links, sorted, as json
    writes it (the bytes `dumps` writes)."""
    links = [
        {
            "id": f"t{n % 1000}.product-{n}",
            "template": f"emails/other{n % 1000}.html",
            "text": f"Product {n}",
            "kind": "text",
            "role": "cta",
            "url": f"https://www.example.com/p/{n}",
            "tracked_url": f"https://www.example.com/p/{n}?utm_source=newsletter&cta_id=t{n}",
            "tracked": True,
            "status": "active",
            "tags": ["a"],
        }
        for n in range(entries)
    ]
    links.sort(key=lambda link: (link["template"], link["id"]))  # as ctamap writes a map
    return json.dumps({"schema": SCHEMA, "links": links}, indent=2) + "\n"


def _new(template: str, slug: str, n: int) -> LinkMapEntry:
    return LinkMapEntry(
        f"{slug}.cta-{n}", template, f"CTA {n}", "text", "cta", f"https://x.test/{n}", None, False
    )


@pytest.mark.parametrize(
    "template",
    ["emails/other500.html", "emails/aaa.html", "emails/other5000.html", "emails/zzz.html"],
    ids=["existing", "new-first", "new-middle", "new-last"],
)
def test_splice_over_the_bench_map(template: str) -> None:
    text = _bench_map(5000)
    whole = loads(text, "map.json")
    linkmap = _spliced(text)
    old = linkmap.entries_for(template)
    assert old == whole.entries_for(template)
    fresh = {template: [*old[1:], _new(template, "t500", 1), _new(template, "t500", 2)]}
    spliced = linkmap.updated_text(fresh, "json")
    assert spliced == dumps(update(whole, fresh))
    assert spliced != text
    assert linkmap.spliced


def _instrument_beside(tmp_path: Path, map_text: str) -> tuple[str, str, SplicedLinkMap | None]:
    """Instrument one template beside `map_text`: the template's and the map's bytes after,
    and the map as a one-file run reads it (None when it takes the whole path)."""
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    page = tmp_path / "emails" / "other7.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(
        '<html><body><a href="https://www.example.com/p/7">Product 7</a>\n'
        '<a href="https://www.example.com/new">Start now</a></body></html>\n'
    )
    map_path = tmp_path / "ctamap.linkmap.json"
    map_path.write_text(map_text, encoding="utf-8")
    read(map_path, spliced=True)  # a map seen canonical once is spliced from then on
    read_as = read(map_path, spliced=True)
    result = CliRunner().invoke(
        app, ["instrument", str(page), "--config", str(tmp_path / "ctamap.toml")]
    )
    assert result.exit_code == 0, result.output
    return (
        page.read_text(),
        map_path.read_text(encoding="utf-8"),
        read_as if isinstance(read_as, SplicedLinkMap) else None,
    )


def test_one_file_instrument_writes_the_map_a_whole_run_writes(tmp_path: Path) -> None:
    canonical = _bench_map(3000)
    # The same entries, written compact: not the canonical layout, so read whole.
    compact = json.dumps(json.loads(canonical)) + "\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    page_a, map_a, spliced_a = _instrument_beside(tmp_path / "a", canonical)
    page_b, map_b, spliced_b = _instrument_beside(tmp_path / "b", compact)
    assert spliced_a is not None and spliced_b is None
    assert page_a == page_b
    assert map_a == map_b  # byte for byte
    assert '"id": "t7.start-now"' in map_a  # the new CTA got the template's slug
    assert map_a.count("\n    {\n") == 3001


def test_a_csv_map_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ctamap.linkmap.csv"
    path.write_text(dumps(loads(_bench_map(20), "m").entries, "csv"))
    found = read(path, spliced=True)
    assert not isinstance(found, SplicedLinkMap)
    assert found.format == "csv" and len(found.entries) == 20


def test_a_v1_map_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(_bench_map(20).replace(SCHEMA, "ctamap.linkmap/1"))
    found = read(path, spliced=True)
    assert not isinstance(found, SplicedLinkMap)
    assert found.schema == "ctamap.linkmap/1" and len(found.entries) == 20


def test_a_map_with_merge_conflict_markers_is_read_whole(tmp_path: Path) -> None:
    text = _bench_map(20)
    blocks = text.split("\n    {\n")
    blocks[5] = blocks[5].replace('"text": "Product 4"', '"text": "Product 4"\n<<<<<<< ours', 1)
    conflicted = "\n    {\n".join(blocks).replace(
        '"text": "Product 5"', '=======\n      "text": "Product 5"\n>>>>>>> theirs', 1
    )
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(conflicted)
    with pytest.raises(InputError, match="not valid JSON"):
        read(path, spliced=True)  # what a whole read says, not a silently spliced map


_HAND_EDITS = {
    # Keys of one entry reordered.
    "keys-reordered": lambda t: t.replace(
        '"kind": "text",\n      "role": "cta"', '"role": "cta",\n      "kind": "text"', 1
    ),
    # A value escaped differently (json reads it the same; ctamap writes it plainly).
    "escaped-differently": lambda t: t.replace('"Product 7"', '"Product \\u0037"', 1),
    # One entry moved under another template: no longer sorted.
    "out-of-order": lambda t: t.replace("emails/other1.html", "emails/zzz.html", 1),
    # A field dropped.
    "field-missing": lambda t: t.replace('      "role": "cta",\n', "", 1),
    # The same layout with a value changed: canonical still, but not known to be.
    "value-changed": lambda t: t.replace('"Product 1"', '"Product one"', 1),
}


def test_a_map_is_spliced_once_known_canonical(tmp_path: Path) -> None:
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(_bench_map(40))
    first = read(path, spliced=True)
    assert not isinstance(first, SplicedLinkMap)  # never seen: read whole, and found canonical
    assert isinstance(read(path, spliced=True), SplicedLinkMap)
    assert not isinstance(read(path), SplicedLinkMap)  # only when asked


@pytest.mark.parametrize("edit", _HAND_EDITS.values(), ids=_HAND_EDITS.keys())
def test_a_hand_edited_map_takes_the_whole_path(tmp_path: Path, edit: Callable[[str], str]) -> None:
    text = _bench_map(40)
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(text)
    assert isinstance(read(path, spliced=True) and read(path, spliced=True), SplicedLinkMap)
    edited = edit(text)
    assert edited != text
    path.write_text(edited)
    try:
        found = read(path, spliced=True)
    except InputError as error:
        assert "invalid link map" in str(error)  # the whole read's error, as before
        return
    assert not isinstance(found, SplicedLinkMap)
    assert found.entries == loads(edited, "m").entries


@pytest.mark.parametrize("name", ["keys-reordered", "escaped-differently", "field-missing"])
def test_a_block_not_as_dumps_writes_it_sends_the_run_to_the_whole_read(name: str) -> None:
    """Second line of defence: every block read is re-encoded and compared."""
    text = _HAND_EDITS[name](_bench_map(40).replace('"Product 1"', '"Product 7"'))
    template = "emails/other1.html"
    linkmap = _spliced(text)
    fresh = {template: [_new(template, "t1", 1)]}
    try:
        whole: LinkMap | None = loads(text, "map.json")
    except InputError:
        whole = None
    if whole is None:
        with pytest.raises(InputError, match="invalid link map"):
            linkmap.updated_text(fresh, "json")
        return
    assert linkmap.entries_for(template) == whole.entries_for(template)
    assert linkmap.updated_text(fresh, "json") == dumps(update(whole, fresh))
    assert not linkmap.spliced


def test_a_duplicate_id_is_the_whole_reads_error(tmp_path: Path) -> None:
    text = _bench_map(40).replace('"id": "t9.product-9"', '"id": "t7.product-7"', 1)
    with pytest.raises(InputError, match="the same id as entry"):
        _spliced(text).with_prefix("t7")


def test_an_id_that_is_not_an_id_is_never_read(tmp_path: Path) -> None:
    """A map-only edit must not put markup into an href: the block is validated as read."""
    text = _bench_map(40).replace('"id": "t7.product-7"', '"id": "t7.x\\" onclick=\\"evil"', 1)
    with pytest.raises(InputError, match="invalid link map"):
        _spliced(text).entries_for("emails/other7.html")


def test_audit_of_one_file_finds_an_id_the_map_gives_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    (tmp_path / "ctamap.linkmap.json").write_text(_bench_map(3000))
    page = tmp_path / "emails" / "mine.html"
    page.parent.mkdir()
    page.write_text(
        '<html><body><a href="https://www.example.com/p/1?cta_id=t8.product-8">Buy</a>'
        "</body></html>\n"
    )
    result = CliRunner().invoke(
        app, ["audit", str(page), "--config", str(tmp_path / "ctamap.toml"), "--select", "T003"]
    )
    assert result.exit_code == 1, result.output
    assert "which the link map gives to emails/other8.html" in re.sub(r"\s+", " ", result.output)


def test_a_map_is_judged_once_per_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking a map canonical costs a whole re-encode: a map found not canonical (here:
    unsorted, as a script might write it) is not checked again on every one-file run."""
    import ctamap.linkmap as lockfile

    encodes: list[int] = []
    real = lockfile.dumps
    monkeypatch.setattr(lockfile, "dumps", lambda *a: encodes.append(1) or real(*a))
    text = _bench_map(40)
    unsorted = text.replace('"emails/other1.html"', '"emails/zzzz.html"', 1)
    path = tmp_path / "ctamap.linkmap.json"
    path.write_text(unsorted)
    for _ in range(3):
        assert not isinstance(read(path, spliced=True), SplicedLinkMap)
    assert len(encodes) == 1
    path.write_text(text)  # a new version is judged again, and then spliced
    assert not isinstance(read(path, spliced=True), SplicedLinkMap)
    assert isinstance(read(path, spliced=True), SplicedLinkMap)
    assert len(encodes) == 2
