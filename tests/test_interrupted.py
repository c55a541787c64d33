"""Runs that are stopped: `kill -9`, SIGTERM or Ctrl-C in the middle of a parallel `instrument`.

Run as a user runs ctamap (a subprocess of the installed command) on more templates than the
process threshold, so that worker processes do the writing. What must hold: no worker outlives
the run, every template is either untouched or completely instrumented (never half-written),
no `.name.ctamap-….tmp` file stays behind for `git status` to show, and the next run finishes
the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctamap.parallel import MIN_FILES_FOR_PROCESSES

CONFIG = 'first_party_domains = ["example.com"]\n'
FILES = MIN_FILES_FOR_PROCESSES + 36
LINKS = 300  # per template: enough work that the run is still going when it is stopped

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux /proc and two cores (worker processes)",
)


def _template(n: int) -> str:
    links = "".join(
        f'<p><a href="https://www.example.com/p{n}-{j}">Item {j}</a></p>\n' for j in range(LINKS)
    )
    return f"<html><body>\n{links}</body></html>\n"


def _tree(root: Path) -> dict[str, str]:
    (root / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    originals: dict[str, str] = {}
    for n in range(FILES):
        path = root / "emails" / f"g{n % 8}" / f"t{n}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_template(n), encoding="utf-8")
        originals[path.relative_to(root).as_posix()] = _template(n)
    return originals


def _start(root: Path, *, ignoring: int | None = None) -> subprocess.Popen[str]:
    def ignore() -> None:  # as `nohup` does for SIGHUP
        if ignoring is not None:
            signal.signal(ignoring, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-m", "ctamap", "instrument", "emails"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore,
    )


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's PID 1 may never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _workers_started(run: subprocess.Popen[str]) -> set[int]:
    """The run's worker processes, once it has started them (and before it has finished)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = _children(run.pid)
        if len(workers) >= 2:
            time.sleep(0.3)  # let them write some templates
            return workers
        if run.poll() is not None:
            break
        time.sleep(0.01)
    pytest.fail("the run never started worker processes")


def _temp_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.tmp"))


def _finished(root: Path) -> dict[str, str]:
    """What a run that is never stopped writes: the reference for 'completely instrumented'."""
    done = subprocess.run(
        [sys.executable, "-m", "ctamap", "instrument", "emails"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = [*root.rglob("*.html"), root / "ctamap.linkmap.json"]  # the map records them all
    return {p.relative_to(root).as_posix(): p.read_text() for p in written}


def _each_whole(root: Path, originals: dict[str, str], finished: dict[str, str]) -> int:
    """Every template is its original or its finished text; how many were finished."""
    done = 0
    for name, original in originals.items():
        text = (root / name).read_text(encoding="utf-8")
        assert text in (original, finished[name]), f"{name} is half-written"
        done += text != original
    return done


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("reference")
    _tree(root)
    return _finished(root)


def test_kill_9_leaves_no_worker_alive(tmp_path: Path, reference: dict[str, str]) -> None:
    originals = _tree(tmp_path)
    run = _start(tmp_path)
    workers = _workers_started(run)
    run.kill()
    run.communicate()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.05)
    alive = [w for w in workers if _running(w)]
    for pid in alive:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not alive, "worker processes outlived the killed run"
    _each_whole(tmp_path, originals, reference)
    # The next run finishes the job and removes what the killed run left behind.
    assert _finished(tmp_path) == reference
    assert _temp_files(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_ctrl_c_leave_no_temp_file(
    tmp_path: Path, reference: dict[str, str], signum: int
) -> None:
    originals = _tree(tmp_path)
    run = _start(tmp_path)
    workers = _workers_started(run)
    if signum == signal.SIGINT:  # Ctrl-C: the terminal signals the whole process group
        for pid in (run.pid, *workers):
            os.kill(pid, signum)
    else:
        run.send_signal(signum)
    _, stderr = run.communicate(timeout=10)
    assert run.returncode == -signum, stderr  # it dies of the signal, as a shell expects
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if _running(w)]
    assert _temp_files(tmp_path) == []
    _each_whole(tmp_path, originals, reference)
    map_file = tmp_path / "ctamap.linkmap.json"
    if map_file.exists():  # never half-written: it reads back
        assert map_file.read_text(encoding="utf-8").rstrip().endswith("}")
    assert _finished(tmp_path) == reference


def test_a_signal_ignored_by_the_caller_stays_ignored(
    tmp_path: Path, reference: dict[str, str]
) -> None:
    """`nohup ctamap instrument …` survives the terminal closing."""
    _tree(tmp_path)
    run = _start(tmp_path, ignoring=signal.SIGHUP)
    _workers_started(run)
    run.send_signal(signal.SIGHUP)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr
    written = {name: (tmp_path / name).read_text(encoding="utf-8") for name in reference}
    assert written == reference


def test_stale_temp_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    emails = tmp_path / "emails"
    emails.mkdir()
    (emails / "welcome.html").write_text(_template(0), encoding="utf-8")
    dead_pid = _dead_pid()
    stale = [
        emails / f".welcome.html.ctamap-{dead_pid}-abcd1234.tmp",
        tmp_path / f".ctamap.linkmap.json.ctamap-{dead_pid}-zz_x9y8w.tmp",
    ]
    for path in stale:
        path.write_text("<html><body><a href=", encoding="utf-8")
    live = emails / f".welcome.html.ctamap-{os.getpid()}-abcd1234.tmp"  # a run still going
    live.write_text("partial", encoding="utf-8")
    unrelated = emails / ".notes.tmp"  # not ctamap's
    unrelated.write_text("mine", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ctamap", "instrument", "emails"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [p for p in stale if p.exists()] == []
    assert live.exists() and unrelated.read_text(encoding="utf-8") == "mine"
    # A read-only command never deletes anything.
    again = emails / f".welcome.html.ctamap-{dead_pid}-abcd1234.tmp"
    again.write_text("x", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "ctamap", "audit", "emails", "--exit-zero"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert again.exists()


def _dead_pid() -> int:
    """A pid no process has now (one past the highest in use, below the kernel's limit)."""
    limit = int(Path("/proc/sys/kernel/pid_max").read_text())
    used = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    for pid in range(limit - 1, 1, -1):
        if pid not in used:
            return pid
    pytest.skip("no free pid")


def test_map_lost_after_the_templates_were_written(tmp_path: Path) -> None:
    """What `kill -9` between the templates and the map leaves: the next run records the
    author's destinations, not ones carrying the parameters ctamap wrote."""
    (tmp_path / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "a.html").write_text(
        '<a href="https://www.example.com/x?ref=mail&utm_source=partner">Go</a>\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "ctamap", "instrument", "emails"]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    map_file = tmp_path / "ctamap.linkmap.json"
    recorded = map_file.read_text(encoding="utf-8")
    map_file.unlink()
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert map_file.read_text(encoding="utf-8") == recorded
    assert "utm_source=partner" in recorded  # the author's own value stays theirs
