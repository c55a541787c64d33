"""Instrumenting the corpus of real templates vs parsing its HTML with BeautifulSoup(t, "lxml").

Both sides are whole processes, run alternately in one session over the same copies of
the corpus (CTAMAP_CORPUS); the design's target is ctamap/bs4 <= 0.25, heading for 0.2.
Usage: python bench/bench_instrument.py [--copies N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpus import CORPUS, NO_CORPUS  # bench/ is on sys.path when a script runs
from _rows import row

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.25
CONFIG = """\
first_party_domains = ["example.com", "sendwithus.com", "mailgun.com", "postmarkapp.com"]
campaign = "bench"
[pixel]
url = "https://t.example.com/o.gif?m={{ message_id }}"
"""
BS4_PARSE = """\
import sys
from pathlib import Path
from bs4 import BeautifulSoup
for path in sorted(Path(sys.argv[1]).rglob("*.html")):
    BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
"""


def _ctamap() -> list[str]:
    """The installed command next to this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "ctamap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ctamap"]


def _time(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the process and its workers) of one run.
    On a machine shared with other work, wall time measures the neighbours too: the CPU
    ratio says what ctamap itself costs, the wall ratio what the design's target is about."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    copies = int(os.environ.get("CTAMAP_BENCH_COPIES", "8"))
    repeat = int(os.environ.get("CTAMAP_BENCH_REPEAT", "5"))
    parser.add_argument("--copies", type=int, default=copies, help="copies of the corpus")
    parser.add_argument("--repeat", type=int, default=repeat, help="runs of each side")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(NO_CORPUS)
        return 0
    with tempfile.TemporaryDirectory(prefix="ctamap-bench-") as folder:
        work = Path(folder)
        for n in range(args.copies):
            shutil.copytree(CORPUS, work / "pristine" / f"copy-{n + 1}")
        (work / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
        html = sorted((work / "pristine").rglob("*.html"))
        text = sorted((work / "pristine").rglob("*.txt"))
        size = sum(p.stat().st_size for p in [*html, *text])
        ctamap = [*_ctamap(), "instrument", "templates", "--config", "ctamap.toml"]
        commands = {
            # The default: in place, writing only the templates that change (here every HTML
            # file: each gets the pixel), and the link map.
            "in-place": ctamap,
            # A mirrored build folder: every template written, text versions included.
            "out-dir": [*ctamap, "--out-dir", "out"],
            "bs4": [sys.executable, "-c", BS4_PARSE, "templates"],
            "python": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # alternate, so drift hits every side alike
            for name, command in commands.items():
                _fresh(work)
                elapsed, cpu = _time(command, work)
                times[name].append(elapsed)
                cpus[name].append(cpu)
    print(
        f"corpus x{args.copies}: {len(html)} HTML + {len(text)} text files, {size / 1e6:.1f} MB; "
        f"{args.repeat} runs each, median (best)"
    )
    for name, label, files in (
        ("in-place", "ctamap instrument (in place)", len(html) + len(text)),
        ("out-dir", "ctamap instrument --out-dir", len(html) + len(text)),
        ("bs4", 'BeautifulSoup(text, "lxml")', len(html)),
        ("python", "python -c pass (start-up)", 0),
    ):
        median, best = statistics.median(times[name]), min(times[name])
        per_file = f"  {median / files * 1e3:6.2f} ms/file" if files else ""
        cpu = f"  cpu {min(cpus[name]):6.3f} s"
        print(f"  {label:30} {median:7.3f} s ({best:.3f} s){per_file}{cpu}")
    for name in ("in-place", "out-dir"):
        print(f"  cpu ratio {name}: {min(cpus[name]) / min(cpus['bs4']):.2f}x (best of each)")
    ok = True
    for name in ("in-place", "out-dir"):
        ok &= row(
            f"instrument {name}, corpus x{args.copies} ({len(html) + len(text):,} files, "
            f"{size / 1e6:.1f} MB)",
            min(times[name]),
            'BeautifulSoup(t, "lxml")',
            min(times["bs4"]),
            TARGET,
        )
    return 0 if ok else 1


def _fresh(work: Path) -> None:
    """Untouched templates, no link map, no output; flushed to disk so that writing the copy
    does not slow the timed run's fsyncs."""
    shutil.rmtree(work / "templates", ignore_errors=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    (work / "ctamap.linkmap.json").unlink(missing_ok=True)
    shutil.copytree(work / "pristine", work / "templates")
    os.sync()


if __name__ == "__main__":
    sys.exit(main())
