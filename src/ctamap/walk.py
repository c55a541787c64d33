"""Which files are templates: PATH arguments expanded with the configured globs.

Folders are walked without hidden folders and, inside a git checkout, without what git ignores.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctamap.config import Config
from ctamap.errors import InputError

STDIN = Path("-")  # `-` as a PATH: one HTML template read from standard input


@dataclass(frozen=True)
class TemplateFile:
    """A template to read: where it is, how it is shown, and whether it is a text version."""

    path: Path
    display: str  # relative to the current folder when below it, posix separators
    relative: str  # relative to the PATH argument it was found under (for --out-dir)
    is_text: bool


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, g) for g in globs)


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _git_files(folder: Path) -> list[Path] | None:
    """Files git does not ignore below `folder`, or None outside a checkout (or without git)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=folder,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [folder / p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files)
    return found


def collect(paths: list[Path], config: Config) -> list[TemplateFile]:
    """Every template named by `paths`, sorted, each once."""
    result: dict[Path, TemplateFile] = {}
    for given in paths:
        if given == STDIN:
            result[STDIN] = TemplateFile(STDIN, "-", "stdin.html", is_text=False)
            continue
        if given.is_file():
            candidates = [(given, given.name)]
        elif given.is_dir():
            files = _git_files(given)
            listed = _walk(given) if files is None else files
            candidates = [
                (p, p.relative_to(given).as_posix())
                for p in listed
                if not any(part.startswith(".") for part in p.relative_to(given).parts[:-1])
                and _matches(p.name, config.include)
                and p.is_file()
            ]
        else:
            raise InputError("no such file or folder", path=str(given))
        for path, relative in candidates:
            if config.exclude and (
                _matches(relative, config.exclude) or _matches(path.name, config.exclude)
            ):
                continue
            key = path.resolve()
            if key not in result:
                is_text = _matches(path.name, config.text)
                result[key] = TemplateFile(path, _display(path), relative, is_text)
    return sorted(result.values(), key=lambda f: f.display)
