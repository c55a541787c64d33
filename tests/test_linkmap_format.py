"""The link map's hand-written JSON encoder gives exactly `json.dumps(indent=2)`'s bytes (it
exists because with `indent` json falls back to its pure-Python encoder)."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ctamap.linkmap import SCHEMA, LinkMap, LinkMapEntry

_ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}(\.[a-z0-9][a-z0-9_-]{0,8}){1,2}", fullmatch=True)
_entries = st.builds(
    LinkMapEntry,
    id=_ids,
    # Any characters in a name, inside the project (a map key is never absolute nor `..`).
    template=st.text(min_size=1).map(lambda t: "emails/" + re.sub(r"[/\\\0]", "_", t) + ".html"),
    text=st.text(),  # quotes, backslashes, control characters, non-ASCII, surrogates
    kind=st.text(max_size=5),
    role=st.text(max_size=5),
    url=st.text(),
    tracked_url=st.none() | st.text(),
    tracked=st.booleans(),
    status=st.sampled_from(["active", "retired"]),
    tags=st.lists(st.sampled_from(["a", "v:rect", "area"]), max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_entries, max_size=4, unique_by=lambda e: e.id))
def test_dumps_equals_the_json_module(entries: list[LinkMapEntry]) -> None:
    linkmap = LinkMap(entries)
    ordered = sorted(entries, key=lambda e: (e.template, e.id))
    reference = {"schema": SCHEMA, "links": [e.as_dict() for e in ordered]}
    expected = json.dumps(reference, indent=2, ensure_ascii=False) + "\n"
    assert linkmap.dumps() == expected
    assert LinkMap.loads(linkmap.dumps(), "map.json").entries == ordered
