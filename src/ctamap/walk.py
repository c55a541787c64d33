"""Which files are templates: PATH arguments expanded with the configured globs.

Folders are walked without hidden folders and, inside a git checkout, without what git ignores.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctamap.config import CONFIG_NAMES, Config
from ctamap.errors import InputError
from ctamap.safewrite import printable

STDIN = Path("-")  # `-` as a PATH: one HTML template read from standard input


@dataclass(frozen=True)
class TemplateFile:
    """A template to read: where it is, how it is shown, and whether it is a text version."""

    path: Path  # absolute and resolved (STDIN for `-`)
    display: str  # relative to the current folder when below it, posix separators
    relative: str  # relative to the PATH argument it was found under (for --out-dir)
    is_text: bool


def matches(name: str, globs: tuple[str, ...]) -> bool:
    """`name` matches one of the shell-style `globs` (case as the platform compares names)."""
    return _glob_pattern(globs).match(os.path.normcase(name)) is not None


@functools.lru_cache(maxsize=16)
def _glob_pattern(globs: tuple[str, ...]) -> re.Pattern[str]:
    # One regex for all globs: a walk tests every file name against every glob.
    return re.compile("|".join(fnmatch.translate(os.path.normcase(g)) for g in globs) or "(?!)")


# A `*.txt.*` name (`receipt.txt.j2`) is a text body whatever its last extension and globs.
_ALWAYS_TEXT = ("*.txt.*",)


def is_text_name(name: str, config: Config) -> bool:
    """A file of this name is a text template: by the `text` globs, or named `*.txt.*`."""
    return matches(name, config.text) or matches(name, _ALWAYS_TEXT)


def display(path: Path, cwd: Path | None = None) -> str:
    """`path` relative to the current folder when below it (resolving at most once)."""
    resolved = path if path.is_absolute() and cwd is not None else path.resolve()
    try:
        return printable(resolved.relative_to(cwd or Path.cwd().resolve()).as_posix())
    except ValueError:
        return printable(path.as_posix())


def _git_files(folder: Path) -> list[str] | None:
    """Files git does not ignore below `folder` (relative, posix), or None outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=folder,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk(folder: Path) -> list[str]:
    """Files below `folder` (relative, posix), hidden folders skipped."""
    found: list[str] = []
    top = str(folder)
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        prefix = os.path.relpath(root, top).replace(os.sep, "/")
        found.extend(f if prefix == "." else f"{prefix}/{f}" for f in files)
    return found


def collect(paths: list[Path], config: Config) -> list[TemplateFile]:
    """Every template named by `paths`, sorted, each once."""
    cwd = Path.cwd().resolve()
    result: dict[Path, TemplateFile] = {}
    for given in paths:
        if given == STDIN:
            result[STDIN] = TemplateFile(STDIN, "-", "stdin.html", is_text=False)
            continue
        if given.is_file() and given.name in CONFIG_NAMES:
            # A config file among the PATHs (the hooks pass one when only the config changed):
            # its whole template set is affected, so it stands for its folder.
            given = given.parent
        if given.is_file():
            candidates = [(given.resolve(), given.name)]
        elif given.is_dir():
            base = given.resolve()
            listed = _git_files(base)
            candidates = [
                (base / relative, relative)
                for relative in (_walk(base) if listed is None else listed)
                if not any(part.startswith(".") for part in relative.split("/")[:-1])
                and matches(relative.rsplit("/", 1)[-1], config.include)
                # Only regular files are templates: opening a FIFO or a device would block.
                and (base / relative).is_file()
            ]
        elif given.exists():
            raise InputError("not a regular file or folder; name a template file", path=str(given))
        else:
            raise InputError("no such file or folder", path=str(given))
        for path, relative in candidates:
            if config.exclude and (
                matches(relative, config.exclude) or matches(path.name, config.exclude)
            ):
                continue
            if path not in result:
                is_text = is_text_name(path.name, config)
                result[path] = TemplateFile(path, display(path, cwd), relative, is_text)
    return sorted(result.values(), key=lambda f: f.display)
