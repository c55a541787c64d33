"""JSON lines at DuckDB's own speed: a flat provider's field map over `read_json`'s columns.

`read_json` with declared columns parses each line once, straight into typed vectors. The
generic reader (`normalise.records`) keeps each line as JSON text and parses it again for every
field: 4x slower on SendGrid events. So for a provider whose events are flat records (no
`records` layers), the field map is rewritten over declared columns:
`json_extract_string(j, '$.key')` becomes the VARCHAR column `key` (DuckDB gives a VARCHAR
column the same text `json_extract_string` gives: numbers and booleans as written, objects
and arrays as JSON) and `json_extract_string(j, '$.key.rest')` becomes
`json_extract_string(key, '$.rest')` over `key` declared as JSON.

Per-line tolerance stays: with `ignore_errors` a line that is not JSON (or not UTF-8) is a row
of NULLs, hence one malformed row. A line holding a whole POST body (an array) is a row of
NULLs too; when a file has such rows, `batch_statements` reads its array lines again with the
generic reader and replaces each one's NULL row with its events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from ctamap.report.providers.base import Fields, sql_string

#: `js(path)` over the record `j`, as the providers write it.
_OVER_RECORD = re.compile(r"json_extract_string\(j, '((?:[^']|'')*)'\)")
#: The first key of a JSON path (`$.key` or `$."key with-dashes"`) and the rest of the path.
_FIRST_KEY = re.compile(r'\$\.(?:"([^"]*)"|([^."\[\]]+))(.*)', re.DOTALL)
#: Any other use of the record (`json_type(j)`, `json_extract(j, …)`) needs the JSON text.
_BARE_RECORD = re.compile(r"\bj\b")


@dataclass(frozen=True)
class Declared:
    """A field map over declared `read_json` columns."""

    columns: tuple[tuple[str, str], ...]
    """(JSON key, DuckDB type) per column, in column order (`c0`, `c1`, …)."""
    fields: Fields
    by_value: str

    def read(self, path: str, compression: str) -> str:
        """SELECT of the declared columns of a JSON-lines file, one row per non-blank line."""
        declared = ", ".join(f"{sql_string(key)}: '{kind}'" for key, kind in self.columns)
        # Selected under positional names: a JSON key may be called `type`, `url` or `time`,
        # which the normalising SELECT uses as its own column names.
        renamed = ", ".join(
            f'"{key.replace(chr(34), chr(34) * 2)}" AS c{n}'
            for n, (key, _) in enumerate(self.columns)
        )
        return (
            f"SELECT {renamed} FROM read_json({sql_string(path)}, "
            f"format = 'newline_delimited', columns = {{{declared}}}, ignore_errors = true, "
            f"compression = {compression}, maximum_object_size = {MAX_LINE})"
        )


#: The longest line read (a whole webhook POST body); a longer one is one malformed row.
MAX_LINE = 16 * 1024 * 1024


def _split(path: str) -> tuple[str, str] | None:
    """`$.key.rest` -> (`key`, `$.rest`); None for a path that does not start with a key."""
    match = _FIRST_KEY.fullmatch(path)
    if match is None:
        return None
    key = match.group(1) if match.group(1) is not None else match.group(2)
    return key, "$" + match.group(3)


def declare(record_fields: Fields, by_value: str) -> Declared | None:
    """The field map rewritten over declared columns, or None when some field needs the whole
    record (then the generic reader is used)."""
    expressions = {f.name: getattr(record_fields, f.name) for f in fields(Fields)}
    expressions["by_value"] = by_value
    uses: dict[str, set[str]] = {}
    for sql in expressions.values():
        for match in _OVER_RECORD.finditer(sql):
            split = _split(match.group(1).replace("''", "'"))
            if split is None:
                return None
            uses.setdefault(split[0], set()).add(split[1])
    if not uses:
        return None
    keys = list(uses)
    kinds = {key: "VARCHAR" if paths == {"$"} else "JSON" for key, paths in uses.items()}

    def rewrite(match: re.Match[str]) -> str:
        key, rest = _split(match.group(1).replace("''", "'")) or ("", "")
        column = f"c{keys.index(key)}"
        if kinds[key] == "VARCHAR":
            return column
        return f"json_extract_string({column}, {sql_string(rest)})"

    rewritten = {}
    for name, sql in expressions.items():
        new = _OVER_RECORD.sub(rewrite, sql)
        if _BARE_RECORD.search(_strip_literals(new)):
            return None
        rewritten[name] = new
    by = rewritten.pop("by_value")
    return Declared(
        tuple((key, kinds[key]) for key in keys), replace(record_fields, **rewritten), by
    )


def _strip_literals(sql: str) -> str:
    """`sql` with its string literals emptied (a `j` inside a JSON path is not the record)."""
    return re.sub(r"'(?:[^']|'')*'", "''", sql)
