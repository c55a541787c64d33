"""Every CSV ctamap writes reads back cell for cell (a raw CR used to go unquoted and split the
row); inventory and report cells a spreadsheet would run are neutralised by one function; a
map kept as CSV stays CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ctamap.csvfile import csv_writer, spreadsheet_safe
from ctamap.linkmap import LinkMap, LinkMapEntry, dumps

CTAMAP = str(Path(sys.executable).with_name("ctamap"))
_cells = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cells, min_size=1, max_size=5), max_size=5))
def test_the_csv_writer_round_trips_any_text(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    back = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert back == rows


@settings(max_examples=100, deadline=None)
@given(text=_cells, url=_cells, tracked_url=_cells)
def test_the_csv_link_map_round_trips(text: str, url: str, tracked_url: str) -> None:
    entry = LinkMapEntry(
        "welcome.go", "emails/welcome.html", text, "text", "cta", url,
        tracked_url or None, bool(tracked_url), "active", ("v:roundrect", "a"),
    )  # fmt: skip
    assert LinkMap.loads(dumps([entry], "csv"), "map.csv").entries == [entry]


def test_a_carriage_return_in_an_href_keeps_inventory_csv_and_the_csv_map_readable(
    tmp_path: Path,
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    (tmp_path / "t.html").write_text(
        "<html><body>\n"
        '<a href="https://example.com/a&#13;b">=HYPERLINK("x")</a>\n'
        '<a href="https://example.com/c">\t=1+1</a>\n'
        "</body></html>\n"
    )
    inventory = subprocess.run(
        [CTAMAP, "inventory", "--format", "csv", "t.html"], cwd=tmp_path, capture_output=True
    )
    assert inventory.returncode == 0, inventory.stderr
    stdout = inventory.stdout.decode()  # bytes: text mode would turn the CR into a newline
    rows = list(csv.reader(io.StringIO(stdout, newline="")))
    assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows)
    assert rows[1][7] == "https://example.com/a\rb"
    texts = {r[6] for r in rows[1:]}
    assert texts == {'\'=HYPERLINK("x")', "'\t=1+1"} or all(t.startswith("'") for t in texts)
    done = subprocess.run(
        [CTAMAP, "instrument", "--map-format", "csv", "t.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    again = subprocess.run(
        [CTAMAP, "instrument", "--check", "t.html"], cwd=tmp_path, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr  # read back, and nothing to change


def test_a_csv_map_stays_csv_without_the_flag(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n')
    page = tmp_path / "t.html"
    page.write_text('<html><body>\n<a href="https://example.com/a">A</a>\n</body></html>\n')
    subprocess.run([CTAMAP, "instrument", "--map-format", "csv", "t.html"], cwd=tmp_path)
    link_map = tmp_path / "ctamap.linkmap.json"
    assert link_map.read_text().startswith("id,template,")
    page.write_text(
        page.read_text().replace("</body>", '<a href="https://example.com/b">B</a>\n</body>')
    )
    done = subprocess.run([CTAMAP, "instrument", "t.html"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0
    text = link_map.read_text()
    assert text.startswith("id,template,") and "t.b," in text
    # --map-format still converts on purpose.
    subprocess.run([CTAMAP, "instrument", "--map-format", "json", "t.html"], cwd=tmp_path)
    assert json.loads(link_map.read_text())["schema"] == "ctamap.linkmap/2"


def test_one_spreadsheet_rule_for_every_csv_output() -> None:
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("Get started") == "Get started"
    from ctamap.report import render

    assert render.safe_cell is spreadsheet_safe
