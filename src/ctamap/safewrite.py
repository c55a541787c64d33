"""Writing a user's file safely, and cleaning up after runs that were stopped.

A write goes to a temporary file in the same folder, is fsynced and renamed over the original
(whose permission bits are kept), so a crash never leaves a half-written template. Temporary
files have a name ctamap recognises (`.welcome.html.ctamap-<pid>-<random>.tmp`): SIGTERM and
SIGINT remove the ones in flight, and a later `instrument` removes the ones a killed run left
behind (`kill -9`, a power cut). A symlink is never replaced: writing one is an error naming it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import stat
import threading
import time
from pathlib import Path
from types import FrameType

from ctamap.errors import CtamapError

_TEMP_MARK = ".ctamap-"
# Ours: `.NAME.ctamap-PID-RANDOM.tmp`; before 0.2, `.NAME.RANDOM.tmp` (mkstemp's 8 characters).
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.ctamap-(?P<pid>\d+)-[a-z0-9_]{8}\.tmp")
_LEGACY_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")
_LEGACY_AGE = 3600.0  # seconds: an old-style temp file this old belongs to no running write

_IN_FLIGHT: set[str] = set()
# Reentrant: the signal handler takes it in the main thread, which may be holding it already.
_IN_FLIGHT_LOCK = threading.RLock()
_STOPPING: list[bool] = []  # set once a signal handler has started removing the temp files


def shown(path: Path) -> str:
    """`path` as a user reads it: relative to the current folder when below it, with bytes
    that are not UTF-8 written `\\xe9` (such a name cannot be printed or stored as it is)."""
    try:
        text = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        text = path.as_posix()
    return printable(text)


def printable(text: str) -> str:
    """`text` with the undecodable bytes of a file name (surrogate escapes) as `\\xNN`."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@functools.lru_cache(maxsize=1)
def _default_mode() -> int:
    """What `open()` would give a new file: 0666 less the umask (read once; setting it back
    at once is the only way to read it)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(
    path: Path, text: str | bytes, *, like: Path | None = None, within: Path | None = None
) -> bool:
    """Write `text` (UTF-8, or bytes as given) if it differs from the file; True when written.
    A new file takes the permission bits of `like`, else the umask's default. Every failure
    (read-only folder, full disk, a symlink in the way) is a `CtamapError` naming the file.
    With `within` (an --out-dir mirror), a folder on the way below it that is a symlink
    leading out of it is in the way too: a stale or planted link never redirects a write."""
    pending = begin_write(path, text, like=like, within=within)
    if pending is None:
        return False
    pending.finish()
    return True


class PendingWrite:
    """A temporary file holding the new bytes in full, not yet durable nor renamed over
    `path`: `finish` does both. Split so that many files can be written by one thread and
    their fsync waits overlapped on others (a thread per whole write takes the GIL back after
    each of its system calls, and a busy thread beside it pays for every handover)."""

    # A plain class: the safe-write module is on every start-up's path, whose dataclass
    # count is budgeted (tests/test_module_shape.py).
    __slots__ = ("fd", "path", "tmp")

    def __init__(self, path: Path, tmp: str, fd: int) -> None:
        self.path = path
        self.tmp = tmp
        self.fd = fd

    def finish(self) -> None:
        """fsync, close, rename over `path`; on failure the temporary file is removed and the
        original is untouched (a `CtamapError` naming it)."""
        try:
            try:
                os.fsync(self.fd)
            finally:
                os.close(self.fd)
            os.replace(self.tmp, self.path)
        except OSError as error:
            _abandon(self.tmp)
            raise CtamapError(
                f"cannot write: {error.strerror or error}", path=shown(self.path)
            ) from None
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(self.tmp)


def begin_write(
    path: Path, text: str | bytes, *, like: Path | None = None, within: Path | None = None
) -> PendingWrite | None:
    """The first half of `write_atomic`: None when the file holds `text` already, else its
    temporary file, written in full (same checks and errors)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp: str | None = None
    fd = -1
    try:
        if within is not None and not _stays_in(path.parent, within):
            raise CtamapError(
                f"is below a symlink that leads out of {printable(within.as_posix())}: not written",
                path=printable(path.as_posix()),
            )
        # One lstat says whether the file is there, a symlink, its mode and its size: a
        # template gaining links grows, so most writes need not read the file to compare.
        try:
            found: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            found = None
        if found is not None and stat.S_ISLNK(found.st_mode):
            raise CtamapError(
                "is a symlink: not replaced (instrument the file it points to)", path=shown(path)
            )
        if found is not None:
            if found.st_size == len(data) and path.read_bytes() == data:
                return None
            mode = found.st_mode & 0o7777
        else:
            mode = (like.stat().st_mode & 0o7777) if like is not None else _default_mode()
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(path)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        # Created 0600, so nobody else reads it while it is partial; the mode before the
        # fsync, so that it is as durable as the bytes.
        os.fchmod(fd, mode)
    except OSError as error:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            _abandon(tmp)
        raise CtamapError(f"cannot write: {error.strerror or error}", path=shown(path)) from None
    return PendingWrite(path, tmp, fd)


def _abandon(tmp: str) -> None:
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.discard(tmp)
    Path(tmp).unlink(missing_ok=True)


def _stays_in(folder: Path, top: Path) -> bool:
    """`folder` (which may not exist yet) resolves to a place below `top`."""
    return folder.resolve().is_relative_to(top.resolve())


def _create_temp(path: Path) -> tuple[int, str]:
    """Create the temporary file for writing `path`. Its name is recorded before the file
    exists, and both happen under the lock, so a signal handler that removes the recorded
    files never misses one; once the handler has started, no new one is created."""
    while True:
        # `secrets.token_hex(4)` is this; importing `secrets` (hashlib, hmac, random) is not
        # free, and every start-up (a pre-commit audit too) imports this module.
        tag = os.urandom(4).hex()
        tmp = str(path.parent / f".{path.name}{_TEMP_MARK}{os.getpid()}-{tag}.tmp")
        with _IN_FLIGHT_LOCK:
            if _STOPPING:
                raise CtamapError("not written: ctamap was stopped", path=shown(path))
            _IN_FLIGHT.add(tmp)
            try:
                return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
            except FileExistsError:
                _IN_FLIGHT.discard(tmp)
            except OSError:
                _IN_FLIGHT.discard(tmp)
                raise


def remove_in_flight() -> None:
    """Delete the temporary files of writes that have not finished (on SIGTERM or SIGINT);
    writes that have not created theirs yet will not."""
    with _IN_FLIGHT_LOCK:
        _STOPPING.append(True)
        pending = list(_IN_FLIGHT)
        _IN_FLIGHT.clear()
    for tmp in pending:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    remove_in_flight()
    # Die of the signal, as the caller expects (exit status 143 or 130 in a shell). A file
    # already renamed into place is complete; one that was not keeps its old bytes.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def clean_up_on_signals() -> None:
    """Remove in-flight temporary files when SIGTERM, SIGINT (Ctrl-C) or SIGHUP stops the run
    (main thread only; worker processes inherit the handlers on fork)."""
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            # An ignored signal stays ignored: `nohup` ignores SIGHUP, a shell's `&` SIGINT.
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, _on_signal)


def is_temp_file(name: str) -> bool:
    """A temporary file of ctamap's (never a template), by its name."""
    return name.startswith(".") and name.endswith(".tmp") and _TEMP_NAME.fullmatch(name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def stale(folder: Path, name: str, templates: set[str]) -> bool:
    """Whether `folder/name` is a temporary file a stopped ctamap run left behind: ours, of a
    process that is gone; or old-style, next to the template it was for, and an hour old."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return False
    if (ours := _TEMP_NAME.fullmatch(name)) is not None:
        return not _alive(int(ours.group("pid")))
    legacy = _LEGACY_TEMP_NAME.fullmatch(name)
    if legacy is None or legacy.group("name") not in templates:
        return False
    try:
        return time.time() - (folder / name).stat().st_mtime > _LEGACY_AGE
    except OSError:
        return False


def remove_stale(folder: Path, names: list[str], templates: set[str]) -> None:
    """Delete the stale temporary files among `names` (files of `folder`)."""
    for name in names:
        if stale(folder, name, templates):
            with contextlib.suppress(OSError):  # someone else's, or gone: nothing to clean
                (folder / name).unlink()


def remove_stale_in(folders: dict[Path, set[str]]) -> None:
    """Delete what stopped runs left in each folder (the templates it holds by name): the
    folders a run writes to, listed once each, so that `git status` stays clean."""
    for folder, templates in folders.items():
        try:
            names = [n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp")]
        except OSError:  # gone, or not readable: the run itself will say so if it matters
            continue
        remove_stale(folder, names, templates)
