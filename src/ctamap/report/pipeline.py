"""The report pipeline end to end: read events -> normalise -> attribute -> filter -> aggregate.

`run_report` takes plain options and returns a `Report`; the CLI only renders it. A file that
cannot be read is named in `Report.errors` and the others are still counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace

import duckdb

from ctamap.errors import CtamapError, InputError
from ctamap.report import attribute, catalog, engine, engines, export, filter, identity, normalise
from ctamap.report.aggregate import aggregate
from ctamap.report.detect import detect
from ctamap.report.linkmap import LinkMapEntry, load_link_maps
from ctamap.report.model import EVENT_SCHEMA, Event, Report, ReportOptions, SourceNote, create_table
from ctamap.report.providers import BY_NAME, generic
from ctamap.report.sources import Layout, Source, open_sources

#: Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_MIN_BYTES = 32 * 1024 * 1024
PROGRESS_MIN_ROWS = 1_000_000


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class _Plan:
    """How one file is read: its reader's name and the statements that load it."""

    reader: str
    statements: tuple[str, ...]
    batches: tuple[str, ...] = ()
    """Run after `statements` only when they added malformed rows (`normalise.batch_statements`)."""


def _plan(source: Source, number: int, options: ReportOptions, unread: frozenset[str]) -> _Plan:
    """The statements that append one file's rows to `events` (rejected lines: malformed)."""
    by_column = options.by if options.by and options.by not in filter.GROUP_KEYS else None
    rejects = f"ctamap_rejects_{number}"
    if source.layout is Layout.CSV:
        if options.format not in ("auto", "csv"):
            raise InputError(
                f"--format {options.format} expects JSON, this is CSV", path=source.name
            )
        mapping = generic.map_columns(
            source, dict(options.columns), by_column, options.template_field
        )
        select = normalise.normalise(
            generic.fields(mapping),
            generic.NAME,
            generic.by_value(by_column),
            f"SELECT * FROM {generic.csv_read(source, rejects)}",
            agent_column=True,
            unread=unread,
        )
        return _Plan(
            generic.NAME,
            (f"INSERT INTO events {select}", normalise.rejected_rows(rejects, generic.NAME)),
        )
    if options.format == "csv":
        raise InputError("--format csv expects CSV, this is JSON", path=source.name)
    provider = (
        BY_NAME[options.format] if options.format != "auto" else detect(source.name, source.sample)
    )
    field = options.template_field
    select = normalise.json_select(
        source, provider, by_column=by_column, template_field=field, unread=unread
    )
    batches = normalise.batch_statements(
        source, provider, by_column=by_column, template_field=field, unread=unread
    )
    return _Plan(provider.name, (f"INSERT INTO events {select}",), batches)


def _load(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    number: int,
    options: ReportOptions,
    progress: bool,
    unread: frozenset[str],
) -> SourceNote:
    plan = _plan(source, number, options, unread)
    before = _count(con)
    try:
        con.execute("BEGIN TRANSACTION")
        malformed = _count(con, "malformed") if plan.batches else 0
        for statement in plan.statements:
            engine.execute(con, statement, progress=progress, label=f"reading {source.name}")
        if plan.batches and _count(con, "malformed") > malformed:
            for statement in plan.batches:
                engine.execute(con, statement, progress=progress, label=f"reading {source.name}")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise InputError(f"cannot read events ({_first_line(exc)})", path=source.name) from None
    return SourceNote(source.name, plan.reader, _count(con) - before)


def _count(con: duckdb.DuckDBPyConnection, where: str = "true") -> int:
    row = con.execute(f"SELECT count(*) FROM events WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def load_events(
    con: duckdb.DuckDBPyConnection, options: ReportOptions, unread: frozenset[str] = frozenset()
) -> tuple[tuple[SourceNote, ...], tuple[CtamapError, ...]]:
    """Stage one: every readable input file into the normalised `events` table (the columns
    in `unread`, which the run never reads, left NULL).

    Returns what was read from each file and, separately, every file that could not be read.
    """
    con.execute(create_table("events", (*EVENT_SCHEMA, (normalise.AGENT, "VARCHAR"))))
    notes: list[SourceNote] = []
    errors: list[CtamapError] = []
    with ExitStack() as stack:
        described = list(open_sources(options.logs, stack))
        sources = [s for s in described if isinstance(s, Source)]
        errors.extend(s for s in described if isinstance(s, InputError))
        size = sum(source.path.stat().st_size for source in sources)
        progress = options.progress and size >= PROGRESS_MIN_BYTES
        for number, source in enumerate(sources):
            if source.empty:
                notes.append(SourceNote(source.name, "empty", 0))
                continue
            try:
                notes.append(_load(con, source, number, options, progress, unread))
            except InputError as error:
                errors.append(error)
    for statement in normalise.flag_agents():
        con.execute(statement)
    order = {name: n for n, name in enumerate(options.logs)}
    errors.sort(key=lambda e: order.get(e.path or "", len(order)))
    return tuple(notes), tuple(errors)


def read_events(options: ReportOptions) -> list[Event]:
    """The normalised events of the inputs, as records (for tests and debugging).

    Raises the first unreadable file's error: a caller asking for rows wants all of them.
    """
    con = engine.connect(options.memory_limit)
    _, errors = load_events(con, options)
    if errors:
        raise errors[0]
    cursor = con.execute("SELECT * FROM events")
    names = [d[0] for d in cursor.description]
    events = []
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=True))
        values["bot"], values["malformed"] = bool(values["bot"]), bool(values["malformed"])
        events.append(Event(**values))
    return events


def run_report(options: ReportOptions) -> Report:
    """Read, attribute, filter and aggregate: the whole `ctamap report`."""
    return run_reports(options, (options.by,))[0]


def run_reports(options: ReportOptions, views: Sequence[str | None]) -> list[Report]:
    """One `Report` per `--by` value in `views`, from one read and attribution of the inputs
    (the click map shows the user's report and its per-template, per-day, per-part views)."""
    entries = load_link_maps(options.maps)
    runner = engines.create(options)
    try:
        reports = stage_two(runner, entries, options, views)
        if options.parquet_dir is not None:
            export.write_parquet(runner, reports[0], options.parquet_dir)
        return reports
    finally:
        runner.close()


def stage_two(
    runner: engines.Engine,
    entries: list[LinkMapEntry],
    options: ReportOptions,
    views: Sequence[str | None],
) -> list[Report]:
    """Load, attribute, classify and aggregate on `runner`: the same statements on every
    engine (`report --sql` records them instead of running them)."""
    emails = catalog.build_catalog(entries, dict(options.layouts), dict(options.twins))
    notes, errors = runner.load_events(options, filter.unread_columns(views))
    runner.load_links(entries)
    runner.run(attribute.attribution_sql(options.link_id_param))
    identity.load_catalog(runner, catalog.tables(emails, entries))
    for _, statement in identity.STATEMENTS:
        runner.run(statement)
    big = options.progress and runner.count("events") >= PROGRESS_MIN_ROWS
    inputs = tuple(str(error) for error in errors)
    reports = []
    prepared: set[str] = set()
    for by in views:
        view = replace(options, by=by)
        for name, statement in identity.VIEW_STATEMENTS.get(by or "", ()):
            if name not in prepared:
                runner.run(statement)
                prepared.add(name)
        runner.run(filter.classify_sql(view), progress=big, label="attributing clicks")
        reports.append(aggregate(runner, entries, view, emails).with_inputs(notes, inputs))
    return reports
