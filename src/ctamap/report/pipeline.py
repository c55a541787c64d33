"""The report pipeline end to end: read events -> normalise -> attribute -> filter -> aggregate.

`run_report` takes plain options and returns a `Report`; the CLI only renders it.
"""

from __future__ import annotations

from contextlib import ExitStack

import duckdb

from ctamap.errors import InputError
from ctamap.report import attribute, engine, filter, readers
from ctamap.report.aggregate import aggregate
from ctamap.report.linkmap import load_link_maps
from ctamap.report.model import Event, Report, ReportOptions
from ctamap.report.sources import Layout, Source, open_sources

#: Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_MIN_BYTES = 32 * 1024 * 1024
PROGRESS_MIN_ROWS = 1_000_000


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _insert_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    number: int,
    options: ReportOptions,
    progress: bool,
) -> None:
    """Append one file's rows to `events` (rejected CSV lines become malformed rows)."""
    explicit = dict(options.columns)
    by_column = options.by if options.by not in filter.GROUP_KEYS else None
    if source.layout is Layout.CSV:
        if options.format not in ("auto", "csv"):
            raise InputError(
                f"--format {options.format} expects JSON, this is CSV", path=source.name
            )
        mapping = readers.map_csv_columns(source, list(source.header), explicit, by_column)
        rejects = f"ctamap_rejects_{number}"
        select = readers.csv_select(readers.csv_read(source, rejects), mapping, by_column)
    else:
        if options.format == "csv":
            raise InputError("--format csv expects CSV, this is JSON", path=source.name)
        reader = (
            readers.READERS[options.format] if options.format != "auto" else readers.detect(source)
        )
        rejects = ""
        select = readers.json_select(source, reader, by_column)
    try:
        engine.execute(
            con, f"INSERT INTO events {select}", progress=progress, label=f"reading {source.name}"
        )
        if rejects:
            # One malformed row per rejected line (a line can carry several errors).
            con.execute(
                f"INSERT INTO events BY NAME SELECT true AS malformed FROM "
                f"(SELECT DISTINCT file_id, line FROM {rejects})"
            )
    except duckdb.Error as exc:
        raise InputError(f"cannot read events ({_first_line(exc)})", path=source.name) from None


def load_events(con: duckdb.DuckDBPyConnection, options: ReportOptions) -> None:
    """Stage one: every input file into the normalised `events` table."""
    con.execute(readers.CREATE_EVENTS)
    with ExitStack() as stack:
        sources = list(open_sources(options.logs, stack))
        size = sum(source.path.stat().st_size for source in sources)
        progress = options.progress and size >= PROGRESS_MIN_BYTES
        for number, source in enumerate(sources):
            _insert_source(con, source, number, options, progress)


def read_events(options: ReportOptions) -> list[Event]:
    """The normalised events of the inputs, as records (for tests and debugging)."""
    con = engine.connect()
    load_events(con, options)
    rows = con.execute(f"SELECT {', '.join(readers.EVENT_COLUMNS)} FROM events").fetchall()
    return [
        Event(
            type=row[0],
            recipient=row[1],
            time=row[2],
            url=row[3],
            message_id=row[4],
            event_id=row[5],
            bot=bool(row[6]),
            machine_open=row[7],
            part=row[8],
            campaign=row[9],
            template=row[10],
            malformed=bool(row[12]),
        )
        for row in rows
    ]


def run_report(options: ReportOptions) -> Report:
    """Read, attribute, filter and aggregate: the whole `ctamap report`."""
    entries = load_link_maps(options.maps)
    con = engine.connect()
    load_events(con, options)
    attribute.load_links(con, entries)
    con.execute(attribute.attribution_sql(options.link_id_param))
    row = con.execute("SELECT count(*) FROM events").fetchone()
    big = options.progress and row is not None and int(row[0]) >= PROGRESS_MIN_ROWS
    engine.execute(con, filter.classify_sql(options), progress=big, label="attributing clicks")
    return aggregate(con, entries, options)
