"""Operations the report SQL needs that engines spell differently, as named `ctamap_*` calls.

Stage two is written once, in DuckDB's dialect, calling these names where the dialects part
ways (dbt's per-adapter macros): DuckDB defines them as macros; for any other dialect the
transpiler replaces each call by that dialect's body. Bodies are plain strings here so that
the default (DuckDB) path never imports sqlglot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Every dialect `ctamap report --sql` can print; `duckdb` and `spark` are also engines.
DIALECTS = ("duckdb", "spark", "trino", "bigquery", "snowflake")


@dataclass(frozen=True)
class Op:
    """One portable operation: its parameters and, per dialect, its body over `{param}`s."""

    params: tuple[str, ...]
    bodies: Mapping[str, str]
    """Dialect -> SQL in that dialect, with `{name}` where each parameter's SQL goes."""
    doc: str
    group_refs: str = ""
    """The parameter (a string literal) written with `\\1` back-references: dialects whose
    regex replacement syntax is `$1` (Java's, Trino's) get it rewritten."""


#: Dialects whose regexp_replace replacement strings say `$1` for group 1.
DOLLAR_GROUPS = frozenset({"spark", "trino"})

OPS: Mapping[str, Op] = {
    "ctamap_decode": Op(
        params=("x",),
        # A bad percent-escape must not stop the run: the text stays as it was.
        bodies={
            "duckdb": "coalesce(try(url_decode({x})), {x})",
            # Java's decoder reads `+` as a space; DuckDB's keeps it (so does JavaScript's).
            "spark": "coalesce(try_url_decode(replace({x}, '+', '%2B')), {x})",
            "trino": "coalesce(try(url_decode(replace({x}, '+', '%2B'))), {x})",
            # Neither has a URL decoder: a temporary JavaScript function (see PRELUDES).
            "bigquery": "ctamap_url_decode({x})",
            "snowflake": "ctamap_url_decode({x})",
        },
        doc="URL-decode; the text unchanged where it is not valid percent-encoding.",
    ),
    "ctamap_hash64": Op(
        params=("x",),
        # Spark's `hash` is 32-bit: at a few hundred million values it collides. xxhash64.
        bodies={
            "duckdb": "hash({x})",
            "spark": "xxhash64({x})",
            "trino": "from_big_endian_64(xxhash64(to_utf8(CAST({x} AS VARCHAR))))",
            "bigquery": "FARM_FINGERPRINT(CAST({x} AS STRING))",
            "snowflake": "HASH({x})",
        },
        doc="A 64-bit hash: equality without carrying long strings.",
    ),
    "ctamap_replace_all": Op(
        params=("x", "pattern", "replacement"),
        bodies={
            "duckdb": "regexp_replace({x}, {pattern}, {replacement}, 'g')",
            "spark": "regexp_replace({x}, {pattern}, {replacement})",
            "trino": "regexp_replace({x}, {pattern}, {replacement})",
            "bigquery": "REGEXP_REPLACE({x}, {pattern}, {replacement})",
            "snowflake": "REGEXP_REPLACE({x}, {pattern}, {replacement})",
        },
        doc="Replace every match; `\\1` in the replacement is group 1 in every dialect.",
        group_refs="replacement",
    ),
}

_JS_DECODE = (
    "if (x === null) return null; try { return decodeURIComponent(x); } catch (e) { return x; }"
)

#: Statements a dialect needs before the query (functions it lacks).
PRELUDES: Mapping[str, tuple[str, ...]] = {
    "bigquery": (
        "CREATE TEMP FUNCTION ctamap_url_decode(x STRING) RETURNS STRING LANGUAGE js AS "
        f"'''{_JS_DECODE}'''",
    ),
    "snowflake": (
        "CREATE OR REPLACE TEMPORARY FUNCTION ctamap_url_decode(X VARCHAR) RETURNS VARCHAR "
        "LANGUAGE JAVASCRIPT AS $$ var x = X; " + _JS_DECODE + " $$",
    ),
}


def duckdb_macros() -> tuple[str, ...]:
    """`CREATE TEMP MACRO` statements defining every operation on a DuckDB connection."""
    statements = []
    for name, op in OPS.items():
        body = op.bodies["duckdb"].format(**{p: p for p in op.params})
        statements.append(
            f"CREATE OR REPLACE TEMP MACRO {name}({', '.join(op.params)}) AS ({body})"
        )
    return tuple(statements)
