"""Command-line interface: parse options, call the library, map results to exit codes.

No `from __future__ import annotations` here: Typer evaluates each string annotation of the
command it runs twice (`inspect.signature(eval_str=True)`, then `get_type_hints`), compiling
every one; evaluated once at import instead, a pre-commit call saves 2-3 ms. Names imported
only for type checking are quoted.
"""

import datetime
import gc
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

from ctamap import __version__, collector
from ctamap.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CtamapError

if TYPE_CHECKING:  # the config module is imported by the commands that need it
    from typer._click import Context as ClickContext  # Typer vendors Click: no public name

    from ctamap.config import Config, ConfigGroup
    from ctamap.report import Report, ReportOptions
    from ctamap.report.catalog import LinkMapTemplates
    from ctamap.workspace import Workspace

# Start-up allocates only what lives as long as the process (modules, classes, compiled
# regexes): the collector's passes over it find nothing, and cost a pre-commit call 10 % of
# Typer's import. Collection resumes once the imports are done (here and in `audit`).
_COLLECTING = gc.isenabled()
gc.disable()
import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

if _COLLECTING:
    gc.enable()


class _OneLineValueErrors(TyperGroup):
    """Typer checks an option's type and range (`min=`) while parsing, before the command's
    own checks run: say those as the same one line, not as Click's boxed usage block."""

    def invoke(self, ctx: "ClickContext") -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as error:
            param = error.param
            # A missing value (a subclass) keeps Click's usage block: it shows what to give.
            if type(error) is not typer.BadParameter or param is None:
                raise
            hint = param.opts[0] if param.param_type_name == "option" else param.human_readable_name
            _say(f"ctamap: usage error: {hint}: {error.message}")
            raise typer.Exit(EXIT_ERROR) from None


app = typer.Typer(
    cls=_OneLineValueErrors,
    name="ctamap",
    help="Inventory, audit and instrument the links in email templates; join click logs to them.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

# Options shared by several commands, declared once.
PathsArg = Annotated[
    list[Path], typer.Argument(help="Template files or folders (walked with the configured globs).")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Config file (wins over discovered ones).")
]
MapOpt = Annotated[
    Path | None, typer.Option("--map", help="Link map file (default: link_map from the config).")
]
CampaignOpt = Annotated[
    str, typer.Option("--campaign", help="Value for {campaign} in UTM values (lowercase).")
]
ExitZeroOpt = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings.")]
# The output format and the output file mean the same in every command (docs/cli.md);
# `--format` is the older spelling of `--output-format` (in `report` it names the input).
OUTPUT_FORMAT = ("--output-format", "-f")
OutputFileOpt = Annotated[
    Path | None,
    typer.Option("--output-file", "-o", help="Write the output to this file instead of stdout."),
]


def _emit(text: str, output_file: Path | None) -> None:
    """A command's output: to stdout, or to `--output-file`."""
    if output_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CtamapError(f"cannot write: {error.strerror}", path=str(output_file)) from None


_DEBUG = False
# Set by a command that leaves nothing to release (no temporary files, databases, threads or
# atexit handlers): `main` then ends the process without the interpreter's teardown.
_NOTHING_TO_RELEASE = False
F = TypeVar("F", bound=Callable[..., Any])


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _say_error(error: CtamapError) -> None:
    """One line per problem (a config file may have several)."""
    for line in str(error).splitlines() or [""]:
        _say(f"ctamap: error: {line}")


# What a shell reports for a command ended by SIGPIPE (128 + 13): the reader left early.
EXIT_BROKEN_PIPE = 141


def _stdout_gone() -> None:
    """The reader of stdout left (`ctamap … | head`): send what is still buffered nowhere, so
    that the interpreter's last flush at exit cannot fail a second time and print about it."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout to redirect: nothing will flush it either
        pass


def handles_errors(command: F) -> F:
    """Print user errors as one line and exit 2; a traceback only with --debug."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CtamapError as error:
            _say_error(error)
            raise typer.Exit(EXIT_ERROR) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            _stdout_gone()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as error:  # a bug: say so, keep the exit code contract
            if _DEBUG:
                traceback.print_exc()
            _say(f"internal error: {type(error).__name__}: {error} (rerun with --debug)")
            raise typer.Exit(EXIT_ERROR) from None

    return run  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ctamap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks for internal errors.")] = False,
) -> None:
    """ctamap command-line tool."""
    global _DEBUG
    _DEBUG = debug


def _config(path: Path | None) -> "Config":
    from ctamap.config import load

    return load(path)


def _groups(paths: list[Path], given: Path | None, *, tracks: bool = False) -> list["ConfigGroup"]:
    """The config of each PATH (`--config` wins), saying once on stderr when PATHs have none;
    for commands that decide what is tracked (`tracks`), also when no first-party list is."""
    from ctamap.config import configs_for
    from ctamap.walk import display

    groups = configs_for(paths, given)
    defaults = [path for group in groups if group.uses_defaults for path in group.paths]
    if defaults:
        shown = ", ".join(display(p) if str(p) != "-" else "-" for p in defaults)
        _say(
            f"ctamap: no config file found for {shown} (pyproject.toml [tool.ctamap], "
            "ctamap.toml or .ctamap.toml, up to the repository root): using the defaults"
        )
    unlisted = [g.config.origin for g in groups if not g.config.first_party_domains]
    if tracks and unlisted:
        files = [origin for origin in unlisted if origin != "defaults"]
        where = f" in {', '.join(files)}" if files else ""
        _say(
            f"ctamap: no first-party list is configured (first_party_domains{where}): every "
            "web domain counts as yours except well-known social, video, app-store and "
            "meeting platforms"
        )
    return groups


def _say_notices(notices: tuple[str, ...]) -> None:
    """What the user must know although nothing failed: one line each, on stderr."""
    for notice in notices:
        _say(f"ctamap: notice: {notice}")


def _report_errors(errors: tuple[CtamapError, ...]) -> int:
    for error in errors:
        _say_error(error)
    return EXIT_ERROR if errors else EXIT_OK


def _opened(workspace: "Workspace", by_email: bool) -> "Workspace":
    """The workspace to list; per email, with the layouts and partials it uses planned too."""
    from ctamap.inventory import with_layouts

    return with_layouts(workspace) if by_email else workspace


@app.command()
@handles_errors
def inventory(
    paths: PathsArg,
    fmt: Annotated[
        str, typer.Option(*OUTPUT_FORMAT, "--format", help="table, json or csv.")
    ] = "table",
    output_file: OutputFileOpt = None,
    config: ConfigOpt = None,
    map_path: MapOpt = None,
    campaign: CampaignOpt = "",
    by_email: Annotated[
        bool,
        typer.Option(
            "--by-email",
            help="Each email's composed links: its own plus its layouts' and partials'.",
        ),
    ] = False,
) -> None:
    """List every link: template, line, ID, kind, role, text, destination, tracked."""
    from ctamap.inventory import BY_EMAIL, FORMATS
    from ctamap.workspace import open_workspace

    if fmt not in FORMATS:
        raise CtamapError(f"--output-format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    from ctamap.workspace import combined

    workspace = combined(
        [
            _opened(
                open_workspace(
                    list(group.paths), group.config, map_path=map_path, campaign=campaign
                ),
                by_email,
            )
            for group in _groups(paths, config)
        ]
    )
    _emit((BY_EMAIL if by_email else FORMATS)[fmt](workspace), output_file)
    raise typer.Exit(_report_errors(workspace.errors))


@app.command()
@handles_errors
def instrument(
    paths: PathsArg,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write a mirrored tree here instead.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff of the changes.")
    ] = False,
    config: ConfigOpt = None,
    map_path: MapOpt = None,
    map_format: Annotated[
        str | None,
        typer.Option(
            "--map-format",
            help="json or csv (default: the existing map's format; csv for a new *.csv map).",
            show_default=False,
        ),
    ] = None,
    campaign: CampaignOpt = "",
) -> None:
    """Add UTM parameters and the link ID to tracked links and the open pixel to documents."""
    from ctamap.config import check_utm_value
    from ctamap.parallel import instrument_paths
    from ctamap.safewrite import clean_up_on_signals

    clean_up_on_signals()  # a stopped run leaves no temporary file (workers inherit this)

    if map_format not in (None, "json", "csv"):
        raise CtamapError(f"--map-format must be json or csv, got '{map_format}'")
    if campaign:
        check_utm_value("--campaign", campaign)
    from ctamap.walk import display

    # Each config's templates are one run with its own link map (next to that config).
    results = [
        instrument_paths(
            list(group.paths),
            group.config,
            map_path=map_path,
            campaign=campaign,
            out_dir=out_dir,
            check=check,
            with_diff=diff,
            map_format="csv" if map_format == "csv" else "json" if map_format else None,
        )
        for group in _groups(paths, config, tracks=True)
    ]
    status = EXIT_OK
    would_change = False
    for result in results:
        sys.stdout.write(result.stdout)
        if diff:
            sys.stdout.write(result.diff)
        verb = "would change" if check else "instrumented"
        for path in result.changed:
            _say(f"{verb}: {path}")
        if result.map_changed:
            shown = display(result.map_path) if result.map_path else "?"
            _say(f"{'would update' if check else 'updated'} link map: {shown}")
        status = max(status, _report_errors(result.errors))
        _say_notices(result.notices)
        would_change = would_change or bool(result.changed or result.map_changed)
    if status == EXIT_OK and check and would_change:
        status = EXIT_FINDINGS
    raise typer.Exit(status)


linkmap_app = typer.Typer(
    name="linkmap", help="Work with the link map (ctamap.linkmap.json).", no_args_is_help=True
)
app.add_typer(linkmap_app)


@linkmap_app.command("merge")
@handles_errors
def linkmap_merge(
    base: Annotated[Path, typer.Argument(help="The common ancestor's map (git's %O).")],
    ours: Annotated[Path, typer.Argument(help="Our map, overwritten with the merge (%A).")],
    theirs: Annotated[Path, typer.Argument(help="Their map (%B).")],
) -> None:
    """Merge two branches' link maps by link ID (a git merge driver; see docs/linkmap.md).

    Exit 0 when merged cleanly, 1 when an ID was changed differently on both sides (ours is
    kept; run `ctamap instrument` on the merged templates, then commit the map).
    """
    from ctamap.linkmap import merge_files

    conflicts = merge_files(base, ours, theirs)
    if conflicts:
        shown = ", ".join(conflicts[:5]) + (
            f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
        )
        _say(
            f"ctamap: link map conflict in {ours}: {shown} changed differently on both sides; "
            "kept ours: run `ctamap instrument` on the merged templates and commit the map"
        )
        raise typer.Exit(EXIT_FINDINGS)


@linkmap_app.command("export")
@handles_errors
def linkmap_export(
    map_path: MapOpt = None,
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option(*OUTPUT_FORMAT, help="csv (default) or parquet.")] = "csv",
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output-file", "-o", help="The file to write (default: ctamap_links.csv/.parquet)."
        ),
    ] = None,
) -> None:
    """Write the link map as the table `report --sql` joins (--map-table), to load into a
    warehouse: the report's link columns, one row per link ID."""
    from ctamap.config import load
    from ctamap.report.linkexport import write_link_table

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("choose csv or parquet", param_hint="--output-format")
    output_file = output_file or Path(f"ctamap_links.{fmt}")
    if map_path is None:
        settings = load(config, start=Path.cwd())
        map_path = settings.root / settings.link_map
    rows = write_link_table(map_path, output_file, fmt)
    _say(f"ctamap: wrote {rows} links to {output_file}")


@app.command("config")
@handles_errors
def show_config(
    path: Annotated[
        Path | None,
        typer.Argument(help="Show the config governing this file or folder (default: here)."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Print the effective config and where it came from."""
    from ctamap.config import describe, load

    if config is not None or path is None:
        typer.echo(describe(_config(config)))
    else:
        typer.echo(describe(load(start=path if path.is_dir() else path.parent)))


def _codes(values: list[str] | None) -> list[str]:
    """`--select L001,L002 --select T` -> ["L001", "L002", "T"]."""
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


@app.command()
@handles_errors
def audit(
    paths: PathsArg,
    fmt: Annotated[
        str | None,
        typer.Option(
            *OUTPUT_FORMAT,
            "--format",
            help="text (default), json, sarif, github (default under GitHub Actions), junit.",
            show_default=False,
        ),
    ] = None,
    output_file: OutputFileOpt = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these codes or prefixes (replaces config select)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these codes or prefixes (adds to config ignore)."),
    ] = None,
    config: ConfigOpt = None,
    map_path: MapOpt = None,
    exit_zero: ExitZeroOpt = False,
) -> None:
    """Report link, tracking, text-version, pixel and template-syntax problems.

    Exit 0 when clean (notices do not fail), 1 for findings, 2 for unreadable input or config.

    Silence one line with <!-- ctamap: disable-next-line=CODE --> ({# … #} in Jinja).

    `ctamap rules CODE` explains a rule.
    """
    import os

    with collector.paused():  # a command's own imports, paused as for Typer's (above)
        from ctamap import audit as auditing
        from ctamap.output import FORMATTERS
        from ctamap.output.text import summary

    chosen = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if chosen not in FORMATTERS:
        raise CtamapError(f"--output-format must be one of {', '.join(FORMATTERS)}, got '{chosen}'")
    result = auditing.combined(
        [
            auditing.run(
                list(group.paths),
                group.config,
                select=_codes(select),
                ignore=_codes(ignore),
                map_path=map_path,
            )
            for group in _groups(paths, config, tracks=True)
        ]
    )
    _report_errors(result.errors)
    _say_notices(result.notices)
    _emit(FORMATTERS[chosen](result), output_file)
    _say(summary(result))
    status = result.exit_code
    global _NOTHING_TO_RELEASE
    _NOTHING_TO_RELEASE = True  # an audit only read files, and wrote and closed its output
    raise typer.Exit(EXIT_OK if exit_zero and status == EXIT_FINDINGS else status)


@app.command()
@handles_errors
def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code, e.g. L006.")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            *OUTPUT_FORMAT, "--format", help="text, or markdown (the whole catalogue as one page)."
        ),
    ] = "text",
    output_file: OutputFileOpt = None,
) -> None:
    """List the audit rules, or explain one."""
    import difflib

    from ctamap.rules import RULES, catalogue

    if fmt not in ("text", "markdown"):
        raise CtamapError(f"--output-format must be text or markdown, got '{fmt}'")
    if fmt == "markdown":
        from ctamap.rules.markdown import render

        chosen = catalogue() if code is None else [RULES[c] for c in _codes([code]) if c in RULES]
        _emit(render(chosen), output_file)
        return
    if code is None:
        _emit(
            "".join(
                f"{rule.code}  {rule.name:<28} {rule.severity.value:<8} {rule.summary}\n"
                for rule in catalogue()
            ),
            output_file,
        )
        return
    found = RULES.get(code.strip().upper())
    if found is None:
        close = difflib.get_close_matches(code.strip().upper(), list(RULES), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise CtamapError(f"no rule '{code}'{hint}; `ctamap rules` lists them")
    _emit(
        f"{found.code} {found.name} (default severity: {found.severity.value})\n\n{found.doc}\n",
        output_file,
    )


@app.command()
@handles_errors
def init(
    folder: Annotated[
        Path, typer.Argument(help="The folder that holds the templates (default: here).")
    ] = Path("."),
    pyproject: Annotated[
        bool, typer.Option("--pyproject", help="Write [tool.ctamap] into its pyproject.toml.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the folder's existing ctamap config.")
    ] = False,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the config to stdout; write nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Take the proposals without asking.")
    ] = False,
) -> None:
    """Survey a template folder and write a commented ctamap.toml for it.

    Finds the templates, proposes first_party_domains (the most linked registrable domains,
    platforms left out), detects the template syntax and how text versions are named. Asks
    before writing on a terminal; takes the proposals as they are otherwise (or with --yes).
    Never replaces an existing config without --force.
    """
    from ctamap import starter
    from ctamap.survey import survey
    from ctamap.walk import display

    if not folder.is_dir():
        raise CtamapError("no such folder", path=str(folder))
    shown = display(folder)
    path = None if print_only else starter.target(folder, pyproject=pyproject, force=force,
                                                   shown=shown)  # fmt: skip
    found = survey(folder)
    if not found.templates:
        raise CtamapError(
            "no templates here (files named *.html, *.mjml, *.j2, *.liquid, *.hbs, *.txt …): "
            "run `ctamap init` in the template folder, or name it: `ctamap init emails/`",
            path=shown,
        )
    for line in starter.summary(found, shown):
        _say(line)
    choices = starter.Choices.proposed(found)
    if not (yes or print_only) and sys.stdin.isatty() and sys.stderr.isatty():
        answer = typer.prompt(
            "first-party domains (comma-separated)",
            default=", ".join(choices.first_party_domains),
            err=True,
        )
        choices = starter.Choices(starter.parse_domains(answer), choices.template_syntax,
                                  choices.pairs)  # fmt: skip
        if not typer.confirm(f"write {display(path) if path else ''}?", default=True, err=True):
            _say("nothing written")
            raise typer.Exit(EXIT_OK)
    text = starter.render(found, choices, pyproject=pyproject)
    if path is None:
        sys.stdout.write(text)
        return
    _say(f"first_party_domains = {starter.toml_list(choices.first_party_domains)}")
    above = starter.config_above(folder)
    starter.write(path, text, force=force)
    _say(f"wrote {display(path)}")
    if above is not None:
        _say(
            f"note: it takes over from {starter.shown_config(above)} "
            f"for the templates below {shown}"
        )
    for line in starter.next_steps(folder.resolve(), shown):
        _say(line)


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """The app with only the command `argv` names, when it names one: Typer turns every
    registered command into a Click command on each run, and a pre-commit call should pay for
    its own command only. Anything else (help, completion, a mistyped name) gets the full app."""
    import copy
    import os

    if any(key.endswith("_COMPLETE") for key in os.environ):
        return app
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    if name is None:
        return app
    lean = copy.copy(app)
    lean.registered_commands = [
        info
        for info in app.registered_commands
        if (info.name or (info.callback.__name__ if info.callback else "").replace("_", "-"))
        == name
    ]
    lean.registered_groups = [
        info
        for info in app.registered_groups
        if info.typer_instance is not None and info.typer_instance.info.name == name
    ]
    if not lean.registered_commands and not lean.registered_groups:
        return app
    return lean


def main() -> None:
    """The `ctamap` command. Output cut short by its reader ends quietly with 141, wherever
    the write failed: in a command, in Typer's own help or version output, or at the final
    flush of what was still buffered."""
    global _NOTHING_TO_RELEASE
    _NOTHING_TO_RELEASE = False
    try:
        _app_for(sys.argv[1:])()
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - Typer's standalone mode always exits
        code = EXIT_OK
    # Typer answers a broken pipe in its own output (help, --version) by wrapping stdout and
    # exiting 1; the reader leaving early is not a failure of ours.
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        code = EXIT_BROKEN_PIPE
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    if code == EXIT_BROKEN_PIPE:
        _stdout_gone()
    if _NOTHING_TO_RELEASE and isinstance(code, int):
        _end_now(code)
    sys.exit(code)


def _end_now(code: int) -> NoReturn:
    """Exit with `code` at once. The interpreter's teardown frees every module and object one
    by one: 12-15 ms, more than a one-file audit's own work, for memory the OS takes back
    anyway. Only what is still buffered must be written first (stdout already is)."""
    import os

    with suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _seconds(text: str, option: str) -> float:
    """`10s`, `500ms`, `2m`, `1h` or a plain number of seconds."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*", text)
    if not match:
        raise typer.BadParameter(
            f"{text!r} is not a duration like 10s, 2m or 500ms", param_hint=option
        )
    return float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]


def _utc(text: str | None, option: str) -> datetime.datetime | None:
    """An ISO date or date-time; naive values are UTC."""
    if text is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time", param_hint=option
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _column(text: str) -> tuple[str, str]:
    from ctamap.report.providers.generic import CSV_FIELDS

    name, sep, header = text.partition("=")
    if not sep or not header or name not in CSV_FIELDS:
        raise typer.BadParameter(
            f"{text!r}: use FIELD=HEADER with FIELD one of {', '.join(CSV_FIELDS)}",
            param_hint="--column",
        )
    return name, header


def _usage_errors(command: F) -> F:
    """A bad option value is a usage error: one line, exit 2 (never "internal error")."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except typer.BadParameter as error:
            hint = f"{error.param_hint}: " if error.param_hint else ""
            _say(f"ctamap: usage error: {hint}{error.message}")
            raise typer.Exit(EXIT_ERROR) from None

    return run  # type: ignore[return-value]


def _one_spelling(name: str, value: str | None, older: str, old_value: str | None) -> str | None:
    """An option given by its name or its older spelling; both with different values is an
    error rather than a silent choice."""
    if value is not None and old_value is not None and value != old_value:
        raise typer.BadParameter(
            f"{older} is the older spelling of {name}: give one of them", param_hint=name
        )
    return value if value is not None else old_value


def _write_quietly(render: Callable[[], None]) -> None:
    """Render to stdout; a reader that stops early (`| head`) ends the run quietly."""
    import os

    try:
        render()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_OK) from None


@app.command()
@handles_errors
@_usage_errors
def report(
    logs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Event files (JSON, JSON lines, CSV, .gz); - for stdin. With --engine spark "
            "also globs, s3a:// and hdfs:// paths.",
            show_default=False,
        ),
    ] = None,
    maps: Annotated[
        list[Path] | None,
        typer.Option(
            "--map", help="Link map (JSON or CSV); repeat for several. Default: the config's."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Config file (default: discovered from the link map's folder)."
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            show_default=False,
            help="auto, sendgrid, mailgun, postmark, ses, sparkpost, mailjet, brevo, resend, "
            "customerio, mailchimp or csv (default: auto, detected per file).",
        ),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="Generic CSV mapping FIELD=HEADER, e.g. recipient=email."),
    ] = None,
    link_id_param: Annotated[
        str | None,
        typer.Option(
            "--link-id-param", help="Query parameter carrying the link ID (default: config's)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Count events at or after this UTC time (ISO).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Count events before this UTC time (ISO).")
    ] = None,
    dedupe_window: Annotated[
        str,
        typer.Option(
            "--dedupe-window",
            help="Repeat clicks on one CTA by one recipient this soon count once (e.g. 10s).",
        ),
    ] = "0",
    bots: Annotated[
        str, typer.Option("--bots", help="exclude, flag or include bot clicks.")
    ] = "exclude",
    bot_min_seconds: Annotated[
        float,
        typer.Option("--bot-min-seconds", help="A click sooner than this after delivery is a bot."),
    ] = 2.0,
    bot_burst: Annotated[
        int,
        typer.Option(
            "--bot-burst",
            min=2,
            help="This many distinct CTAs clicked within --bot-burst-window is a bot.",
        ),
    ] = 3,
    bot_burst_window: Annotated[
        str, typer.Option("--bot-burst-window", help="Span of a burst (e.g. 5s).")
    ] = "5s",
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Break figures down by template, campaign, day, part or an input column."
        ),
    ] = None,
    delivered: Annotated[
        int | None,
        typer.Option("--delivered", min=0, help="Delivered count (instead of delivery events)."),
    ] = None,
    sent: Annotated[
        int | None, typer.Option("--sent", min=0, help="Sent count: delivered = sent - bounced.")
    ] = None,
    bounced: Annotated[
        int | None,
        typer.Option("--bounced", min=0, help="Bounced count for --sent (default: bounce events)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            *OUTPUT_FORMAT,
            help="table (default), json, csv, or parquet (tables in --output-dir).",
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            help="With -f parquet: the folder for ctas, emails and excluded (Spark: any URI).",
        ),
    ] = None,
    csv_table: Annotated[
        str,
        typer.Option("--csv-table", help="With -f csv: ctas, summary or unmatched."),
    ] = "ctas",
    top_unmatched: Annotated[
        int, typer.Option("--top-unmatched", min=0, help="How many unmatched URLs to list.")
    ] = 50,
    show_recipients: Annotated[
        bool,
        typer.Option(
            "--show-recipients",
            help="Allow --by on a column holding addresses (they become group titles).",
        ),
    ] = False,
    memory: Annotated[
        str,
        typer.Option("--memory", help="Memory budget (e.g. 1GB, 512MB); beyond it, spill to disk."),
    ] = "1GB",
    html_file: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Also write the click map: one self-contained HTML page, each email with its "
            "links' figures on it.",
        ),
    ] = None,
    sample_data: Annotated[
        Path | None,
        typer.Option(
            "--sample-data",
            help="JSON or TOML values for template variables in the click map (per template).",
        ),
    ] = None,
    load_images: Annotated[
        bool,
        typer.Option(
            "--load-images", help="Let the click map's viewer load the emails' remote images."
        ),
    ] = False,
    engine_name: Annotated[
        str,
        typer.Option("--engine", help="duckdb (embedded) or spark (pip install 'ctamap[spark]')."),
    ] = "duckdb",
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL, with --engine spark.")
    ] = "local[*]",
    sql_dialect: Annotated[
        str | None,
        typer.Option(
            "--sql",
            help="Print the report query for duckdb, spark, trino, bigquery or snowflake "
            "instead of running it (over --events-table and --map-table).",
        ),
    ] = None,
    events_table: Annotated[
        str, typer.Option("--events-table", help="With --sql: the normalised events table.")
    ] = "ctamap_events",
    map_table: Annotated[
        str, typer.Option("--map-table", help="With --sql: the link map table.")
    ] = "ctamap_links",
    templates_dir: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            help="Folder the link map's template paths are relative to (default: the map's).",
        ),
    ] = None,
    output_file: OutputFileOpt = None,
    old_input: Annotated[str | None, typer.Option("--format", hidden=True)] = None,
    old_output: Annotated[str | None, typer.Option("--output", hidden=True)] = None,
) -> None:
    """Join click/open/delivery logs from an email service back to the CTAs of the link map."""
    import re

    from ctamap.config import load
    from ctamap.report import FORMATS, RENDERERS, BotMode, ReportOptions, run_report
    from ctamap.report.engines import DIALECTS, ENGINES
    from ctamap.report.privacy import is_recipient_column
    from ctamap.report.render import CSV_TABLES

    if sql_dialect is not None and sql_dialect not in DIALECTS:
        raise typer.BadParameter(f"choose one of {', '.join(DIALECTS)}", param_hint="--sql")
    if engine_name not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    if not logs and sql_dialect is None:
        raise typer.BadParameter("give one or more event files", param_hint="LOGS")
    input_format = _one_spelling("--input-format", input_format, "--format", old_input) or "auto"
    # `-o json` was report's output format before -o meant the output file in every command.
    if (
        output is None
        and old_output is None
        and output_file is not None
        and str(output_file) in RENDERERS
        and not output_file.exists()
    ):
        output, output_file = str(output_file), None
    output = _one_spelling("--output-format", output, "--output", old_output) or "table"
    if input_format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--input-format")
    if output == "parquet" and (not output_dir or output_file is not None):
        raise typer.BadParameter(
            "parquet is a folder of tables: give --output-dir DIR", param_hint="--output-format"
        )
    if output != "parquet" and output not in RENDERERS:
        raise typer.BadParameter(
            f"choose one of {', '.join(RENDERERS)} or parquet", param_hint="--output-format"
        )
    if csv_table not in CSV_TABLES:
        raise typer.BadParameter(f"choose one of {', '.join(CSV_TABLES)}", param_hint="--csv-table")
    if bots not in {mode.value for mode in BotMode}:
        raise typer.BadParameter("choose exclude, flag or include", param_hint="--bots")
    if delivered is not None and sent is not None:
        raise typer.BadParameter("give --delivered or --sent, not both", param_hint="--sent")
    if bounced is not None and sent is None:
        raise typer.BadParameter(
            "counts bounces of --sent: give --sent too", param_hint="--bounced"
        )
    if bounced is not None and sent is not None and bounced > sent:
        raise typer.BadParameter(f"{bounced} is more than --sent {sent}", param_hint="--bounced")
    if by is not None and not show_recipients and is_recipient_column(by):
        raise typer.BadParameter(
            f"{by!r} holds recipients' addresses; --show-recipients allows it", param_hint="--by"
        )
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", memory, re.I):
        raise typer.BadParameter(
            f"{memory!r} is not a size like 1GB or 512MB", param_hint="--memory"
        )
    window = (_utc(since, "--since"), _utc(until, "--until"))
    if window[0] is not None and window[1] is not None and window[0] >= window[1]:
        raise typer.BadParameter(
            f"{since} is not before --until {until}: no event could be counted",
            param_hint="--since",
        )
    # The config that belongs to the link map: --config, else the one found from its folder.
    start = maps[0].resolve().parent if maps else None
    settings = load(config, start=start)
    map_paths = tuple(maps) if maps else (settings.root / settings.link_map,)
    layouts, twins, templates = _composition(map_paths, settings, templates_dir)
    options = ReportOptions(
        layouts=layouts,
        twins=twins,
        maps=map_paths,
        logs=tuple(logs or ()),
        format=input_format,
        columns=tuple(_column(c) for c in column or ()),
        link_id_param=link_id_param or settings.link_id_param,
        since=window[0],
        until=window[1],
        dedupe_window=_seconds(dedupe_window, "--dedupe-window"),
        bots=BotMode(bots),
        bot_min_seconds=bot_min_seconds,
        bot_burst=bot_burst,
        bot_burst_seconds=_seconds(bot_burst_window, "--bot-burst-window"),
        by=by,
        delivered=delivered,
        sent=sent,
        bounced=bounced,
        unmatched_limit=top_unmatched,
        progress=sys.stderr.isatty(),
        template_field=settings.report.template_field,
        memory_limit=memory.strip(),
        show_recipients=show_recipients,
        engine=engine_name,
        master=master,
        parquet_dir=output_dir if output == "parquet" else None,
    )
    if sql_dialect is not None:
        from ctamap.report import load_link_maps
        from ctamap.report.engines.record import report_sql

        text = report_sql(
            options,
            load_link_maps(options.maps),
            sql_dialect,
            events_table=events_table,
            map_table=map_table,
        )

        def print_sql() -> None:
            sys.stdout.write(text)

        if output_file is not None:
            _emit(text, output_file)
        else:
            _write_quietly(print_sql)
        raise typer.Exit(EXIT_OK)
    if html_file is not None and sample_data is not None and not sample_data.is_file():
        raise typer.BadParameter(f"{sample_data}: no such file", param_hint="--sample-data")
    if html_file is None:
        result = run_report(options)
    else:
        from ctamap.report import run_reports
        from ctamap.report.clickmap import VIEWS

        reports = run_reports(options, (options.by, *VIEWS))
        result = reports[0]
    for note in result.sources:
        _say(f"ctamap: {note.name}: read as {note.reader} ({note.rows:,} rows)")
    for line in result.errors:
        _say(f"ctamap: error: {line}")
    if output == "parquet":
        _say(f"ctamap: wrote ctas, emails and excluded tables (Parquet) to {output_dir}")
    elif output_file is None:
        _write_quietly(lambda: RENDERERS[output](result, sys.stdout, csv_table=csv_table))
    else:
        import io

        rendered = io.StringIO()
        RENDERERS[output](result, rendered, csv_table=csv_table)
        _emit(rendered.getvalue(), output_file)
    if html_file is not None:
        _write_click_map(options, settings, reports, html_file, sample_data, load_images,
                         templates_dir, templates)  # fmt: skip
    if result.errors:
        raise typer.Exit(EXIT_ERROR)


def _template_bases(
    maps: Sequence[Path], settings: "Config", templates_dir: Path | None
) -> tuple[Path, ...]:
    """Folders the link map's template keys are relative to, in the order they are tried."""
    if templates_dir is not None:
        return (templates_dir,)
    return tuple(dict.fromkeys((*(m.resolve().parent for m in maps), settings.root, Path.cwd())))


def _composition(
    maps: Sequence[Path], settings: "Config", templates_dir: Path | None
) -> tuple[
    tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str], ...], "LinkMapTemplates | None"
]:
    """`ReportOptions.layouts` and `.twins`: which of the link map's templates are layouts
    (and the emails using each) and which text template is whose twin, from the templates
    themselves and the config's `[pairs]` (none found: every template is its own email);
    and those templates as read, for the click map."""
    from ctamap.report import load_link_maps
    from ctamap.report.catalog import composition_of, read_templates, twins

    try:
        entries = load_link_maps(maps)
    except CtamapError:
        return (), (), None  # the report itself says what is wrong with the map
    bases = _template_bases(maps, settings, templates_dir)
    templates = read_templates(entries, bases, settings)
    return (
        tuple(sorted(composition_of(templates).items())),
        tuple(sorted(twins(entries, bases, settings).items())),
        templates,
    )


def _write_click_map(
    options: "ReportOptions",
    settings: "Config",
    reports: list["Report"],
    html_file: Path,
    sample_data: Path | None,
    load_images: bool,
    templates_dir: Path | None,
    templates: "LinkMapTemplates | None",
) -> None:
    """The click map of the report (and its per-template, day and part views) to `html_file`;
    `templates` are those the report read (each is read once per run)."""
    from ctamap.instrument import write_atomic
    from ctamap.report import load_link_maps
    from ctamap.report.clickmap import ClickMapOptions, Views, build_click_map

    bases = _template_bases(options.maps, settings, templates_dir)
    page = build_click_map(
        Views(reports[0], *reports[1:]),
        load_link_maps(options.maps),
        settings,
        ClickMapOptions(
            template_bases=bases,
            sample_data=sample_data,
            load_images=load_images,
            sources=(*(str(m) for m in options.maps), *options.logs),
            templates=templates,
        ),
    )
    try:
        write_atomic(html_file, page)
    except OSError as error:
        raise CtamapError(f"cannot write: {error.strerror}", path=str(html_file)) from None
    _say(f"click map written to {html_file}")
