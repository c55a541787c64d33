"""The inventory's table: fits the width it is given, loses no character of a long cell and
lines up wide (CJK) characters. Its speed is measured by bench/bench_inventory.py."""

from __future__ import annotations

from ctamap.boxtable import cell_width, render

HEADERS = ("template", "id", "text", "url")


def _body(table: str) -> list[str]:
    return [line for line in table.splitlines() if line.startswith("│")]


def test_every_line_fits_and_long_cells_fold_without_losing_text() -> None:
    url = "https://example.com/" + "a" * 150 + "?utm_source=newsletter"
    rows = [["emails/welcome.html", "welcome.cta", "Start your free trial today", url]]
    table = render("1 links", HEADERS, rows, 80)
    assert table.splitlines()[0] == "1 links"
    assert all(cell_width(line) <= 80 for line in table.splitlines())
    url_column = "".join(line.split("│")[4].strip() for line in _body(table))
    assert url_column == url


def test_wide_characters_keep_the_borders_in_line() -> None:
    table = render(
        "2 links", HEADERS, [["a.html", "a.x", "今すぐ購入", "#"], ["b", "b", "Buy", "#"]], 80
    )
    borders = {tuple(i for i, c in enumerate(_columns(line)) if c in "│┃") for line in _body(table)}
    assert len(borders) == 1


def _columns(line: str) -> list[str]:
    """The line as one entry per terminal column (a wide character fills two)."""
    out: list[str] = []
    for char in line:
        out.extend([char] * cell_width(char))
    return out
