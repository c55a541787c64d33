"""Command-line interface: parse options, call the library, map results to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from ctamap import __version__
from ctamap.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CtamapError

app = typer.Typer(
    name="ctamap",
    help="Inventory, audit and instrument the links in email templates; join click logs to them.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ctamap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """ctamap command-line tool."""


# -- Options shared by several commands, declared once ------------------------------------------

Paths = Annotated[
    list[Path],
    typer.Argument(help="Template files or folders (folders: walked with the configured globs)."),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: discovered from the current folder)."),
]
ExitZero = Annotated[
    bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings (errors still 2).")
]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback for unexpected errors.")]

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    typer.echo(f"ctamap: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _guard(debug: bool, run: Callable[[], T]) -> T:
    """Errors a user can cause are one line on stderr and exit 2; bugs too, unless --debug."""
    try:
        return run()
    except CtamapError as error:
        _fail(str(error))
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as error:  # a bug: say so in one line unless asked for the traceback
        if debug:
            raise
        _fail(f"internal error: {type(error).__name__}: {error} (run with --debug for details)")


def _codes(values: list[str] | None) -> list[str]:
    """`--select L001,L002 --select T` -> ["L001", "L002", "T"]."""
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


# -- audit ----------------------------------------------------------------------------------------


@app.command()
def audit(
    paths: Paths,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="text (default), json, sarif, github (default under GitHub Actions), junit.",
            show_default=False,
        ),
    ] = None,
    output_file: Annotated[
        Path | None, typer.Option("--output-file", "-o", help="Write the report here.")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these codes or prefixes (replaces config select)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these codes or prefixes (adds to config ignore)."),
    ] = None,
    config: ConfigFile = None,
    exit_zero: ExitZero = False,
    debug: Debug = False,
) -> None:
    """Report link, tracking, text-version, pixel and template-syntax problems."""
    from ctamap import audit as auditing
    from ctamap.output import FORMATTERS
    from ctamap.output.text import summary

    chosen = format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if chosen not in FORMATTERS:
        _fail(f"unknown --format '{chosen}': choose one of {', '.join(FORMATTERS)}")
    result = _guard(
        debug,
        lambda: auditing.run(paths, config, select=_codes(select), ignore=_codes(ignore)),
    )
    for error in result.errors:
        typer.echo(f"ctamap: {error}", err=True)
    report = FORMATTERS[chosen](result)
    if output_file is not None:
        try:
            output_file.write_text(report, encoding="utf-8")
        except OSError as error:
            _fail(f"{output_file}: cannot write: {error.strerror}")
    else:
        sys.stdout.write(report)
        sys.stdout.flush()
    typer.echo(summary(result), err=True)
    code = result.exit_code
    raise typer.Exit(EXIT_OK if exit_zero and code == EXIT_FINDINGS else code)


# -- rules ----------------------------------------------------------------------------------------


@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code, e.g. L006.")] = None,
) -> None:
    """List the audit rules, or explain one."""
    from ctamap.rules import RULES, catalogue

    if code is None:
        for rule in catalogue():
            typer.echo(f"{rule.code}  {rule.name:<28} {rule.severity.value:<8} {rule.summary}")
        return
    found = RULES.get(code.strip().upper())
    if found is None:
        import difflib

        close = difflib.get_close_matches(code.upper(), list(RULES), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        _fail(f"no rule {code}{hint}; `ctamap rules` lists them")
    typer.echo(f"{found.code} {found.name} (default severity: {found.severity.value})\n")
    typer.echo(found.doc)


def main() -> None:
    app()
