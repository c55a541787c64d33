"""CSV as every ctamap command writes it: cells quoted so any text reads back (CR and LF
included), and cells a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any


class CsvWriter:
    """RFC 4180 rows ending in `\\n`. The csv module quotes a field holding a character of its
    line terminator, so with `\\n` a raw CR would go unquoted and split the row for readers:
    rows with a CR are written with every field quoted (quoting is always allowed)."""

    def __init__(self, out: Any) -> None:
        self._minimal = csv.writer(out, lineterminator="\n")
        self._all = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Sequence[object]) -> None:
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            self._all.writerow(row)
        else:
            self._minimal.writerow(row)

    def writerows(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: Any) -> CsvWriter:
    """The CSV writer every ctamap CSV output uses."""
    return CsvWriter(out)


# A cell a spreadsheet would run as a formula starts with one of these (OWASP CSV injection);
# a leading TAB or CR is skipped by some spreadsheets before they look for `=`.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Neutralise a text cell a spreadsheet would evaluate, by prefixing a quote (for reports
    and inventories; the link map, a lockfile read back by ctamap, keeps its cells as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value
