"""One run over templates: config, files, scans, the link map and the plans built from them.

`inventory`, `instrument` and `audit` all start here, so every command sees the same IDs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ctamap import linkmap as lockfile
from ctamap.config import Config
from ctamap.errors import ConfigError, CtamapError, InputError
from ctamap.graph import TemplateGraph
from ctamap.instrument import (
    TemplatePlan,
    key_bases,
    plan_all,
    template_key,
    unified_diff,
    write_atomic,
)
from ctamap.linkmap import Format, LinkMap, LinkMapEntry
from ctamap.pipeline import load
from ctamap.pixels import (
    Exclusions,
    exclusions,
    may_be_layout,
    served_elsewhere,
    wants_exclusions,
)
from ctamap.walk import STDIN, TemplateFile, collect_reporting


# Workspace, Write and Applied are NamedTuples (immutable, typed): a third of a frozen
# dataclass's cost to define, which a pre-commit call pays at import.
class Workspace(NamedTuple):
    config: Config
    map_path: Path
    linkmap: LinkMap  # as read from disk (empty when there is none yet)
    files: tuple[TemplateFile, ...]  # the files that loaded, in plan order
    plans: tuple[TemplatePlan, ...]
    errors: tuple[InputError, ...]
    failed: tuple[TemplateFile, ...] = ()  # files that could not be read or parsed
    # Layouts and partials of the run, when planning the pixel needed them (audit reuses it).
    graph: TemplateGraph | None = None
    # What the user must know although nothing failed (an exclusion that cannot take effect).
    notices: tuple[str, ...] = ()


def combined(workspaces: Sequence[Workspace]) -> Workspace:
    """One workspace to show for runs over PATHs governed by different configs (the first
    one's config and map stand for all; each plan keeps its own entries)."""
    first = workspaces[0]
    if len(workspaces) == 1:
        return first
    return first._replace(
        files=tuple(f for w in workspaces for f in w.files),
        plans=tuple(p for w in workspaces for p in w.plans),
        errors=tuple(e for w in workspaces for e in w.errors),
        failed=tuple(f for w in workspaces for f in w.failed),
        notices=tuple(n for w in workspaces for n in w.notices),
    )


def map_location(config: Config, given: Path | None) -> Path:
    """`--map` (anywhere), else `link_map` from the config, relative to the config's folder and
    inside its repository: a shared config must not make ctamap write elsewhere."""
    if given is not None:
        return given
    path = Path(config.link_map)
    location = path if path.is_absolute() else config.root / path
    repository = _repository(config.root)
    if not location.resolve().is_relative_to(repository):
        raise ConfigError(
            f"link_map = {config.link_map!r} is outside the repository ({repository}); "
            "use a path inside it, or give --map on the command line",
            path=config.origin if config.origin != "defaults" else None,
        )
    return location


def _repository(folder: Path) -> Path:
    """The checkout `folder` is in (the nearest folder with `.git`), else `folder` itself."""
    start = folder.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


# Up to this many templates, a run reads the map's entries on demand and splices its changes
# in (`linkmap_splice`): a pre-commit call beside a 100k-entry map then costs what its own
# template does. A bigger run touches most of the map anyway and reads it whole.
_SPLICED_UP_TO = 32


def read_linkmap(path: Path, *, templates: int | None = None) -> LinkMap:
    spliced = templates is not None and templates <= _SPLICED_UP_TO
    return lockfile.read(path, spliced=spliced)


def collect_all(
    paths: list[Path], config: Config, *, skip: Path | None = None
) -> tuple[list[TemplateFile], list[InputError]]:
    """Templates named by each PATH; a missing PATH is an error that does not stop the others
    (see `walk.collect_reporting`)."""
    return collect_reporting(paths, config, skip=skip)


def recordable(
    files: Sequence[TemplateFile], config: Config, location: Path
) -> tuple[list[TemplateFile], list[InputError]]:
    """The files whose links the map at `location` can record, and an error for each other
    one: a key is a path relative to the project (or the map's folder), never absolute or with
    `../`, so that the map means the same on every checkout."""
    bases = key_bases(config.root, location.parent)
    kept: list[TemplateFile] = []
    errors: list[InputError] = []
    for file in files:
        if file.path == STDIN or not Path(template_key(file.path, bases)).is_absolute():
            kept.append(file)
            continue
        errors.append(
            InputError(
                f"is outside the project ({config.root}) and the link map's folder: its links "
                "cannot be recorded; run ctamap in its project, or give --config or --map",
                path=file.display,
            )
        )
    return kept, errors


def open_workspace(
    paths: list[Path], config: Config, *, map_path: Path | None = None, campaign: str = ""
) -> Workspace:
    """Collect the templates named by `paths`, then load and plan them."""
    files, missing = collect_all(paths, config)
    workspace = load_workspace(files, config, map_path=map_path, campaign=campaign)
    return workspace._replace(errors=(*missing, *workspace.errors))


def load_workspace(
    files: Sequence[TemplateFile],
    config: Config,
    *,
    map_path: Path | None = None,
    campaign: str = "",
) -> Workspace:
    """Read, scan and classify `files` once, and plan them against the link map."""
    location = map_location(config, map_path)
    linkmap = read_linkmap(location, templates=len(files))
    loaded = load(files, config)
    bases = key_bases(config.root, location.parent)
    keyed = [
        (f.relative if f.path == STDIN else template_key(f.path, bases), t)
        for f, t in loaded.templates
    ]
    built: list[TemplateGraph] = []

    def graph() -> TemplateGraph:
        if not built:
            built.append(TemplateGraph.of(loaded.templates, config))
        return built[0]

    exempt = {
        key: why
        for (file, template), (key, _) in zip(loaded.templates, keyed, strict=True)
        if (why := served_elsewhere(file, template, config, graph))
    }
    found = Exclusions()
    if wants_exclusions(config):
        judged = [
            (f, t)
            for (f, t), (key, _) in zip(loaded.templates, keyed, strict=True)
            if config.pixel.excluded_by(key) or may_be_layout(t)
        ]
        if judged:
            known = {f.path: t for f, t in loaded.templates}
            found = exclusions(judged, config, lambda path: template_key(path, bases), known)
    exempt.update(found.layouts)
    plans = plan_all(keyed, linkmap, config, campaign or config.campaign, exempt)
    return Workspace(
        config=config,
        map_path=location,
        linkmap=linkmap,
        files=tuple(f for f, _ in loaded.templates),
        plans=tuple(plans),
        errors=loaded.errors,
        failed=loaded.failed,
        graph=built[0] if built else None,
        notices=found.notices,
    )


class InstrumentResult(NamedTuple):
    changed: tuple[str, ...]  # templates whose bytes changed (or would)
    map_changed: bool
    diff: str
    errors: tuple[CtamapError, ...] = ()  # files that could not be read, parsed or written
    stdout: str = ""  # the instrumented template read from standard input
    map_path: Path | None = None
    notices: tuple[str, ...] = ()  # see `Workspace.notices`


class Write(NamedTuple):
    """One file to write safely."""

    path: Path
    text: str | bytes
    like: Path | None = None  # the file whose mode a new file takes
    within: Path | None = None  # the --out-dir mirror the file must stay in

    def run(self) -> bool:
        return write_atomic(self.path, self.text, like=self.like, within=self.within)


class Applied(NamedTuple):
    """What applying one plan did or would do."""

    changed_as: str | None  # the path shown as changed, None when unchanged
    diff: str
    stdout: str
    write: Write | None  # where to write what, None when nothing is written


def _relative(path: Path) -> str:
    """`path` relative to the current folder (`../x` when outside), as `git apply` reads a
    diff's file names: `a/emails/x.html`, never `a//abs/x.html`."""
    import os

    return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()


def diff_name(file: TemplateFile) -> str:
    return file.display if file.path == STDIN else _relative(file.path)


def apply_plan(
    file: TemplateFile, plan: TemplatePlan, *, out_dir: Path | None, check: bool, with_diff: bool
) -> Applied:
    """What to report and write for one plan (the write itself is the caller's)."""
    new_text = plan.new_text
    changed_as = diff = ""
    if plan.changed:
        changed_as = file.display if out_dir is None else (out_dir / file.relative).as_posix()
        if with_diff:
            diff = unified_diff(diff_name(file), plan.text, new_text)
    if check:
        return Applied(changed_as or None, diff, "", None)
    if file.path == STDIN:  # the instrumented template goes to standard output
        return Applied(changed_as or None, diff, new_text, None)
    write: Write | None = None
    if out_dir is not None:  # a mirror keeps the mode
        write = Write(out_dir / file.relative, new_text, like=file.path, within=out_dir)
    elif plan.changed:  # text versions never are: their plans carry no edits
        write = Write(file.path, new_text)
    return Applied(changed_as or None, diff, "", write)


def mirror_unchanged(file: TemplateFile, out_dir: Path) -> None:
    """Copy a file that could not be instrumented into the `--out-dir` mirror as it is, so the
    mirror is complete (its error is reported already; one that cannot be read is not copied)."""
    if file.path == STDIN:
        return
    try:
        data = file.path.read_bytes()
    except OSError:
        return
    with contextlib.suppress(CtamapError):  # the file's own error says what is wrong with it
        Write(out_dir / file.relative, data, like=file.path, within=out_dir).run()


def finish_map(
    linkmap: LinkMap,
    fresh: dict[str, list[LinkMapEntry]],
    map_path: Path,
    *,
    map_format: Format | None,
    check: bool,
    with_diff: bool,
) -> tuple[bool, str]:
    """Write the updated link map if its entries changed; (changed, its diff). Under the map's
    lock the map is read again when another run replaced it meanwhile, and only the entries of
    the templates this run processed (`fresh`) are replaced: both runs' entries are kept. The
    format is `map_format`, else the existing file's, else the name's (`.csv`), else JSON."""
    with lockfile.locked(map_path, enabled=not check):
        current = linkmap
        if lockfile.replaced(linkmap, map_path):
            current = lockfile.read(map_path, spliced=_is_spliced(linkmap))
        fmt: Format = map_format or current.format or _format_of_name(map_path)
        if current.format is None and not fresh:
            return False, ""  # no map and nothing to record
        up_to_date = current.schema == lockfile.SCHEMA and current.format == fmt
        if up_to_date and lockfile.unchanged(current, fresh):
            return False, ""  # one-file runs next to a big map stop here: nothing re-encoded
        new_map = current.updated_text(fresh, fmt)
        old_map: str | None = _text_of(current)  # the bytes a spliced map was read from
        if old_map is None:
            try:
                old_map = map_path.read_text(encoding="utf-8")
            except OSError:
                old_map = None
        if old_map == new_map:
            return False, ""
        diff = ""
        if old_map is not None and with_diff:  # a new map is announced, not printed
            diff = unified_diff(_relative(map_path), old_map, new_map)
        if not check:
            data = new_map.encode("utf-8")  # once: a big map's encoding costs 15 ms
            write_atomic(map_path, data)
            if fmt == "json":  # `dumps` wrote it: canonical, the next one-file run splices
                from ctamap import linkmap_splice

                linkmap_splice.remember(map_path, linkmap_splice.digest(data), canonical=True)
        return True, diff


def _is_spliced(linkmap: LinkMap) -> bool:
    return _text_of(linkmap) is not None


def _text_of(linkmap: LinkMap) -> str | None:
    """The text of a map read on demand (still the file's: the caller checked its stamp)."""
    from ctamap.linkmap_splice import SplicedLinkMap

    return linkmap.text if isinstance(linkmap, SplicedLinkMap) else None


def finish_map_reporting(
    linkmap: LinkMap,
    fresh: dict[str, list[LinkMapEntry]],
    map_path: Path,
    *,
    map_format: Format | None,
    check: bool,
    with_diff: bool,
) -> tuple[bool, str, tuple[CtamapError, ...]]:
    """`finish_map`, with a map that cannot be written (full disk, read-only folder) as one
    more error: the templates already written are still listed."""
    try:
        changed, diff = finish_map(
            linkmap, fresh, map_path, map_format=map_format, check=check, with_diff=with_diff
        )
    except CtamapError as error:
        return False, "", (error,)
    return changed, diff, ()


def _format_of_name(path: Path) -> Format:
    return "csv" if path.suffix.lower() == ".csv" else "json"


def instrument(
    workspace: Workspace,
    *,
    out_dir: Path | None = None,
    check: bool = False,
    map_format: Format | None = None,
    with_diff: bool = True,
) -> InstrumentResult:
    """Apply every plan: in place, or mirrored under `out_dir`; with `check`, write nothing.
    `with_diff=False` leaves `diff` empty: diffing costs as much as scanning the templates."""
    applied = [
        apply_plan(file, plan, out_dir=out_dir, check=check, with_diff=with_diff)
        for file, plan in zip(workspace.files, workspace.plans, strict=True)
    ]
    if out_dir is not None and not check:
        for file in workspace.failed:
            mirror_unchanged(file, out_dir)
    results = iter(write_each([a.write for a in applied if a.write is not None]))
    failed = {i: next(results) for i, a in enumerate(applied) if a.write is not None}
    errors: list[CtamapError] = [error for error in failed.values() if error is not None]
    # A template that could not be written is not listed, and keeps its old map entries.
    written = [a for i, a in enumerate(applied) if failed.get(i) is None]
    fresh = {p.key: list(p.entries) for i, p in enumerate(workspace.plans) if failed.get(i) is None}
    map_changed, map_diff, map_error = finish_map_reporting(
        workspace.linkmap,
        fresh,
        workspace.map_path,
        map_format=map_format,
        check=check,
        with_diff=with_diff,
    )
    return InstrumentResult(
        changed=tuple(a.changed_as for a in written if a.changed_as),
        map_changed=map_changed,
        diff="".join(a.diff for a in written) + map_diff,
        errors=(*errors, *map_error),
        stdout="".join(a.stdout for a in applied),
        map_path=workspace.map_path,
        notices=workspace.notices,
    )


_PARALLEL_WRITES = 16  # fewer files are written one after the other


def write_each(writes: list[Write]) -> list[CtamapError | None]:
    """Write every file; an error or None for each, in order. Most of a safe write is waiting
    for fsync, which releases the GIL: with many files, a few threads overlap those waits
    (instrument() 2.1-2.8 s -> 1.7-2.1 s wall for the 2000 files of `make bench`)."""

    def write(job: Write) -> CtamapError | None:
        try:
            job.run()
        except CtamapError as error:
            return error
        return None

    if len(writes) < _PARALLEL_WRITES:
        results = [write(job) for job in writes]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(write, writes))
    return results
