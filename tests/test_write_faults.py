"""Write faults mid-run: a read-only folder (as a non-root user), a file name that is not UTF-8,
a full disk. Each is one error naming the file (exit 2); the other files still run and are
listed; the link map holds exactly the entries of the templates that were written."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctamap.config import from_mapping
from ctamap.errors import EXIT_ERROR
from ctamap.parallel import MIN_FILES_FOR_PROCESSES, _workers, instrument_paths
from ctamap.walk import collect

CONFIG = 'first_party_domains = ["example.com"]\n'


def _template(label: str) -> str:
    return f'<html><body><a href="https://www.example.com/{label}">Go {label}</a></body></html>\n'


def _run(*args: str, cwd: Path, user: str | None = None) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if user is not None:
        prefix = ["setpriv", f"--reuid={user}", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ctamap", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _map(root: Path) -> dict[str, list[str]]:
    """Link text per template in the link map (active entries)."""
    data = json.loads((root / "ctamap.linkmap.json").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for entry in data["links"]:
        if entry.get("status", "active") == "active":
            found.setdefault(entry["template"], []).append(entry["text"])
    return found


def _no_internal_error(done: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="ctamap-faults-"))
    folder.chmod(0o777)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o777)
    shutil.rmtree(folder)


def _can_drop_privileges() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=65534", "--clear-groups", sys.executable, "-c",
         "import ctamap"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


def test_read_only_folder_as_a_non_root_user(shared_tmp: Path) -> None:
    if os.geteuid() != 0 and not os.access(shared_tmp, os.W_OK):
        pytest.skip("needs a writable temp folder")
    root = shared_tmp
    (root / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    for folder in ("ro", "rw"):
        (root / "emails" / folder).mkdir(parents=True)
        for n in (1, 2):
            (root / "emails" / folder / f"t{n}.html").write_text(_template(f"{folder}{n}"))
    # An earlier run recorded every template; then the copy of one in each folder changed.
    first = _run("instrument", "emails", cwd=root)
    assert first.returncode == 0, first.stderr
    for folder in ("ro", "rw"):
        (root / "emails" / folder / "t1.html").write_text(_template(f"{folder}-new"))
    if os.geteuid() == 0:
        if not _can_drop_privileges():
            pytest.skip("cannot run a subprocess as nobody here")
        user: str | None = "nobody"
        for path in root.rglob("*"):
            path.chmod(0o777 if path.is_dir() else 0o666)
        root.chmod(0o777)
    else:
        user = None
    (root / "emails" / "ro").chmod(0o555)
    before = (root / "emails" / "ro" / "t1.html").read_bytes()
    done = _run("instrument", "emails", cwd=root, user=user)
    _no_internal_error(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/ro/t1.html: cannot write: Permission denied" in done.stderr
    assert "instrumented: emails/rw/t1.html" in done.stderr
    assert "instrumented: emails/ro/t1.html" not in done.stderr
    assert (root / "emails" / "ro" / "t1.html").read_bytes() == before
    assert "utm_source" in (root / "emails" / "rw" / "t1.html").read_text()
    texts = _map(root)
    assert texts["emails/rw/t1.html"] == ["Go rw-new"]  # written: its new entries
    assert texts["emails/ro/t1.html"] == ["Go ro1"]  # not written: it keeps its old entries
    assert texts["emails/ro/t2.html"] == ["Go ro2"]
    assert not [p for p in root.rglob("*.tmp")]


NON_UTF8 = os.fsdecode(b"caf\xe9.html")


@pytest.mark.parametrize("command", ["instrument", "audit-sarif", "inventory"])
def test_file_name_that_is_not_utf8(tmp_path: Path, command: str) -> None:
    (tmp_path / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    emails = tmp_path / "emails"
    emails.mkdir()
    (emails / NON_UTF8).write_text(_template("latin1"))
    (emails / "ok.html").write_text(_template("ok"))
    args = {
        "instrument": ["instrument", "emails"],
        "audit-sarif": ["audit", "--format", "sarif", "emails"],
        "inventory": ["inventory", "--format", "json", "emails"],
    }[command]
    done = _run(*args, cwd=tmp_path)
    _no_internal_error(done)
    assert done.returncode == EXIT_ERROR
    assert "emails/caf\\xe9.html: file name is not valid UTF-8" in done.stderr
    if command == "instrument":
        assert "instrumented: emails/ok.html" in done.stderr
        assert list(_map(tmp_path)) == ["emails/ok.html"]
        assert (emails / NON_UTF8).read_text() == _template("latin1")
    if command == "audit-sarif":
        sarif = json.loads(done.stdout)
        assert sarif["runs"][0]["results"]  # ok.html was audited
    if command == "inventory":
        assert "ok.html" in done.stdout


@pytest.mark.parametrize("jobs", [1, 2], ids=["serial", "workers"])
def test_full_disk_is_one_error_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    count = 3 if jobs == 1 else MIN_FILES_FOR_PROCESSES + 6
    names = [f"t{n}.html" for n in range(1, count + 1)]
    for name in names:
        (tmp_path / name).write_text(_template(name[:-5]))
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the disk fills up while t2.html is written
        if ".t2.html." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)  # forked workers inherit it
    monkeypatch.chdir(tmp_path)
    config = from_mapping({"first_party_domains": ["example.com"]}, root=tmp_path)
    assert _workers(collect([tmp_path], config), jobs) == jobs
    result = instrument_paths([tmp_path], config, jobs=jobs)
    assert [str(e) for e in result.errors] == ["t2.html: cannot write: No space left on device"]
    written = sorted(n for n in names if n != "t2.html")
    assert sorted(result.changed) == written
    assert (tmp_path / "t2.html").read_text() == _template("t2")
    assert sorted(_map(tmp_path)) == written
    assert not list(tmp_path.glob(".*.tmp"))


def test_full_disk_when_writing_the_map_keeps_the_template_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t1.html").write_text(_template("t1"))
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if "linkmap" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.chdir(tmp_path)
    config = from_mapping({"first_party_domains": ["example.com"]}, root=tmp_path)
    result = instrument_paths([tmp_path], config, jobs=1)
    assert result.changed == ("t1.html",)
    assert [str(e) for e in result.errors] == [
        "ctamap.linkmap.json: cannot write: No space left on device"
    ]
    assert not (tmp_path / "ctamap.linkmap.json").exists()
