"""Command-line interface: parse options, call the library, map results to exit codes."""

from __future__ import annotations

import typer

from ctamap import __version__

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


def main() -> None:
    app()
