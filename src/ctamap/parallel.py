"""Instrumenting many files across cores.

Each worker process runs the whole per-file pipeline (read → mask → scan → classify → IDs →
plan → write) and sends back only the file's link-map entries; the parent allocates template
slugs beforehand (IDs of two templates never collide) and writes the link map afterwards.
Sending parsed templates between processes would cost more than parsing them, so none are.
Workers never outlive the run: they end when it does, even when it is killed with `kill -9`.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ctamap import collector
from ctamap import linkmap as lockfile
from ctamap.classify import Classifier, Template
from ctamap.config import Config
from ctamap.errors import CtamapError, InputError
from ctamap.graph import LAYOUT_SLOT, TemplateGraph
from ctamap.ids import Allocation, allocate, assign_template
from ctamap.instrument import (
    key_bases,
    managed_params,
    plan_template,
    template_key,
)
from ctamap.linkmap import Format, LinkMapEntry
from ctamap.pipeline import load_one
from ctamap.pixels import (
    Exclusions,
    exclusions,
    may_be_layout,
    served_elsewhere,
    wants_exclusions,
)
from ctamap.safewrite import begin_write, remove_stale_in, shown
from ctamap.walk import STDIN, TemplateFile
from ctamap.workspace import (
    InstrumentResult,
    apply_plan,
    collect_all,
    finish_map_reporting,
    instrument,
    load_workspace,
    map_location,
    mirror_unchanged,
    read_linkmap,
    recordable,
)

# Below this many files, or on one core, starting processes costs more than it saves.
MIN_FILES_FOR_PROCESSES = 64


@dataclass(frozen=True)
class _Outcome:
    """What one file sent back."""

    entries: tuple[LinkMapEntry, ...] | None  # None when the file could not be processed
    changed_as: str | None
    diff: str
    error: CtamapError | None


@dataclass(frozen=True)
class _Task:
    """The per-file pipeline, picklable, with what every file shares."""

    config: Config
    campaign: str
    out_dir: Path | None
    check: bool
    with_diff: bool
    pixel_exempt: dict[str, str]  # layouts serving only excluded emails (`pixels.exclusions`)

    def __call__(self, chunk: list[tuple[TemplateFile, str, Allocation]]) -> list[_Outcome]:
        """Process a chunk of files. Each file's temporary file is written as soon as it is
        planned; its fsync and rename go to a thread, so that the fsync wait (the GIL is
        released) overlaps the next file's parsing."""
        outcomes: list[_Outcome] = []
        writes: list[tuple[int, Future[None]]] = []
        classifier = _classifier(self.config)
        managed = managed_params(self.config)
        with collector.paused(), ThreadPoolExecutor(max_workers=4) as writer:
            for file, key, allocation in chunk:
                try:
                    template = load_one(file, classifier)
                except CtamapError as error:
                    if self.out_dir is not None and not self.check:
                        mirror_unchanged(file, self.out_dir)
                    outcomes.append(_Outcome(None, None, "", error))
                    continue
                try:
                    ids = assign_template(
                        template,
                        allocation,
                        link_id_param=self.config.link_id_param,
                        managed=managed,
                    )
                    plan = plan_template(
                        key,
                        template,
                        ids,
                        self.config,
                        self.campaign,
                        allocation.entries,
                        allocation.prefix,
                        self.pixel_exempt.get(key)
                        or served_elsewhere(
                            file, template, self.config, _graph_of(file, template, self.config)
                        ),
                    )
                    applied = apply_plan(
                        file, plan, out_dir=self.out_dir, check=self.check, with_diff=self.with_diff
                    )
                    job = applied.write
                    pending = None
                    if job is not None:
                        pending = begin_write(job.path, job.text, like=job.like, within=job.within)
                except CtamapError as error:
                    outcomes.append(_Outcome(None, None, "", error))
                    continue
                if pending is not None:
                    writes.append((len(outcomes), writer.submit(pending.finish)))
                    if len(writes) > _MAX_PENDING:  # a bounded backlog: wait for an old one
                        writes[-_MAX_PENDING - 1][1].exception()
                entries = plan.entries
                outcomes.append(_Outcome(entries, applied.changed_as, applied.diff, None))
        for index, future in writes:
            failure = future.exception()
            if isinstance(failure, CtamapError):  # not written: it keeps its old map entries
                outcomes[index] = _Outcome(None, None, "", failure)
            elif failure is not None:
                raise failure
        return outcomes


# Temporary files written and still open, waiting for their fsync: when the disk is slower
# than planning, the next file waits (open descriptors stay far below the usual limit).
_MAX_PENDING = 64


_CACHED: list[tuple[Config, Classifier]] = []


def _classifier(config: Config) -> Classifier:
    """One classifier per process and config, so that its domain caches are reused."""
    if not _CACHED or _CACHED[0][0] is not config:
        _CACHED[:] = [(config, Classifier(config))]
    return _CACHED[0][1]


def _graph_of(
    file: TemplateFile, template: Template, config: Config
) -> Callable[[], TemplateGraph]:
    """A file's own graph: what it uses is read from disk (workers see one file at a time)."""
    return lambda: TemplateGraph.of([(file, template)], config, _classifier(config))


def _workers(files: Sequence[TemplateFile], jobs: int | None) -> int:
    cores = jobs or len(os.sched_getaffinity(0))
    if cores < 2 or len(files) < MIN_FILES_FOR_PROCESSES or any(f.path == STDIN for f in files):
        return 1
    return cores


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PARENT_POLL = 0.5  # seconds, where the kernel cannot signal a parent's death


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the run that started it ends, however it ends.
    A worker left behind by `kill -9` would go on rewriting templates and then wait forever
    for work. On Linux the kernel sends SIGTERM when the parent dies (its handler, inherited
    on fork, removes this worker's temporary files first); elsewhere a thread checks."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
    guarded = libc is not None and libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    if os.getppid() != parent:  # the parent died before the guard was in place
        os.kill(os.getpid(), signal.SIGTERM)
    if not guarded:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)


def _run(
    task: _Task, items: list[tuple[TemplateFile, str, Allocation]], workers: int
) -> list[_Outcome]:
    size = max(1, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    # fork: workers start with everything already imported; results come back in order.
    # jinja2's lexer is built where a tag needs it (most tags are read without it). Frozen,
    # what the parent built is never walked by a worker's garbage collector, nor copied.
    gc.freeze()
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            return [outcome for done in pool.map(task, chunks) for outcome in done]
    except BrokenProcessPool:
        # Someone killed a worker (the OOM killer, a stray `kill`): what it wrote is whole.
        raise CtamapError(
            "a worker process was killed: templates written so far are complete, the link map "
            "was not updated; run `ctamap instrument` again"
        ) from None
    finally:
        gc.unfreeze()


def instrument_paths(
    paths: list[Path],
    config: Config,
    *,
    map_path: Path | None = None,
    campaign: str = "",
    out_dir: Path | None = None,
    check: bool = False,
    with_diff: bool = False,
    map_format: Format | None = None,
    jobs: int | None = None,
) -> InstrumentResult:
    """`ctamap instrument`: the same result as `instrument(open_workspace(…))`, in parallel
    across cores when there are many files. The link map is locked from reading it to writing
    it: concurrent runs over disjoint folders (pre-commit's parallel batches, two CI jobs) then
    allocate IDs against each other's entries, and both sides' entries are kept."""
    location = map_location(config, map_path)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"--out-dir {shown(out_dir)}: is a file, not a folder (the mirrored tree needs one)"
        )
    # The mirror is output: walking it again would instrument the output of the last run.
    files, missing = collect_all(paths, config, skip=out_dir)
    files, outside = recordable(files, config, location)
    missing = [*missing, *outside]
    with lockfile.locked(location, enabled=not check):
        if not check:
            remove_stale_in(_written_folders(files, location, out_dir))
        return _instrument_files(
            files,
            missing,
            config,
            location,
            campaign=campaign,
            out_dir=out_dir,
            check=check,
            with_diff=with_diff,
            map_format=map_format,
            jobs=jobs,
        )


def _written_folders(
    files: Sequence[TemplateFile], location: Path, out_dir: Path | None
) -> dict[Path, set[str]]:
    """The folders this run writes to, each with the names of its templates: where a stopped
    run may have left temporary files."""
    folders: dict[Path, set[str]] = {location.parent: set()}
    for file in files:
        if file.path == STDIN:
            continue
        target = file.path if out_dir is None else out_dir / file.relative
        folders.setdefault(target.parent, set()).add(target.name)
    return folders


def _instrument_files(
    files: list[TemplateFile],
    missing: Sequence[CtamapError],
    config: Config,
    location: Path,
    *,
    campaign: str,
    out_dir: Path | None,
    check: bool,
    with_diff: bool,
    map_format: Format | None,
    jobs: int | None,
) -> InstrumentResult:
    workers = _workers(files, jobs)
    map_path = location
    if workers == 1:
        workspace = load_workspace(files, config, map_path=map_path, campaign=campaign)
        result = instrument(
            workspace, out_dir=out_dir, check=check, map_format=map_format, with_diff=with_diff
        )
        return result._replace(errors=(*missing, *workspace.errors, *result.errors))
    linkmap = read_linkmap(location)
    bases = key_bases(config.root, location.parent)
    keys = [template_key(f.path, bases) for f in files]
    allocations = allocate([(k, f.is_text) for k, f in zip(keys, files, strict=True)], linkmap)
    found = _exclusions(files, keys, config, bases)
    task = _Task(
        config, campaign or config.campaign, out_dir, check, with_diff, dict(found.layouts)
    )
    items = [(f, k, allocations[k]) for f, k in zip(files, keys, strict=True)]
    outcomes = _run(task, items, workers)
    fresh = {
        key: list(o.entries) for key, o in zip(keys, outcomes, strict=True) if o.entries is not None
    }
    map_changed, map_diff, map_error = finish_map_reporting(
        linkmap, fresh, location, map_format=map_format, check=check, with_diff=with_diff
    )
    return InstrumentResult(
        changed=tuple(o.changed_as for o in outcomes if o.changed_as),
        map_changed=map_changed,
        diff="".join(o.diff for o in outcomes) + map_diff,
        errors=(*missing, *(o.error for o in outcomes if o.error is not None), *map_error),
        map_path=location,
        notices=found.notices,
    )


def _exclusions(
    files: Sequence[TemplateFile], keys: Sequence[str], config: Config, bases: Sequence[Path]
) -> Exclusions:
    """`pixels.exclusions`, decided here: workers see one file at a time, and a layout's pixel
    depends on the emails built on it. Only excluded templates and documents whose text has a
    layout's content slot (few) are read twice."""
    if not wants_exclusions(config):
        return Exclusions()
    judged: list[tuple[TemplateFile, Template]] = []
    for file, key in zip(files, keys, strict=True):
        excluded = config.pixel.excluded_by(key)
        if not excluded:
            try:
                text = file.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # the worker reports it
            if not LAYOUT_SLOT.search(text) or "<body" not in text.lower():
                continue
        try:
            template = load_one(file, _classifier(config))
        except CtamapError:
            continue  # the worker reports it
        if excluded or may_be_layout(template):
            judged.append((file, template))
    if not judged:
        return Exclusions()
    return exclusions(judged, config, lambda path: template_key(path, bases), {})
