"""`--engine spark`: the same report on Apache Spark through PySpark (`pip install
'ctamap[spark]'`; Java 17+ for local mode, or any Spark master URL).

Stage one reads every input with Spark itself (`spark_readers`: local files, globs, `s3a://`,
`hdfs://`); stage two runs the pipeline's DuckDB-dialect statements transpiled to Spark SQL
(`sql.transpile`), each created table a checkpointed temporary view. Rows reach Python only
as the aggregated figures.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ctamap.errors import CtamapError, InputError
from ctamap.report import filter, normalise
from ctamap.report.detect import detect
from ctamap.report.engines.base import EngineError, split_create, split_insert
from ctamap.report.engines.portable import OPS
from ctamap.report.engines.spark_readers import RECORDS, STAGE_ONE_OPS, records_sql, values_sql
from ctamap.report.engines.sql import transpile
from ctamap.report.linkmap import LinkMapEntry
from ctamap.report.model import (
    EVENT_SCHEMA,
    LINK_SCHEMA,
    ReportOptions,
    Schema,
    SourceNote,
    column_names,
)
from ctamap.report.providers import BY_NAME, generic
from ctamap.report.providers.base import js, json_path
from ctamap.report.sources import SAMPLE_VALUES, Layout, Source, open_sources

INSTALL = "--engine spark needs PySpark: pip install 'ctamap[spark]' (and Java 17+ or a cluster)"

#: Session settings the report's SQL relies on: UTC times kept as UTC wall time (no time
#: zone), case-sensitive names (CSV headers `Email` and `email` are two columns).
SQL_SETTINGS: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.caseSensitive": "true",
    # Plans of cached steps nest each other's text; Spark renders a plan's text on every
    # adaptive re-plan, and unbounded that text grows past the driver's heap.
    "spark.sql.maxPlanStringLength": "65536",
}

#: Settings for a session ctamap starts itself (a session already running is reused as is).
_START_SETTINGS: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
}

#: A path Spark resolves itself: a URI scheme (s3a://, hdfs://, file:) or a glob.
_SPARK_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|[*?\[{]")

_ALL_OPS = {**OPS, **STAGE_ONE_OPS}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def session(master: str) -> Any:
    """The running Spark session, else a new one on `master`."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        if master.startswith("local"):
            # Local mode talks to itself only: no lookup of the host's network address.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = SparkSession.builder.master(master).appName("ctamap report")
        for key, value in {**_START_SETTINGS, **SQL_SETTINGS}.items():
            builder = builder.config(key, value)
        try:
            active = builder.getOrCreate()
        except Exception as exc:  # Java missing, master unreachable: say so in one line
            raise EngineError(f"cannot start Spark on {master} ({_first_line(exc)})") from None
        # stderr carries ctamap's own messages; Spark's warnings would drown them.
        active.sparkContext.setLogLevel("ERROR")
    for key, value in SQL_SETTINGS.items():
        active.conf.set(key, value)
    return active


_SPARK_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "UBIGINT": "bigint",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp_ntz",
    "DOUBLE": "double",
}


def struct(schema: Schema) -> Any:
    """A Spark `StructType` for one of the report's schemas."""
    from pyspark.sql.types import StructType, _parse_datatype_string

    fields = ", ".join(f"`{name}`: {_SPARK_TYPES[kind]}" for name, kind in schema)
    parsed = _parse_datatype_string(f"struct<{fields}>")
    assert isinstance(parsed, StructType)
    return parsed


@dataclass(frozen=True)
class _Input:
    """One input as Spark reads it: where, and what its first records looked like."""

    source: Source
    location: str


def _sample_remote(spark: Any, name: str) -> _Input:
    """Describe a path only Spark can open, from its first lines."""
    from ctamap.report import sources

    try:
        lines = [row.value for row in spark.read.text(name).limit(SAMPLE_VALUES * 2).collect()]
    except Exception as exc:
        raise InputError(f"cannot read events ({_first_line(exc)})", path=name) from None
    text = "\n".join(lines).removeprefix("\ufeff")
    gzipped = name.endswith(".gz")
    if not text.strip():
        return _Input(Source(name, Path(name), gzipped, Layout.JSON_LINES, empty=True), name)
    if text.lstrip()[:1] in ("[", "{"):
        layout, values = sources._json_layout(text)
        return _Input(Source(name, Path(name), gzipped, layout, tuple(values)), name)
    delimiter, header = sources._csv_header(text)
    source = Source(name, Path(name), gzipped, Layout.CSV, delimiter=delimiter, header=header)
    return _Input(source, name)


class SparkEngine:
    """Stage one and two on one Spark session."""

    name = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._views: list[str] = []
        self._frames: dict[str, Any] = {}

    # -- tables ------------------------------------------------------------------------

    def _replace(self, name: str, frame: Any) -> None:
        """`name` is now `frame`, computed now and checkpointed: later reads see the same rows
        (which `monotonically_increasing_id` row ids need), and each plan starts from its
        inputs' rows instead of carrying every earlier step's plan along."""
        from pyspark.errors import PySparkException

        try:
            frame = frame.localCheckpoint(eager=True)
        except PySparkException as exc:
            raise EngineError(f"Spark could not build {name} ({_first_line(exc)})") from None
        old = self._frames.pop(name, None)
        if old is not None:
            old.unpersist()
        frame.createOrReplaceTempView(name)
        self._frames[name] = frame
        self._views.append(name)

    def _sql(self, duckdb_sql: str, ops: Mapping[str, Any] = OPS) -> Any:
        return self.spark.sql(transpile(duckdb_sql, "spark", ops=ops))

    def load_table(self, name: str, schema: Schema, rows: Sequence[tuple[object, ...]]) -> None:
        frame = self.spark.createDataFrame([tuple(row) for row in rows], schema=struct(schema))
        self._replace(name, frame)

    def load_links(self, entries: list[LinkMapEntry]) -> None:
        names = column_names(LINK_SCHEMA)
        rows = [tuple(getattr(entry, n) for n in names) for entry in entries]
        self.load_table("links", LINK_SCHEMA, rows)

    def run(self, statement: str, *, progress: bool = False, label: str = "") -> None:
        created = split_create(statement)
        if created is not None:
            name, select = created
            self._replace(name, self._sql(select))
            return
        inserted = split_insert(statement)
        if inserted is None:
            raise EngineError(f"the Spark engine cannot run: {statement.strip()[:60]}")
        name, columns, select = inserted
        old = self.spark.table(name).select(*columns)
        self._replace(name, old.unionByName(self._sql(select)))

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        from pyspark.errors import PySparkException

        try:
            rows = self._sql(sql).collect()
        except PySparkException as exc:
            raise EngineError(f"Spark could not run a query ({_first_line(exc)})") from None
        return [row.asDict() for row in rows]

    def count(self, table: str) -> int:
        return int(self.spark.table(table).count())

    def write_parquet(self, target: str, sql: str) -> None:
        try:
            self._sql(sql).write.mode("overwrite").parquet(target)
        except Exception as exc:  # a path Spark cannot write: one line, like DuckDB's
            raise InputError(f"cannot write parquet ({_first_line(exc)})", path=target) from None

    def close(self) -> None:
        # The session stays up for the next report in this process (tests, notebooks).
        for frame in self._frames.values():
            frame.unpersist()
        for view in set(self._views):
            self.spark.catalog.dropTempView(view)
        self._frames.clear()

    # -- stage one ---------------------------------------------------------------------

    def load_events(
        self, options: ReportOptions, unread: frozenset[str] = frozenset()
    ) -> tuple[tuple[SourceNote, ...], tuple[CtamapError, ...]]:
        notes: dict[int, SourceNote] = {}
        errors: list[CtamapError] = []
        frames: list[tuple[int, str, Any]] = []
        with ExitStack() as stack:
            inputs: list[_Input | InputError] = []
            local = [name for name in options.logs if not _SPARK_PATH.search(name)]
            described = iter(open_sources(tuple(local), stack)) if local else iter(())
            for name in options.logs:
                if _SPARK_PATH.search(name):
                    try:
                        inputs.append(_sample_remote(self.spark, name))
                    except InputError as error:
                        inputs.append(error)
                    continue
                found = next(described)
                inputs.append(
                    found if isinstance(found, InputError) else _Input(found, str(found.path))
                )
            for number, item in enumerate(inputs):
                if isinstance(item, InputError):
                    errors.append(item)
                    continue
                if item.source.empty:
                    notes[number] = SourceNote(item.source.name, "empty", 0)
                    continue
                try:
                    reader, frame = self._read(number, item, options)
                except InputError as error:
                    errors.append(error)
                    continue
                frames.append((number, reader, frame))
            self._union(frames, notes, options)
        ordered = tuple(notes[n] for n in sorted(notes))
        return ordered, tuple(errors)

    def _union(
        self,
        frames: list[tuple[int, str, Any]],
        notes: dict[int, SourceNote],
        options: ReportOptions,
    ) -> None:
        from pyspark.sql import functions as F

        names = column_names(EVENT_SCHEMA)
        if frames:
            parts = [
                frame.select(*names).withColumn("ctamap_input", F.lit(n)) for n, _, frame in frames
            ]
            events = parts[0]
            for part in parts[1:]:
                events = events.unionByName(part)
        else:
            events = self.spark.createDataFrame([], schema=struct(EVENT_SCHEMA)).withColumn(
                "ctamap_input", F.lit(0)
            )
        self._replace("ctamap_loaded", events.withColumn("rid", F.monotonically_increasing_id()))
        loaded = self._frames["ctamap_loaded"]
        counts = {row[0]: int(row[1]) for row in loaded.groupBy("ctamap_input").count().collect()}
        logs = options.logs
        for number, reader, _ in frames:
            notes[number] = SourceNote(logs[number], reader, counts.get(number, 0))
        self._replace("events", loaded.drop("ctamap_input"))

    def _read(self, number: int, item: _Input, options: ReportOptions) -> tuple[str, Any]:
        """The normalised rows of one input (a lazy DataFrame) and the reader's name."""
        source = item.source
        if source.gzipped and not item.location.endswith(".gz"):
            raise InputError(
                "gzip-compressed, but Spark decompresses only files named *.gz: rename it",
                path=source.name,
            )
        by_column = options.by if options.by and options.by not in filter.GROUP_KEYS else None
        raw = f"ctamap_raw_{number}"
        try:
            if source.layout is Layout.CSV:
                return generic.NAME, self._read_csv(raw, item, options, by_column)
            return self._read_json(raw, item, options, by_column)
        except InputError:
            raise
        except Exception as exc:  # Spark's own errors: a path, a permission, a codec
            raise InputError(f"cannot read events ({_first_line(exc)})", path=source.name) from None

    def _read_csv(
        self, raw: str, item: _Input, options: ReportOptions, by_column: str | None
    ) -> Any:
        source = item.source
        if options.format not in ("auto", "csv"):
            raise InputError(
                f"--format {options.format} expects JSON, this is CSV", path=source.name
            )
        mapping = generic.map_columns(
            source, dict(options.columns), by_column, options.template_field
        )
        schema = struct(tuple((name, "VARCHAR") for name in source.header))
        frame = self.spark.read.csv(
            item.location,
            schema=schema,
            header=True,
            sep=source.delimiter,
            quote='"',
            escape='"',
            mode="PERMISSIVE",
        )
        frame.createOrReplaceTempView(raw)
        self._views.append(raw)
        select = normalise.normalise(
            generic.fields(mapping), generic.NAME, generic.by_value(by_column),
            f"SELECT * FROM {raw}",
        )  # fmt: skip
        return self._sql(select, _ALL_OPS)

    def _read_json(
        self, raw: str, item: _Input, options: ReportOptions, by_column: str | None
    ) -> tuple[str, Any]:
        source = item.source
        if options.format == "csv":
            raise InputError("--format csv expects CSV, this is JSON", path=source.name)
        provider = (
            BY_NAME[options.format]
            if options.format != "auto"
            else detect(source.name, source.sample)
        )
        whole = source.layout is not Layout.JSON_LINES
        text = self.spark.read.text(item.location, wholetext=whole)
        text.createOrReplaceTempView(raw)
        records = f"{raw}_records"
        values = values_sql(raw, whole, source.layout is Layout.JSON_ARRAY)
        self.spark.sql(records_sql(values, RECORDS.get(provider.name, ()))).createOrReplaceTempView(
            records
        )
        self._views.extend((raw, records))
        fields = provider.fields
        if options.template_field:
            fields = replace(fields, template=js(json_path(options.template_field)))
        by_value = js(json_path(by_column)) if by_column else "NULL"
        select = normalise.normalise(fields, provider.name, by_value, f"SELECT j FROM {records}")
        return provider.name, self._sql(select, _ALL_OPS)


def create(options: ReportOptions) -> SparkEngine:
    """A Spark engine on the running session, or a new one on `options.master`."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineError(INSTALL) from None
    return SparkEngine(session(options.master))


__all__ = ["INSTALL", "SQL_SETTINGS", "SparkEngine", "create", "session", "struct"]
