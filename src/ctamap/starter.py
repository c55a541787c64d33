"""The starting config `ctamap init` writes: a commented `ctamap.toml` (or `[tool.ctamap]` in an
existing `pyproject.toml`) from a survey, never over an existing config without `--force`,
and what to do next (the pre-commit snippet)."""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctamap.config import CONFIG_NAMES, from_mapping
from ctamap.errors import CtamapError
from ctamap.survey import Survey

_SHOWN_DOMAINS = 10  # domains listed in the comment above first_party_domains
_CTAMAP_TABLE = re.compile(r"^\s*\[\[?\s*tool\s*\.\s*ctamap\s*(\.|\]\]?)")
_ANY_TABLE = re.compile(r"^\s*\[")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]+$")


@dataclass(frozen=True)
class Choices:
    """What the config will say (the survey's proposals, or what the user answered)."""

    first_party_domains: tuple[str, ...]
    template_syntax: str
    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def proposed(cls, found: Survey) -> Choices:
        return cls(found.proposed_domains, found.syntax, found.pairs)


def parse_domains(answer: str) -> tuple[str, ...]:
    """`example.com, example-status.com` (commas or spaces) -> the domains, checked."""
    domains = tuple(
        dict.fromkeys(d.strip().lower().strip(".") for d in re.split(r"[,\s]+", answer))
    )
    domains = tuple(d for d in domains if d)
    bad = [d for d in domains if not _DOMAIN.match(d)]
    if bad:
        raise CtamapError(
            f"not a domain: {', '.join(bad)} (write registrable domains such as example.com)"
        )
    return domains


# -- What init says --------------------------------------------------------------------------


def summary(found: Survey, shown: str) -> list[str]:
    """The survey as lines for stderr."""
    homes = ", ".join(f"{h}/" if h != "." else "./" for h in found.homes[:6])
    if len(found.homes) > 6:
        homes += f" and {len(found.homes) - 6} more"
    lines = [
        f"found {found.templates} templates in {shown} ({found.html} HTML, {found.text} text)"
        + (f" under {homes}" if found.homes != (".",) else "")
    ]
    if found.unreadable:
        lines.append(f"  {len(found.unreadable)} could not be read, e.g. {found.unreadable[0]}")
    lines.append(f"template syntax: {found.syntax} ({_syntax_counts(found)})")
    lines.append(f"text versions: {_twin_counts(found)}")
    if found.domains:
        lines.append("links by registrable domain:")
        lines.extend(f"  {line}" for line in _domain_lines(found))
    else:
        lines.append("no links to web pages found")
    return lines


_SYNTAX_WORDS = {"none": "without template tags", "curly": "with only {{ }} tags"}


def _syntax_counts(found: Survey) -> str:
    parts = [f"{number} {_SYNTAX_WORDS.get(name, name)}" for name, number in found.syntaxes]
    return ", ".join(parts) or "no templates"


def _plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _twin_counts(found: Survey) -> str:
    if not found.text and not found.html:
        return "none"
    parts = [f"{_plural(number, 'pair')} named {naming}" for naming, number in found.twin_naming]
    parts.extend(f"{h} ↔ {t}" for h, t in found.pairs)
    lonely = found.html - found.twins
    if lonely:
        parts.append(f"{lonely} HTML without a text version")
    return ", ".join(parts) or "none"


def _domain_lines(found: Survey) -> list[str]:
    proposed = set(found.proposed_domains)
    width = max(len(d.domain) for d in found.domains[:_SHOWN_DOMAINS])
    digits = len(str(found.domains[0].links))
    lines = []
    for d in found.domains[:_SHOWN_DOMAINS]:
        note = (
            "proposed first-party"
            if d.domain in proposed
            else "platform: stays third-party"
            if d.platform
            else "URL shortener: never tracked"
            if d.shortener
            else ""
        )
        links = f"{d.links:>{digits}} link{'' if d.links == 1 else 's'}"
        where = f"in {_plural(d.templates, 'template')}"
        lines.append(f"{links:<{digits + 6}}  {d.domain:<{width}}  {where:<17} {note}".rstrip())
    if len(found.domains) > _SHOWN_DOMAINS:
        lines.append(f"… and {len(found.domains) - _SHOWN_DOMAINS} more domains")
    return lines


# -- The config text ---------------------------------------------------------------------------


def render(found: Survey, choices: Choices, *, pyproject: bool = False) -> str:
    """The commented config, as top-level TOML (ctamap.toml) or under [tool.ctamap]."""
    table = "tool.ctamap." if pyproject else ""
    # In pyproject.toml every line is inside [tool.ctamap], so that --force replaces it all.
    out: list[str] = ["[tool.ctamap]"] if pyproject else []
    out += [
        f"# ctamap configuration, written by `ctamap init` for {found.templates} templates "
        f"({found.html} HTML, {found.text} text).",
        "# Every key is explained in ctamap's configuration reference (docs/configuration.md);",
        "# `ctamap config` prints the effective config and where it came from.",
    ]
    out += [
        "",
        "# Links to these registrable domains (and their subdomains) are yours: `instrument`",
        "# adds UTM parameters and the link ID to them. Links elsewhere are third-party.",
    ]
    if found.domains:
        out.append("# The templates link to:")
        out.extend(f"#   {line}" for line in _domain_lines(found))
    else:
        out.append("# No links to web pages were found: add your domains before instrumenting.")
    out += [
        f"first_party_domains = {toml_list(choices.first_party_domains)}",
        "",
        f'# The template language ({_syntax_counts(found)}); "auto" detects it per file.',
        f"template_syntax = {_toml(choices.template_syntax)}",
        "",
        "# The link map: the committed lockfile of link IDs. Commit it with the templates.",
        'link_map = "ctamap.linkmap.json"',
        "",
        f"# Text versions: {_twin_counts(found)}.",
    ]
    if choices.pairs:
        out += [
            "# Text versions kept in another folder, paired by name (`*` is the same in both):",
            f"[{table}pairs]",
            *(f"{_toml(html)} = {_toml(text)}" for html, text in choices.pairs),
        ]
    else:
        out.append(
            "# x.html ↔ x.txt, x.html.j2 ↔ x.txt.j2, x-html.html ↔ x-text.html pair by themselves."
        )
    out += [
        "",
        f"[{table}utm]",
        "# The parameters instrument adds to every tracked link. Placeholders: {template} (the",
        "# template's slug), {campaign} (the --campaign value, else the slug), {link_id}. A value",
        '# may be one template expression filled at send time (campaign = "{{ utm_campaign }}").',
        'source = "newsletter"',
        'medium = "email"',
        'campaign = "{campaign}"',
        'content = "{link_id}"',
        "",
        f"[{table}pixel]",
        "# The open-tracking pixel inserted after <body> in full HTML documents; none while empty:",
        '# url = "https://t.example.com/o.gif?m={{ message_id }}"',
        'url = ""',
        "",
    ]
    text = "\n".join(out)
    _check(text, pyproject)
    return text


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def _check(text: str, pyproject: bool) -> None:
    """What init writes is a config ctamap reads without complaint (a bug otherwise)."""
    data: dict[str, Any] = tomllib.loads(text)
    from_mapping(data["tool"]["ctamap"] if pyproject else data, origin="ctamap init")


# -- Writing -----------------------------------------------------------------------------------


def existing_configs(folder: Path) -> list[Path]:
    """The ctamap configs in `folder`: ctamap.toml, .ctamap.toml, a pyproject.toml with
    [tool.ctamap] (an unreadable pyproject.toml counts: it is not init's to judge)."""
    found = []
    for name in CONFIG_NAMES:
        path = folder / name
        if not path.is_file():
            continue
        if name == "pyproject.toml" and not _has_ctamap_table(path):
            continue
        found.append(path)
    return found


def _has_ctamap_table(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return "ctamap" in data.get("tool", {})


def config_above(folder: Path) -> Path | None:
    """The config that governs `folder` today from a folder above it (the new one will take
    over below `folder`), None when there is none up to the repository root."""
    from ctamap.config import discover

    resolved = folder.resolve()
    if (resolved / ".git").exists():
        return None
    return discover(resolved.parent)


def shown_config(path: Path) -> str:
    from ctamap.walk import display

    shown = display(path)
    return f"{shown} [tool.ctamap]" if path.name == "pyproject.toml" else shown


def target(folder: Path, *, pyproject: bool, force: bool, shown: str) -> Path:
    """The file init will write, or a `CtamapError` saying why it will not."""
    path = folder / ("pyproject.toml" if pyproject else "ctamap.toml")
    if pyproject and not path.is_file():
        raise CtamapError(
            "has no pyproject.toml to add [tool.ctamap] to: drop --pyproject to write ctamap.toml",
            path=shown,
        )
    existing = existing_configs(folder)
    if existing and not force:
        raise CtamapError(
            "already configures ctamap here: init does not overwrite it (--force replaces it; "
            "`ctamap config` shows it)",
            path=shown_config(existing[0]),
        )
    others = [p for p in existing if p != path]
    if others:
        raise CtamapError(
            f"already configures ctamap here: remove it before init writes {path.name} (one "
            "config per folder)",
            path=shown_config(others[0]),
        )
    return path


def write(path: Path, text: str, *, force: bool) -> None:
    """Write the config: a new ctamap.toml is created only if it is still absent (even when
    something creates one meanwhile); `--force` replaces one atomically; a pyproject.toml gets
    its [tool.ctamap] tables replaced or appended, every other byte kept."""
    from ctamap.safewrite import shown, write_atomic

    if path.name == "pyproject.toml":
        write_atomic(path, _into_pyproject(path, text, shown(path)))
    elif force and path.exists():
        write_atomic(path, text)
    else:
        _create(path, text, shown(path))


def _create(path: Path, text: str, shown: str) -> None:
    """Write to a temporary file, then hard-link it into place: the link fails if the name
    exists, so a config that appeared meanwhile is never replaced, and a half-written config
    is never seen."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.link(tmp, path)
    except FileExistsError:
        raise CtamapError("appeared while init ran: not overwritten", path=shown) from None
    except OSError as error:
        raise CtamapError(f"cannot write: {error.strerror or error}", path=shown) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _into_pyproject(path: Path, block: str, shown: str) -> str:
    """`path`'s text with its [tool.ctamap] tables (if any) removed and `block` appended, in
    the file's own line endings; the rest of the file byte for byte."""
    try:
        original = path.read_bytes().decode("utf-8")  # not read_text: it would turn CRLF into LF
        before = tomllib.loads(original)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CtamapError(
            f"cannot read as TOML ({error}): fix it or drop --pyproject", path=shown
        ) from None
    newline = "\r\n" if "\r\n" in original else "\n"
    kept: list[str] = []
    inside = False
    for line in original.splitlines(keepends=True):
        if _ANY_TABLE.match(line):
            inside = bool(_CTAMAP_TABLE.match(line))
        if not inside:
            kept.append(line)
    head = "".join(kept).rstrip("\r\n")
    result = (head + newline * 2 if head else "") + block.replace("\n", newline)
    after = tomllib.loads(result)
    # Nothing but [tool.ctamap] may differ (a dotted `tool.ctamap.x` key elsewhere would).
    before.get("tool", {}).pop("ctamap", None)
    written = after.get("tool", {}).pop("ctamap", None)
    if before != after or written != tomllib.loads(block)["tool"]["ctamap"]:
        raise CtamapError(
            "sets tool.ctamap keys outside a [tool.ctamap] table: edit it by hand or drop "
            "--pyproject",
            path=shown,
        )
    return result


# -- Next steps ------------------------------------------------------------------------------


def _hook_source() -> tuple[str, str]:
    """Where pre-commit fetches the hooks: the repository and revision ctamap was installed
    from (`pipx install git+URL@TAG` records them), else placeholders to fill in."""
    from importlib import metadata

    try:
        recorded = metadata.distribution("ctamap").read_text("direct_url.json") or "{}"
        origin = json.loads(recorded)
    except (metadata.PackageNotFoundError, ValueError):
        origin = {}
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if isinstance(vcs, dict) and str(origin.get("url", "")).startswith(
        ("https://", "ssh://", "git@")
    ):
        return str(origin["url"]), str(
            vcs.get("requested_revision") or vcs.get("commit_id", "<tag>")
        )
    return "<repository URL>", "<tag>"


def _repository(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def next_steps(folder: Path, shown: str) -> list[str]:
    """What to run after init, and the pre-commit hooks (unless they are wired already)."""
    paths = "." if shown in (".", "") else shown
    commands = [
        (f"ctamap audit {paths}", "what needs fixing"),
        (f"ctamap instrument {paths} --check --diff", "what instrument would change"),
        (f"ctamap instrument {paths}", "add tracking; commit the templates and the link map"),
    ]
    width = max(len(command) for command, _ in commands)
    lines = ["next:", *(f"  {command:<{width}}  # {why}" for command, why in commands)]
    hooks = _repository(folder) / ".pre-commit-config.yaml"
    try:
        wired = "ctamap-audit" in hooks.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        wired = False
    if wired:
        lines.append(f"the pre-commit hooks are already in {hooks.name}")
        return lines
    repo, rev = _hook_source()
    where = "add to the repos: of" if hooks.exists() else "create"
    lines += [
        f"pre-commit: {where} .pre-commit-config.yaml (instrument first, then audit):",
        *(["  repos:"] if not hooks.exists() else []),
        f"    - repo: {repo}",
        f"      rev: {rev}",
        "      hooks:",
        "        - id: ctamap-instrument",
        "        - id: ctamap-audit",
    ]
    return lines
