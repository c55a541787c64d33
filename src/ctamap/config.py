"""The typed configuration, where it is found, and how it is validated.

Precedence: `--config FILE`, else for each PATH argument the nearest of `pyproject.toml`
([tool.ctamap]), `ctamap.toml` or `.ctamap.toml`, walking up from that PATH to the repository
root (as ruff does), else the defaults. Unknown keys and bad values are `ConfigError`s with a
"did you mean" hint and the line they are on; every problem of a file is reported at once.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ctamap.errors import ConfigError, ConfigErrors

CONFIG_NAMES = ("pyproject.toml", "ctamap.toml", ".ctamap.toml")
TEMPLATE_SYNTAXES = (
    "auto",
    "jinja",
    "django",
    "liquid",
    "handlebars",
    "mustache",
    "mailchimp",
    "ampscript",
    "mailjet",
    "none",
)
_UTM_VALUE = re.compile(r"^[a-z0-9._-]+$")
PLACEHOLDERS = ("template", "campaign", "link_id")
_PLACEHOLDER = re.compile(r"\{(template|link_id|campaign)\}")
_BRACED = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")  # `{x}`, not inside `{{ x }}`
UTM_NAMES = ("source", "medium", "campaign", "content", "term")


@dataclass(frozen=True)
class UtmOverride:
    """One `[[utm.override]]`: UTM values for the templates whose path matches a glob."""

    paths: tuple[str, ...]  # globs over the template's path from the config's folder
    values: Mapping[str, str]  # only the values it sets (source, medium, campaign …)


@dataclass(frozen=True)
class UtmPolicy:
    """The `[utm]` table. A value is house style with placeholders `{template}`, `{link_id}`,
    `{campaign}`; or one template expression, written as is (`{{ utm_campaign }}`: the ESP
    fills it at send time); or `""`, which leaves that parameter out."""

    source: str = "newsletter"
    medium: str = "email"
    campaign: str = "{campaign}"
    content: str = "{link_id}"
    term: str = ""
    existing: str = "keep"  # "keep" author-set utm_* values, or "override" them
    override: tuple[UtmOverride, ...] = ()  # in file order; a later match wins per value

    def for_template(self, key: str) -> UtmPolicy:
        """The policy for one template (`key`: its path from the config's folder)."""
        values: dict[str, Any] = {}
        for item in self.override:
            if any(fnmatch.fnmatchcase(key, glob) for glob in item.paths):
                values.update(item.values)
        return replace(self, **values) if values else self


@dataclass(frozen=True)
class PixelConfig:
    """The `[pixel]` table: no pixel is inserted while `url` is empty."""

    url: str = ""  # template expressions kept for send time; {template}, {campaign} filled in
    position: str = "top"  # "top" (after <body>) or "bottom" (before </body>)
    # Globs of templates that get no pixel (security and legal mail): matched against the
    # template's path from the config's folder and against its file name.
    exclude: tuple[str, ...] = ()

    def excluded_by(self, key: str) -> str:
        """The `exclude` glob that keeps the pixel out of template `key`, "" when none does."""
        name = key.rsplit("/", 1)[-1]
        for glob in self.exclude:
            if fnmatch.fnmatchcase(key, glob) or fnmatch.fnmatchcase(name, glob):
                return glob
        return ""


@dataclass(frozen=True)
class AuditConfig:
    """The `[audit]` table: which rules run and how loud they are."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_ctas: int = 25
    vague_texts: tuple[str, ...] = (
        "click here",
        "click",
        "here",
        "read more",
        "more",
        "link",
        "this link",
        "learn more",
        "go",
    )


@dataclass(frozen=True)
class ReportConfig:
    """The `[report] table`: how `ctamap report` reads the providers' events."""

    template_field: str = ""
    """Where each event names its email: a dotted path into the provider's JSON event (e.g.
    `custom_args.email`) or a CSV header. Empty: each provider's own field."""


@dataclass(frozen=True)
class Config:
    """Everything ctamap can be told; defaults work for a repository of HTML + text templates."""

    include: tuple[str, ...] = (
        "*.html",
        "*.htm",
        "*.j2",
        "*.jinja",
        "*.jinja2",
        "*.liquid",
        "*.hbs",
        "*.handlebars",
        "*.mustache",
        "*.mjml",
        "*.txt",
        "*.text",
    )
    # `*.txt.*` (`receipt.txt.j2`) is always text, whatever this list says: see walk.py.
    text: tuple[str, ...] = ("*.txt", "*.text", "*-text.*", "*_text.*", "*.text.*", "*.txt.*")
    exclude: tuple[str, ...] = ()
    template_syntax: str = "auto"
    first_party_domains: tuple[str, ...] = ()
    # Template expressions that stand for a first-party host (`{{ base_url }}/pricing`):
    # expression name -> the host it is filled with at send time. Their links are tracked.
    dynamic_hosts: Mapping[str, str] = field(default_factory=dict)
    shorteners: tuple[str, ...] = ()
    link_id_param: str = "cta_id"
    campaign: str = ""
    link_map: str = "ctamap.linkmap.json"
    max_file_bytes: int = 5_000_000
    utm: UtmPolicy = field(default_factory=UtmPolicy)
    pixel: PixelConfig = field(default_factory=PixelConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    # `[pairs]`: HTML glob -> text-version glob, `*` standing for the same text in both
    # (`"emails/*.mjml" = "text/*.txt"`); tried before the naming convention (graph.py).
    pairs: Mapping[str, str] = field(default_factory=dict)
    report: ReportConfig = field(default_factory=ReportConfig)
    # Where the config came from ("defaults" or a path) and the folder paths are relative to.
    origin: str = "defaults"
    root: Path = field(default_factory=Path.cwd)


_TABLES: dict[str, type[Any]] = {
    "utm": UtmPolicy,
    "pixel": PixelConfig,
    "audit": AuditConfig,
    "report": ReportConfig,
}


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Bad(Exception):
    """One bad value, raised by the checks below and collected by `_Problems`."""


@dataclass(eq=False, repr=False)  # never compared or shown: no generated methods to pay for
class _Problems:
    """Every problem found in one config, each with the dotted key it is about."""

    found: list[tuple[str, str]] = field(default_factory=list)  # (key, message)

    def add(self, key: str, message: str) -> None:
        self.found.append((key, message))

    def check(self, key: str, test: Callable[[], object]) -> None:
        """Run `test`; a `_Bad` or `ConfigError` it raises becomes a problem about `key`."""
        try:
            test()
        except (_Bad, ConfigError) as error:
            self.add(key, error.message if isinstance(error, ConfigError) else str(error))

    def raise_if_any(self, path: str | None, lines: Mapping[str, int]) -> None:
        if not self.found:
            return
        errors = [
            ConfigError(message, path=path, line=_line_of(key, lines) if path else None)
            for key, message in self.found
        ]
        errors.sort(key=lambda e: e.line or 0)  # in file order (stable for equal lines)
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)


def _coerce(where: str, key: str, default: Any, value: Any) -> Any:
    """Check `value` against the type of the field's default, turning lists into tuples."""
    if isinstance(default, int):  # bool is an int too; the type check below tells them apart
        if type(value) is not type(default):
            raise _Bad(f"{where}{key} must be {type(default).__name__}, got {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise _Bad(f"{where}{key} must be a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Bad(f"{where}{key} must be a list of strings, got {value!r}")
        return tuple(value)
    if isinstance(default, Mapping):
        if not isinstance(value, dict):
            raise _Bad(f"{where}{key} must be a table, got {value!r}")
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    raise _Bad(f"{where}{key}: unsupported value {value!r}")


def _build(cls: type[Any], data: Mapping[str, Any], where: str, problems: _Problems) -> Any:
    """An instance of `cls` from `data`; a bad key or value is a problem and keeps its default,
    so that the remaining keys are still checked."""
    defaults = cls()
    known = [f.name for f in fields(cls) if f.name not in ("origin", "root")]
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.add(f"{where}{key}", f"unknown key '{where}{key}'{_did_you_mean(key, known)}")
        elif cls is UtmPolicy and key == "override":
            values[key] = _overrides(value, problems)
        elif key in _TABLES and cls is Config:
            if not isinstance(value, dict):
                problems.add(key, f"'{key}' must be a table")
            else:
                values[key] = _build(_TABLES[key], value, f"{key}.", problems)
        else:
            try:
                values[key] = _coerce(where, key, getattr(defaults, key), value)
            except _Bad as error:
                problems.add(f"{where}{key}", str(error))
    return replace(defaults, **values)


def _overrides(value: Any, problems: _Problems) -> tuple[UtmOverride, ...]:
    """The `[[utm.override]]` tables, each with its globs and the UTM values it sets."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.add(
            "utm.override",
            "utm.override must be a list of tables: write each one as [[utm.override]] with "
            'paths = ["layouts/*"] and the values it sets',
        )
        return ()
    found: list[UtmOverride] = []
    known = ["paths", *UTM_NAMES]
    for index, item in enumerate(value):
        where = f"utm.override[{index}]"
        paths = item.get("paths")
        if not (isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)):
            problems.add(
                f"{where}.paths" if "paths" in item else where,
                f'{where}.paths must be a non-empty list of globs, e.g. paths = ["layouts/*"]',
            )
            paths = []
        values: dict[str, str] = {}
        for key, setting in item.items():
            if key == "paths":
                continue
            if key not in UTM_NAMES:
                problems.add(
                    f"{where}.{key}", f"unknown key '{where}.{key}'{_did_you_mean(key, known)}"
                )
            elif not isinstance(setting, str):
                problems.add(f"{where}.{key}", f"{where}.{key} must be a string, got {setting!r}")
            else:
                values[key] = setting
        found.append(UtmOverride(tuple(paths), values))
    return tuple(found)


def is_template_expression(value: str, syntax: str = "auto") -> bool:
    """`value` is exactly one template expression (`{{ utm_campaign }}`, `*|CAMPAIGN_UID|*`),
    as the lexer that masks templates reads it."""
    return _expression_problem(value, syntax) is None


@functools.lru_cache(maxsize=256)
def _expression_problem(value: str, syntax: str) -> str | None:
    """Why `value` is not one template expression, None when it is."""
    from ctamap import source  # deferred: jinja2 is imported only for templated values

    try:
        _, spans = source.find_spans(value, syntax if syntax in TEMPLATE_SYNTAXES else "auto")
    except source.TemplateSyntaxProblem as problem:
        return problem.message
    if not spans:
        return "no template expression"
    if len(spans) > 1 or spans[0].start != 0 or spans[0].end != len(value):
        return "more than one template expression, or text beside it"
    if spans[0].kind is not source.SpanKind.EXPR:
        return "a statement or comment, not an expression that prints a value"
    return None


def check_utm_setting(name: str, value: str, syntax: str = "auto") -> None:
    """A configured UTM value: empty, one template expression, or house style with known
    placeholders."""
    if value == "":
        return
    problem = _expression_problem(value, syntax)
    if problem is None:
        if re.search(r'["<>]', value):
            raise ConfigError(
                f"{name} = '{value}': a double quote or angle bracket would end the href "
                "attribute; use single quotes inside the expression"
            )
        return
    if problem != "no template expression":
        raise ConfigError(
            f"{name} = '{value}' must be one template expression in the template's syntax "
            f"({{{{ utm_campaign }}}}, *|CAMPAIGN_UID|*) or a house-style value: {problem}"
        )
    for placeholder in _BRACED.findall(value):
        if placeholder not in PLACEHOLDERS:
            raise ConfigError(
                f"{name} = '{value}': unknown placeholder {{{placeholder}}}: use {{template}}, "
                "{campaign} or {link_id}"
            )
    check_utm_value(name, _PLACEHOLDER.sub("x", value))


PIXEL_PLACEHOLDERS = ("template", "campaign")


def placeholders_of(value: str, syntax: str = "auto") -> list[tuple[int, int, str]]:
    """`(start, end, name)` of every `{name}` in `value` outside its template expressions, so
    that `{{ message_id }}` or `{% if x %}` is never read as a placeholder."""
    from ctamap import source  # deferred: jinja2 is imported only for templated values

    try:
        _, spans = source.find_spans(value, syntax if syntax in TEMPLATE_SYNTAXES else "auto")
    except source.TemplateSyntaxProblem as problem:
        raise ConfigError(f"'{value}': {problem.message}") from None
    masked = source.mask(value, spans)
    return [(m.start(), m.end(), m.group(1)) for m in _BRACED.finditer(masked)]


def fill_placeholders(value: str, values: Mapping[str, str], syntax: str = "auto") -> str:
    """`value` with each placeholder outside template expressions replaced from `values`."""
    found = placeholders_of(value, syntax)
    for start, end, name in reversed(found):
        value = value[:start] + values[name] + value[end:]
    return value


def check_pixel_url(url: str, syntax: str = "auto") -> None:
    """The pixel URL: template expressions as written, and only the pixel's placeholders."""
    try:
        found = placeholders_of(url, syntax)
    except ConfigError as error:
        raise ConfigError(f"pixel.url = {error.message}") from None
    for _, _, name in found:
        if name == "link_id":
            raise ConfigError(
                f"pixel.url = '{url}': {{link_id}} has no value in the pixel (it is not a "
                "link): use {template} or {campaign}"
            )
        if name not in PIXEL_PLACEHOLDERS:
            close = difflib.get_close_matches(name, PIXEL_PLACEHOLDERS, n=1)
            hint = f"did you mean {{{close[0]}}}? " if close else ""
            raise ConfigError(
                f"pixel.url = '{url}': unknown placeholder {{{name}}}: {hint}use {{template}} "
                "or {campaign}, or a template expression filled at send time ({{ message_id }})"
            )


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = " or ".join(f"'{a}'" for a in allowed)
        raise _Bad(f"{name} must be {choices}, got '{value}'")


def _check(config: Config, problems: _Problems) -> None:
    """Every value that would make instrumenting produce something off house style."""
    if config.template_syntax not in TEMPLATE_SYNTAXES:
        problems.add(
            "template_syntax",
            f"template_syntax must be one of {', '.join(TEMPLATE_SYNTAXES)}, "
            f"got '{config.template_syntax}'",
        )
    problems.check(
        "utm.existing", lambda: _one_of("utm.existing", config.utm.existing, ("keep", "override"))
    )
    problems.check(
        "pixel.position",
        lambda: _one_of("pixel.position", config.pixel.position, ("top", "bottom")),
    )
    if config.pixel.url:
        problems.check(
            "pixel.url", lambda: check_pixel_url(config.pixel.url, config.template_syntax)
        )
    settings = [(f"utm.{name}", getattr(config.utm, name)) for name in UTM_NAMES]
    for index, item in enumerate(config.utm.override):
        settings.extend((f"utm.override[{index}].{k}", v) for k, v in item.values.items())
    for key, value in settings:
        problems.check(key, lambda k=key, v=value: check_utm_setting(k, v, config.template_syntax))  # type: ignore[misc]
    if config.campaign:
        problems.check("campaign", lambda: check_utm_value("campaign", config.campaign))
    if config.link_id_param == "":
        # The report then attributes clicks by utm_content: every template must carry the ID.
        for key, value in settings:
            if key.endswith(".content") and "{link_id}" not in value:
                problems.add(
                    key if key != "utm.content" else "link_id_param",
                    f'link_id_param = "" leaves a click no way to name its CTA: {key} must '
                    f"carry {{link_id}} (it is '{value}')",
                )
    elif not re.fullmatch(r"[a-z0-9_]+", config.link_id_param):
        problems.add(
            "link_id_param",
            f"link_id_param must be lowercase letters, digits or '_' (or \"\" when "
            f"utm.content carries {{link_id}}), got '{config.link_id_param}'",
        )
    for code, level in config.audit.severity.items():
        if level not in ("error", "warning", "notice"):
            problems.add(
                f"audit.severity.{code}",
                f"audit.severity values are error, warning or notice, got '{level}'",
            )
    for name, host in config.dynamic_hosts.items():
        problems.check(f"dynamic_hosts.{name}", lambda n=name, h=host: _check_dynamic_host(n, h))  # type: ignore[misc]
    for html_glob, problem in _pair_problems(config.pairs):
        problems.add(f"pairs.{html_glob}", problem)
    if config.max_file_bytes <= 0:
        problems.add("max_file_bytes", "max_file_bytes must be a positive number of bytes")


# Patterns only some runs need are compiled by `re` on first use (a start-up pays for each
# compiled at import).
_HOST = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"


def _check_dynamic_host(name: str, host: object) -> None:
    """`dynamic_hosts = {base_url = "example.com"}`: a lowercase host name, nothing else."""
    if not name.strip():
        raise _Bad("dynamic_hosts: an empty expression name")
    if not isinstance(host, str):
        raise _Bad(f"dynamic_hosts.{name} must be a host name (a string), got {host!r}")
    if not re.fullmatch(_HOST, host):
        hint = (
            f" (write the host alone: '{host.split('://', 1)[1].split('/', 1)[0].lower()}')"
            if "://" in host
            else ""
        )
        raise _Bad(
            f"dynamic_hosts.{name} = '{host}' is not a lowercase host name such as "
            f"'example.com'{hint}"
        )


def validate(config: Config) -> Config:
    """`config`, or a `ConfigError` naming every problem in it."""
    problems = _Problems()
    _check(config, problems)
    problems.raise_if_any(None, {})
    return config


def _pair_problems(pairs: Mapping[str, object]) -> list[tuple[str, str]]:
    """What is wrong with a `[pairs]` table: (HTML glob, message) for each problem."""
    problems: list[tuple[str, str]] = []
    for html, text in pairs.items():
        if not isinstance(text, str) or not text:
            problems.append((html, f"pairs.'{html}' must be a text-version glob (a string)"))
            continue
        if "**" in html + text or "[" in html + text:
            problems.append((html, f"pairs.'{html}': use `*` and `?` only (no `**` or `[...]`)"))
            continue
        wild_html, wild_text = len(re.findall(r"[*?]", html)), len(re.findall(r"[*?]", text))
        if wild_html != wild_text:
            problems.append(
                (
                    html,
                    f"pairs.'{html}' = '{text}': both globs need the same wildcards "
                    f"({wild_html} and {wild_text}); each `*` stands for the same text in both",
                )
            )
    return problems


def check_utm_value(name: str, value: str) -> None:
    """House style for UTM values: lowercase, `[a-z0-9._-]`, no spaces."""
    if not _UTM_VALUE.fullmatch(value):
        raise ConfigError(
            f"{name} = '{value}' is not house style: use lowercase letters, digits, '.', '_' or '-'"
        )


def from_mapping(
    data: Mapping[str, Any],
    *,
    origin: str = "defaults",
    root: Path | None = None,
    lines: Mapping[str, int] | None = None,
) -> Config:
    """Build a validated `Config` from already-parsed TOML (top-level keys). Every problem is
    reported at once; `lines` (dotted key -> line in `origin`) places each one in the file."""
    problems = _Problems()
    built: Config = _build(Config, data, "", problems)
    config = replace(built, origin=origin, root=root or Path.cwd())
    _check(config, problems)
    problems.raise_if_any(None if origin == "defaults" else origin, lines or {})
    return config


# -- Where a key is written ----------------------------------------------------------------------

# Only a run that reads a config file needs these: compiled by `re` on first use.
_TABLE_LINE = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?"
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY_LINE = rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*="
_DOT_OUTSIDE_QUOTES = r"""\.(?=(?:[^"']|"[^"]*"|'[^']*')*$)"""


def _dotted(key: str) -> str:
    """`utm . "campaign"` -> `utm.campaign`."""
    return ".".join(part.strip().strip("\"'") for part in re.split(_DOT_OUTSIDE_QUOTES, key))


def key_lines(text: str, prefix: str = "") -> dict[str, int]:
    """Dotted key -> the line it is written on (tables and array-of-table items too, the n-th
    `[[a.b]]` as `a.b[n]`); `prefix` (`tool.ctamap.`) is dropped. tomllib reports lines only
    for syntax errors, so a bad value's line is found in the text."""
    found: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if (header := re.match(_TABLE_LINE, line)) is not None:
            name = _dotted(header.group(2))
            if header.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                name = f"{name}[{index}]"
            table = name
            key = name
        elif (assignment := re.match(_KEY_LINE, line)) is not None:
            name = _dotted(assignment.group(1))
            key = f"{table}.{name}" if table else name
        else:
            continue
        if key.startswith(prefix) or (prefix and key == prefix[:-1]):
            found.setdefault(key[len(prefix) :], number)
    return found


def _line_of(key: str, lines: Mapping[str, int]) -> int | None:
    """The line of `key`, else of the nearest table or inline table it is written in."""
    while key:
        if key in lines:
            return lines[key]
        key = key.rpartition(".")[0]
    return None


# -- Finding and reading config files ------------------------------------------------------------


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    import tomllib  # 2 ms: only a run that finds a config file reads TOML

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) else "not UTF-8"
        raise ConfigError(f"cannot read config: {why}", path=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        if where:
            line = int(where.group(1))
            message = message[: where.start()] + f" (column {where.group(2)})"
        else:  # "(at end of document)"
            line = text.count("\n") + 1
            message = re.sub(r" \(at end of document\)$", " at the end of the file", message)
        raise ConfigError(f"not valid TOML: {message}", path=_shown(path), line=line) from None


def _section(path: Path) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The ctamap part of a config file and its key lines, or None when a pyproject.toml has
    no [tool.ctamap]."""
    data, text = _read_toml(path)
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("ctamap")
        if section is None:
            return None
        if not isinstance(section, dict):
            raise ConfigError("[tool.ctamap] must be a table", path=str(path))
        return section, key_lines(text, "tool.ctamap.")
    return data, key_lines(text)


def _is_config(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.name != "pyproject.toml":
        return True
    # A pyproject.toml without [tool.ctamap] is not ours (read only when one exists).
    return _section(path) is not None


@dataclass(frozen=True)
class Found:
    """Where discovery ended: the config file (None when none) and the repository root."""

    config: Path | None
    repository: Path | None


def _discover_from(folder: Path) -> Found:
    for candidate in (folder, *folder.parents):
        found = [candidate / name for name in CONFIG_NAMES if _is_config(candidate / name)]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise ConfigError(
                f"two config files in one folder ({names}): keep one", path=str(candidate)
            )
        if found:
            return Found(found[0], None)
        if (candidate / ".git").exists():
            return Found(None, candidate)
    return Found(None, None)


def discover(start: Path | None = None) -> Path | None:
    """The nearest config file from `start` up to the repository root (a folder with .git)."""
    return _discover_from((start or Path.cwd()).resolve()).config


def _defaults(root: Path) -> Config:
    return validate(Config(root=root))


def load(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Load the config named by `--config`, or discover one; defaults when there is none (then
    paths are relative to the repository root, else to `start`)."""
    if path is None:
        folder = (start or Path.cwd()).resolve()
        found = _discover_from(folder)
        if found.config is None:
            return _defaults(found.repository or folder)
        path = found.config
    if not path.is_file():
        raise ConfigError("config file not found", path=str(path))
    section = _section(path)
    if section is None:
        raise ConfigError("has no [tool.ctamap] table", path=str(path))
    data, lines = section
    return from_mapping(data, origin=_shown(path), root=path.resolve().parent, lines=lines)


def _shown(path: Path) -> str:
    """A config file as messages name it: relative to the current folder when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ConfigGroup:
    """PATH arguments governed by one config, in the order they were given."""

    config: Config
    paths: tuple[Path, ...]

    @property
    def uses_defaults(self) -> bool:
        return self.config.origin == "defaults"


def _start_of(path: Path) -> Path:
    """Where discovery starts for a PATH argument: the folder itself, a file's folder; the
    current folder for `-` (standard input). A missing PATH starts from its nearest parent, so
    that it is reported as missing under its own config."""
    if str(path) == "-":
        return Path.cwd().resolve()
    try:
        resolved = path.resolve()
    except RuntimeError:  # a symlink loop (the walk says so): start from the link's folder
        resolved = path.absolute().parent.resolve()
    while not resolved.is_dir() and resolved != resolved.parent:
        resolved = resolved.parent
    return resolved


def configs_for(paths: Sequence[Path], given: Path | None) -> list[ConfigGroup]:
    """The config of every PATH argument, grouped: `--config` governs all of them, else each
    PATH uses the nearest config above it (ruff's rule), so one run over two projects treats
    each by its own policy and writes each one's link map next to its config."""
    if given is not None:
        return [ConfigGroup(load(given), tuple(paths))]
    groups: dict[tuple[str, Path], tuple[Config, list[Path]]] = {}
    for path in paths or [Path(".")]:
        folder = _start_of(path)
        found = _discover_from(folder)
        key = (str(found.config), found.config or found.repository or Path.cwd().resolve())
        if key not in groups:
            groups[key] = (load(found.config) if found.config else _defaults(key[1]), [])
        groups[key][1].append(path)
    return [ConfigGroup(config, tuple(members)) for config, members in groups.values()]


def describe(config: Config) -> str:
    """The effective config as TOML-like text, for `ctamap config`."""
    lines = [f"# from: {config.origin}", f"# root: {config.root}"]
    tables: list[tuple[str, Any]] = []
    for f in fields(config):
        if f.name in ("origin", "root"):
            continue
        value = getattr(config, f.name)
        if f.name in _TABLES:
            tables.append((f.name, value))
        else:
            lines.append(f"{f.name} = {_toml_value(value)}")
    overrides: tuple[UtmOverride, ...] = ()
    for name, table in tables:
        lines.append(f"\n[{name}]")
        for f in fields(table):
            if f.name == "override":
                overrides = getattr(table, f.name)
                continue
            lines.append(f"{f.name} = {_toml_value(getattr(table, f.name))}")
    for item in overrides:
        lines.append("\n[[utm.override]]")
        lines.append(f"paths = {_toml_value(item.paths)}")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.values.items())
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + "}"
    return repr(value)
