"""Which files are templates: PATH arguments expanded with the configured globs.

Folders are walked without hidden folders and, inside a git checkout, without what git ignores.
Only regular files are templates. A symlink is followed only into the repository it is in (the
git checkout, else the config file's folder): its target is the template, and ctamap then
writes the target and keeps the link. One that leads outside is reported and skipped, so that
nothing outside the repository is ever written through one. Folders reached through a symlink
are not walked (as git does not); name one to instrument it.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import NamedTuple

from ctamap.config import CONFIG_NAMES, Config, discover
from ctamap.errors import InputError
from ctamap.safewrite import printable

STDIN = Path("-")  # `-` as a PATH: one HTML template read from standard input


# A NamedTuple (immutable, typed): a third of a frozen dataclass's cost to define, which a
# pre-commit call pays at import.
class TemplateFile(NamedTuple):
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
    """Every template named by `paths`, sorted, each once; the first problem is raised."""
    files, problems = collect_reporting(paths, config)
    if problems:
        raise problems[0]
    return files


def collect_reporting(
    paths: list[Path], config: Config, *, skip: Path | None = None
) -> tuple[list[TemplateFile], list[InputError]]:
    """Every template named by `paths`, sorted, each once, and the problems (a missing PATH, a
    symlink leading outside the repository), each of which skips only what it names. Folders
    walked do not descend into `skip` (the `--out-dir` mirror: its output is not input)."""
    cwd = Path.cwd().resolve()
    result: dict[Path, TemplateFile] = {}
    linked: set[Path] = set()  # templates reached through a symlink (a direct name wins)
    problems: list[InputError] = []
    for given in paths:
        if given == STDIN:
            result[STDIN] = TemplateFile(STDIN, "-", "stdin.html", is_text=False)
            continue
        try:
            candidates = _candidates(given, config, skip, problems)
        except InputError as error:
            problems.append(error)
            continue
        for path, relative, via_link in candidates:
            if config.exclude and (
                matches(relative, config.exclude) or matches(path.name, config.exclude)
            ):
                continue
            if path not in result or (path in linked and not via_link):
                is_text = is_text_name(path.name, config)
                result[path] = TemplateFile(path, display(path, cwd), relative, is_text)
                (linked.add if via_link else linked.discard)(path)
    return sorted(result.values(), key=lambda f: f.display), problems


Candidate = tuple[Path, str, bool]  # resolved path, relative to the PATH, reached via a symlink


def _candidates(
    given: Path, config: Config, skip: Path | None, problems: list[InputError]
) -> list[Candidate]:
    """The files PATH `given` names, resolved; walked symlinks that lead outside the
    repository are added to `problems` and left out."""
    if given.is_file() and given.name in CONFIG_NAMES:
        # A config file among the PATHs (the hooks pass one when only the config changed):
        # its whole template set is affected, so it stands for its folder.
        given = given.parent
    if given.is_file():
        return [(_inside_tree(given, "file"), given.name, _has_link(given))]
    if given.is_dir():
        base = _inside_tree(given, "folder")
        # Links met while walking stay inside the repository the PATH is in, as written, else
        # the one it resolves to (when the way to it is a link outside any repository).
        tree = _repository_at(_unlinked_part(given)) or _tree_of(base)
        listed = _git_files(base)
        relatives = _walk(base) if listed is None else listed
        excluded = _below(skip, base)
        found: list[Candidate] = []
        for relative in relatives:
            parts = relative.split("/")
            if any(part.startswith(".") for part in parts[:-1]) or not matches(
                parts[-1], config.include
            ):
                continue
            if excluded is not None and relative.startswith(excluded):
                continue
            candidate = _walked(base / relative, relative, tree, problems)
            if candidate is not None:
                found.append(candidate)
        return found
    if os.path.islink(given):
        raise InputError(_why_unreadable(given), path=printable(given.as_posix()))
    if given.exists():
        raise InputError("not a regular file or folder; name a template file", path=str(given))
    raise InputError("no such file or folder", path=str(given))


def _walked(path: Path, relative: str, tree: Path, problems: list[InputError]) -> Candidate | None:
    """A file found by walking: itself when regular; the target of a symlink that stays in
    `tree`; None for anything else (a FIFO or a device would block; a folder reached through
    a symlink is not walked; a broken link or a loop names nothing). One lstat per file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return path, relative, False
    if not stat.S_ISLNK(mode):
        return None
    try:
        target = path.resolve(strict=True)
        kind = "file" if target.is_file() else None
    except (OSError, RuntimeError):
        return None
    if kind is None:
        return None
    if not target.is_relative_to(tree):
        problems.append(_outside(path, kind, tree))
        return None
    return target, relative, True


def _below(skip: Path | None, base: Path) -> str | None:
    """`skip` as a prefix of paths relative to `base`, when it is a folder strictly inside it."""
    if skip is None:
        return None
    folder = skip.resolve()
    if folder == base or not folder.is_relative_to(base):
        return None
    return folder.relative_to(base).as_posix() + "/"


def _unlinked_part(given: Path) -> Path:
    """The longest leading part of `given` (made absolute, as written) with no symlink in it:
    where the link that `given` goes through lives."""
    lexical = Path(os.path.abspath(given))
    part = Path(lexical.anchor)
    for name in lexical.parts[1:]:
        if (part / name).is_symlink():
            break
        part = part / name
    return part


def _has_link(given: Path) -> bool:
    return _unlinked_part(given) != Path(os.path.abspath(given))


def _repository_at(where: Path) -> Path | None:
    """The repository a link at `where` (no symlink in it) belongs to: the git checkout, else
    the folder of the nearest config file; None when it is in neither."""
    start = where if where.is_dir() else where.parent
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder.resolve()
    found = discover(start)
    return found.parent.resolve() if found is not None else None


def _tree_of(where: Path) -> Path:
    """The repository of `where`, else `where` itself."""
    return _repository_at(where) or (where if where.is_dir() else where.parent).resolve()


def _inside_tree(given: Path, kind: str) -> Path:
    """`given` resolved, when no symlink on its way leads outside its repository. A link that
    is in no repository (`~/work` linked to another disk) has nothing to protect: the PATH is
    read as the folder it resolves to."""
    resolved = given.resolve()
    if _has_link(given):
        tree = _repository_at(_unlinked_part(given))
        if tree is not None and not resolved.is_relative_to(tree):
            raise _outside(given, kind, tree)
    return resolved


def _outside(link: Path, kind: str, tree: Path) -> InputError:
    return InputError(
        f"is a symlink to a {kind} outside the repository ({printable(str(tree))}): skipped; "
        "ctamap never writes outside it through a link (name the target to instrument it)",
        path=display(Path(os.path.abspath(link)), Path.cwd().resolve()),
    )


def _why_unreadable(link: Path) -> str:
    """What is wrong with a symlink that names nothing."""
    try:
        link.resolve(strict=True)
    except RuntimeError:
        return "is a symlink loop"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symlink loop"
    return f"is a broken symlink (to {printable(os.readlink(link))})"
