"""`ctamap linkmap export`: the link map as the `links` table the report joins (`LINK_SCHEMA`),
as CSV or Parquet, for a warehouse that runs `report --sql` (its `--map-table`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ctamap.errors import InputError
from ctamap.report.linkmap import load_link_maps
from ctamap.report.model import LINK_SCHEMA, column_names


def write_link_table(map_path: Path, target: Path, fmt: str) -> int:
    """Write the map's links to `target` (`csv` or `parquet`); how many rows."""
    entries = load_link_maps((map_path,))
    names = column_names(LINK_SCHEMA)
    rows = [tuple(getattr(entry, name) for name in names) for entry in entries]
    if fmt == "parquet":
        from ctamap.report.engines.duckdb import write_rows_parquet

        write_rows_parquet(target, LINK_SCHEMA, rows)
        return len(rows)
    # A file to load, not to open in a spreadsheet: values are written as they are (a URL
    # starting with `=` must arrive unchanged), and an empty cell is NULL.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    try:
        target.write_text(out.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", path=str(target)) from None
    return len(rows)
