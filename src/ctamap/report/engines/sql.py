"""DuckDB-dialect report SQL -> another dialect, through sqlglot, with the `ctamap_*`
operations (`portable.OPS`) replaced by each dialect's body.

Imported only by the Spark engine and `report --sql`: sqlglot takes ~300 ms to import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import sqlglot
from sqlglot import exp

from ctamap.report.engines.base import split_create, split_insert
from ctamap.report.engines.portable import DIALECTS, DOLLAR_GROUPS, OPS, PRELUDES, Op
from ctamap.report.model import Schema

#: sqlglot's name for each dialect where it differs from ours.
_SQLGLOT = {"duckdb": "duckdb", "spark": "spark", "trino": "trino", "bigquery": "bigquery"}


def _sqlglot(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    return _SQLGLOT.get(dialect, dialect)


def _expand(tree: exp.Expr, dialect: str, ops: Mapping[str, Op]) -> exp.Expr:
    """Every `ctamap_*(…)` call in `tree` replaced by its body in `dialect` (inner first)."""

    def replace(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Anonymous) or str(node.this).lower() not in ops:
            return node
        op = ops[str(node.this).lower()]
        if dialect not in op.bodies:
            raise ValueError(f"{node.this} has no {dialect} definition")
        args = node.expressions
        if len(args) != len(op.params):
            raise ValueError(f"{node.this} takes {len(op.params)} arguments, got {len(args)}")
        rendered = {}
        for param, arg in zip(op.params, args, strict=True):
            arg = _expand(arg.copy(), dialect, ops)
            if param == op.group_refs and dialect in DOLLAR_GROUPS:
                if not (isinstance(arg, exp.Literal) and arg.is_string):
                    raise ValueError(f"{node.this}: {param} must be a string literal")
                arg = exp.Literal.string(re.sub(r"\\(\d)", r"$\1", arg.this))
            rendered[param] = arg.sql(dialect=_sqlglot(dialect))
        body = op.bodies[dialect].format(**rendered)
        return sqlglot.parse_one(body, read=_sqlglot(dialect))

    return tree.transform(replace)


def _snowflake_contains(node: exp.Expr) -> exp.Expr:
    # Snowflake's REGEXP_LIKE matches the whole string; DuckDB's regexp_matches any part.
    if isinstance(node, exp.RegexpLike):
        instr = exp.Anonymous(this="REGEXP_INSTR", expressions=[node.this, node.expression])
        return exp.GT(this=instr, expression=exp.Literal.number(0))
    return node


def _spark_json_text(node: exp.Expr) -> exp.Expr:
    # The Spark readers hold JSON as text: a cast to JSON is the text itself (sqlglot would
    # write to_json, which wants a struct).
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.JSON):
        text: exp.Expr = node.this
        return text
    return node


#: Per dialect, rewrites sqlglot does not make itself (semantics it keeps only by name).
_FIXES: dict[str, tuple[Callable[[exp.Expr], exp.Expr], ...]] = {
    "snowflake": (_snowflake_contains,),
    "spark": (_spark_json_text,),
}


def parse(statement: str) -> exp.Expr:
    """One DuckDB-dialect statement as a sqlglot tree."""
    tree = sqlglot.parse_one(statement, read="duckdb")
    if tree is None:
        raise ValueError("empty statement")
    return tree


def convert(tree: exp.Expr, dialect: str, ops: Mapping[str, Op] = OPS) -> exp.Expr:
    """A DuckDB-dialect tree made ready to be written in `dialect` (`ops`: the named
    operations to expand)."""
    tree = _expand(tree, dialect, ops)
    for fix in _FIXES.get(dialect, ()):
        tree = tree.transform(fix)
    return tree


def transpile(
    statement: str, dialect: str, *, pretty: bool = False, ops: Mapping[str, Op] = OPS
) -> str:
    """One DuckDB-dialect statement written in `dialect`."""
    tree = convert(parse(statement), dialect, ops)
    return tree.sql(dialect=_sqlglot(dialect), pretty=pretty)


def _literal(value: object, kind: str) -> str:
    if value is None:
        return f"CAST(NULL AS {kind})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def rows_select(schema: Schema, rows: Sequence[tuple[object, ...]]) -> str:
    """A DuckDB-dialect SELECT giving `rows` (no rows: one typed row, filtered out)."""
    selects = [
        "SELECT "
        + ", ".join(
            f"CAST({_literal(value, kind)} AS {kind}) AS {column}"
            for value, (column, kind) in zip(row, schema, strict=True)
        )
        for row in rows
    ]
    if not selects:
        columns = ", ".join(f"CAST(NULL AS {kind}) AS {column}" for column, kind in schema)
        return f"SELECT {columns} WHERE false"
    return " UNION ALL ".join(selects)


class Script:
    """Stage two as the statements the pipeline ran, kept as CTEs for one dialect's query.

    Every table a statement creates (or appends to) becomes a CTE; a table appended to gets a
    new name (`t__2`), and later statements read the newest one."""

    def __init__(self, inputs: Mapping[str, str]) -> None:
        #: (CTE name, DuckDB-dialect tree) in the order they were made.
        self.ctes: list[tuple[str, exp.Expr]] = []
        self.queries: list[exp.Expr] = []
        self._current: dict[str, str] = dict(inputs)
        self._inputs = dict(inputs)

    def _renamed(self, tree: exp.Expr) -> exp.Expr:
        def rename(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Table) and not node.args.get("db"):
                current = self._current.get(node.name)
                if current is not None and current != node.name:
                    alias = node.alias or node.name
                    return exp.to_table(current).as_(alias)
            return node

        return tree.transform(rename)

    def table(self, name: str, select: str) -> None:
        """`name` is (now) the rows of `select`."""
        tree = self._renamed(parse(select))
        cte_name = name if name not in self._current else f"{name}__{len(self.ctes) + 1}"
        self._current[name] = cte_name
        self.ctes.append((cte_name, tree))

    def statement(self, sql: str) -> None:
        """Record one `CREATE OR REPLACE TABLE … AS` or `INSERT INTO t (…) SELECT …`."""
        created = split_create(sql)
        if created is not None:
            self.table(*created)
            return
        inserted = split_insert(sql)
        if inserted is None:
            raise ValueError(f"cannot record statement: {sql.strip()[:60]}")
        name, columns, select = inserted
        previous = self._current.get(name, name)
        self.table(name, f"SELECT {', '.join(columns)} FROM {previous} UNION ALL {select}")

    def query(self, sql: str) -> None:
        """Record one SELECT whose rows are a result."""
        self.queries.append(self._renamed(parse(sql)))

    def render(self, dialect: str, *, title: str) -> str:
        """One self-contained query per result, in `dialect`, after its preludes."""
        target = _sqlglot(dialect)
        parts = [f"-- {title}", *(f"{p};" for p in PRELUDES.get(dialect, ()))]
        for number, query in enumerate(self.queries, 1):
            final = query.copy()
            ctes = [
                exp.CTE(this=tree.copy(), alias=exp.TableAlias(this=exp.to_identifier(name)))
                for name, tree in self.ctes
            ]
            # A query with CTEs of its own keeps them, after the tables they read.
            own = final.args.get("with_")
            ctes.extend(own.expressions if own is not None else [])
            final.set("with_", exp.With(expressions=ctes))
            columns = ", ".join(
                s.alias_or_name for s in getattr(final, "selects", []) if s.alias_or_name
            )
            parts.append(f"-- result {number}: {columns}")
            parts.append(convert(final, dialect).sql(dialect=target, pretty=True) + ";")
        return "\n".join(parts) + "\n"
