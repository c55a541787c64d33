"""The link map's hand-written JSON encoder gives exactly `json.dumps(indent=2)`'s bytes."""

from __future__ import annotations

import json
from dataclasses import asdict

from hypothesis import given, settings
from hypothesis import strategies as st

from ctamap.ids import SCHEMA, LinkMap, LinkMapEntry, Occurrence

_occurrences = st.builds(
    Occurrence, st.integers(1, 10**6), st.integers(1, 10**4), st.sampled_from(["a", "v:rect"])
)
_entries = st.builds(
    LinkMapEntry,
    id=st.text(min_size=1),  # loads() rejects entries without an id or template
    template=st.text(min_size=1),
    text=st.text(),  # quotes, backslashes, control characters, non-ASCII, surrogates
    kind=st.text(max_size=5),
    role=st.text(max_size=5),
    url=st.text(),
    tracked_url=st.none() | st.text(),
    tracked=st.booleans(),
    status=st.sampled_from(["active", "retired"]),
    occurrences=st.lists(_occurrences, max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_entries, max_size=4))
def test_dumps_equals_the_json_module(entries: list[LinkMapEntry]) -> None:
    linkmap = LinkMap(entries)
    ordered = sorted(entries, key=lambda e: (e.template, e.id))
    reference = {"schema": SCHEMA, "links": [asdict(e) for e in ordered]}
    expected = json.dumps(reference, indent=2, ensure_ascii=False) + "\n"
    assert linkmap.dumps() == expected
    assert LinkMap.loads(linkmap.dumps(), "map.json").entries == ordered
