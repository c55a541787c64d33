"""The embedded DuckDB connection: offline, UTC, bounded memory, and a progress bar hook.

DuckDB's json extension is statically linked into the wheel; autoinstall/autoload of
extensions is switched off so that a report can never trigger a network download.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

#: Settings applied to every connection. `preserve_insertion_order = false` lets DuckDB stream
#: and aggregate without keeping row order, which the report never needs (it sorts its output).
SETTINGS: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "preserve_insertion_order": False,
    # The database file is scratch space, removed with its folder: nothing to make durable.
    "fsync_mode": "NONE",
}

#: Macros used by the readers (stage one, DuckDB-only SQL is fine there).
_MACROS = (
    # Unix seconds or milliseconds as a TIMESTAMP (NULL out of range): the microseconds the
    # time-zone-aware `to_timestamp` computes, without its cast back to TIMESTAMP, which cost
    # more than the rest of the macro.
    """CREATE OR REPLACE TEMP MACRO ctamap_epoch(d) AS (CASE
        WHEN d BETWEEN 0 AND 1e11 THEN make_timestamp(CAST(d * 1000000 AS BIGINT))
        WHEN d BETWEEN 1e11 AND 1e14 THEN make_timestamp(CAST(d / 1000 * 1000000 AS BIGINT))
    END)""",
    # Provider timestamps: ISO 8601 with any fraction and offset, Unix seconds (int, float or
    # string) or Unix milliseconds. Out-of-range numbers give NULL (a malformed row), not an error.
    # A trailing Z is UTC: the plain TIMESTAMP cast reads it several times faster than the
    # time-zone-aware one, which is only needed for explicit offsets. A number (most webhooks)
    # is tried first, unless a dash says it is a date (no text the time-zone-aware cast reads is
    # a number in range, so the order changes no result); the last try keeps `1e-3` a number.
    """CREATE OR REPLACE TEMP MACRO ctamap_ts(v) AS (
        CASE WHEN ends_with(v, 'Z') THEN try_cast(v AS TIMESTAMP)
        ELSE coalesce(
            ctamap_epoch(CASE WHEN NOT contains(v, '-') THEN try_cast(v AS DOUBLE) END),
            try_cast(v AS TIMESTAMPTZ)::TIMESTAMP,
            ctamap_epoch(try_cast(v AS DOUBLE))
        ) END
    )""",
    # Recipients are hashed as soon as they are read: counting needs only equality. `trim`
    # (Unicode spaces) costs twice the rest; an ASCII address can only carry ASCII spaces, so
    # one without a space at either end is hashed untrimmed, to the same value.
    """CREATE OR REPLACE TEMP MACRO ctamap_rcpt(v) AS (
        CASE WHEN NOT (starts_with(v, ' ') OR ends_with(v, ' ')) AND strlen(v) = length(v)
            THEN CASE WHEN v <> '' THEN hash(lower(v)) END
        ELSE CASE WHEN trim(v) <> '' THEN hash(lower(trim(v))) END END
    )""",
    "CREATE OR REPLACE TEMP MACRO ctamap_id(v) AS CASE WHEN v <> '' THEN hash(v) END",
)


#: Default memory budget (`--memory`) of the whole process: beyond it DuckDB spills to its
#: temp folder.
DEFAULT_MEMORY = "1GB"

#: What the process needs besides DuckDB's buffers (the interpreter, DuckDB's code, readers'
#: buffers): peak RSS was 130-190 MB above DuckDB's limit at 5 M rows, with 512 MB and 1 GB.
_RESERVE = 256 * 2**20
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def duckdb_limit(budget: str) -> str:
    """DuckDB's `memory_limit` for a process budget such as `1GB`: the budget less what the
    process needs besides DuckDB, never below half the budget (units as DuckDB reads them)."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", budget, re.I)
    if match is None or match.group(2).lower() not in _UNITS:
        return budget  # DuckDB says what is wrong with it
    total = float(match.group(1)) * _UNITS[match.group(2).lower()]
    return f"{int(max(total - _RESERVE, total / 2)) // 2**20}MiB"


def _spill_folder() -> str:
    """A private folder in the system temp folder (never the user's working tree: DuckDB's
    default is `.tmp` in the current folder), removed when the process ends."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="ctamap-duckdb-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


#: The database file inside the spill folder.
DATABASE = "report.duckdb"


def connect(memory_limit: str = DEFAULT_MEMORY) -> duckdb.DuckDBPyConnection:
    """A connection with the report's settings, memory budget and macros, over a database
    file in the private spill folder.

    A file, not `:memory:`: DuckDB writes a large INSERT's row groups to the file compressed
    as they fill (an in-memory table keeps them uncompressed until a checkpoint), so the events
    table takes about a tenth of the memory (17 MB instead of 200 MB per million rows) and the
    budget is not spent holding, and spilling, the rows stage two reads several times.
    """
    limit = duckdb_limit(memory_limit)
    folder = _spill_folder()
    config = {**SETTINGS, "memory_limit": limit, "temp_directory": folder}
    con = duckdb.connect(str(Path(folder) / DATABASE), config=config)
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    # DuckDB draws its own bar on stdout for a long query, into the report's JSON or CSV;
    # `execute` draws one on stderr from the same estimate instead.
    con.execute("SET enable_progress_bar_print = false")
    # Provider times are UTC; so are --since/--until and the `day` grouping.
    con.execute("SET TimeZone = 'UTC'")
    for macro in _MACROS:
        con.execute(macro)
    return con


def execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[object] = (),
    *,
    progress: bool = False,
    label: str = "reading events",
) -> None:
    """Run one statement; with `progress`, show DuckDB's own estimate as a bar on stderr."""
    if not progress:
        con.execute(sql, list(params))
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    done = threading.Event()
    error: list[BaseException] = []

    def _run() -> None:
        try:
            con.execute(sql, list(params))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=_run, daemon=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        transient=True,
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task(label, total=100)
        worker.start()
        while not done.wait(0.1):
            # query_progress() is -1 before DuckDB has an estimate.
            fraction = con.query_progress()
            if fraction >= 0:
                bar.update(task, completed=fraction)
        bar.update(task, completed=100)
    worker.join()
    if error:
        raise error[0]


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)
