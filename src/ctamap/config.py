"""The typed configuration, where it is found, and how it is validated.

Precedence: `--config FILE`, else the nearest of `pyproject.toml` ([tool.ctamap]), `ctamap.toml`
or `.ctamap.toml`, walking up from the current folder to the repository root. Unknown keys and
bad values are `ConfigError`s with a "did you mean" hint; nothing is silently ignored.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ctamap.errors import ConfigError

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
_PLACEHOLDER = re.compile(r"\{(template|link_id|campaign)\}")


@dataclass(frozen=True)
class UtmPolicy:
    """The `[utm]` table: values may use `{template}`, `{link_id}`, `{campaign}`."""

    source: str = "newsletter"
    medium: str = "email"
    campaign: str = "{campaign}"
    content: str = "{link_id}"
    term: str = ""
    existing: str = "keep"  # "keep" author-set utm_* values, or "override" them


@dataclass(frozen=True)
class PixelConfig:
    """The `[pixel]` table: no pixel is inserted while `url` is empty."""

    url: str = ""
    position: str = "top"  # "top" (after <body>) or "bottom" (before </body>)


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
    text: tuple[str, ...] = ("*.txt", "*.text", "*-text.*", "*_text.*", "*.text.*")
    exclude: tuple[str, ...] = ()
    template_syntax: str = "auto"
    first_party_domains: tuple[str, ...] = ()
    shorteners: tuple[str, ...] = ()
    link_id_param: str = "cta_id"
    campaign: str = ""
    link_map: str = "ctamap.linkmap.json"
    max_file_bytes: int = 5_000_000
    utm: UtmPolicy = field(default_factory=UtmPolicy)
    pixel: PixelConfig = field(default_factory=PixelConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    # Where the config came from ("defaults" or a path) and the folder paths are relative to.
    origin: str = "defaults"
    root: Path = field(default_factory=Path.cwd)


_TABLES: dict[str, type[Any]] = {"utm": UtmPolicy, "pixel": PixelConfig, "audit": AuditConfig}


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _coerce(where: str, key: str, default: Any, value: Any) -> Any:
    """Check `value` against the type of the field's default, turning lists into tuples."""
    if isinstance(default, int):  # bool is an int too; the type check below tells them apart
        if type(value) is not type(default):
            raise ConfigError(f"{where}{key} must be {type(default).__name__}, got {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}{key} must be a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}{key} must be a list of strings, got {value!r}")
        return tuple(value)
    if isinstance(default, Mapping):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}{key} must be a table, got {value!r}")
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    raise ConfigError(f"{where}{key}: unsupported value {value!r}")


def _build(cls: type[Any], data: Mapping[str, Any], where: str) -> Any:
    defaults = cls()
    known = [f.name for f in fields(cls) if f.name not in ("origin", "root")]
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"unknown key '{where}{key}'{_did_you_mean(key, known)}")
        if key in _TABLES and cls is Config:
            if not isinstance(value, dict):
                raise ConfigError(f"'{key}' must be a table")
            values[key] = _build(_TABLES[key], value, f"{key}.")
        else:
            values[key] = _coerce(where, key, getattr(defaults, key), value)
    return replace(defaults, **values)


def validate(config: Config) -> Config:
    """Reject values that would make instrumenting produce something off house style."""
    if config.template_syntax not in TEMPLATE_SYNTAXES:
        raise ConfigError(
            f"template_syntax must be one of {', '.join(TEMPLATE_SYNTAXES)}, "
            f"got '{config.template_syntax}'"
        )
    if config.utm.existing not in ("keep", "override"):
        raise ConfigError(f"utm.existing must be 'keep' or 'override', got '{config.utm.existing}'")
    if config.pixel.position not in ("top", "bottom"):
        raise ConfigError(
            f"pixel.position must be 'top' or 'bottom', got '{config.pixel.position}'"
        )
    for name in ("source", "medium", "campaign", "content", "term"):
        value = getattr(config.utm, name)
        if value == "" and name == "term":
            continue
        check_utm_value(f"utm.{name}", _PLACEHOLDER.sub("x", value))
    if config.campaign:
        check_utm_value("campaign", config.campaign)
    if not re.fullmatch(r"[a-z0-9_]+", config.link_id_param):
        raise ConfigError(
            f"link_id_param must be lowercase letters, digits or '_', got '{config.link_id_param}'"
        )
    for level in config.audit.severity.values():
        if level not in ("error", "warning", "notice"):
            raise ConfigError(f"audit.severity values are error, warning or notice, got '{level}'")
    if config.max_file_bytes <= 0:
        raise ConfigError("max_file_bytes must be a positive number of bytes")
    return config


def check_utm_value(name: str, value: str) -> None:
    """House style for UTM values: lowercase, `[a-z0-9._-]`, no spaces."""
    if not _UTM_VALUE.fullmatch(value):
        raise ConfigError(
            f"{name} = '{value}' is not house style: use lowercase letters, digits, '.', '_' or '-'"
        )


def from_mapping(
    data: Mapping[str, Any], *, origin: str = "defaults", root: Path | None = None
) -> Config:
    """Build a validated `Config` from already-parsed TOML (top-level keys)."""
    config = _build(Config, data, "")
    return validate(replace(config, origin=origin, root=root or Path.cwd()))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", path=str(path)) from None
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", path=str(path)) from None


def _section(path: Path) -> dict[str, Any] | None:
    """The ctamap part of a config file, or None when a pyproject.toml has no [tool.ctamap]."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("ctamap")
        if section is not None and not isinstance(section, dict):
            raise ConfigError("[tool.ctamap] must be a table", path=str(path))
        return section
    return data


def discover(start: Path | None = None) -> Path | None:
    """The nearest config file from `start` up to the repository root (a folder with .git)."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        found = [
            candidate / name
            for name in CONFIG_NAMES
            if (candidate / name).is_file() and _section(candidate / name) is not None
        ]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise ConfigError(
                f"two config files in one folder ({names}): keep one", path=str(candidate)
            )
        if found:
            return found[0]
        if (candidate / ".git").exists():
            return None
    return None


def load(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Load the config named by `--config`, or discover one; defaults when there is none."""
    if path is None:
        path = discover(start)
        if path is None:
            return validate(Config(root=(start or Path.cwd()).resolve()))
    if not path.is_file():
        raise ConfigError("config file not found", path=str(path))
    section = _section(path)
    if section is None:
        raise ConfigError("has no [tool.ctamap] table", path=str(path))
    try:
        return from_mapping(section, origin=str(path), root=path.resolve().parent)
    except ConfigError as error:
        if error.path is None:
            error.path = str(path)
        raise


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
    for name, table in tables:
        lines.append(f"\n[{name}]")
        for f in fields(table):
            lines.append(f"{f.name} = {_toml_value(getattr(table, f.name))}")
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
