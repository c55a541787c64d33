"""`ctamap report --engine spark` (local mode) against `--engine duckdb` on the same SendGrid
JSON lines (bench_report's generated logs), as whole processes side by side.

Prints, per size, both engines' wall time and peak RSS of the driver (the ctamap process with
the JVM it starts: the sum over the process tree, sampled every 0.1 s, since the JVM is never
reaped by the ctamap process and so is missing from its rusage), the ratio, and how the Spark
plan is shaped: input partitions of the events and the shuffles (exchanges) of each stage-two
step. On one small machine Spark is the slower engine (a JVM, planning for a cluster); the
point is the same figures on a cluster. Full mode only (it takes minutes); `make bench` skips it.

    CTAMAP_BENCH_SPARK_ROWS="5000000 20000000"   row counts (one job each)
    CTAMAP_BENCH_SPARK_MASTER=local[*]           the Spark master
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rows import row
from bench_report import DATA, MAP, _links, _log, _timed

MODE = os.environ.get("CTAMAP_BENCH_MODE", "full")
ROWS = [int(n) for n in os.environ.get("CTAMAP_BENCH_SPARK_ROWS", "5000000 20000000").split()]
MASTER = os.environ.get("CTAMAP_BENCH_SPARK_MASTER", "local[*]")

#: Printed by the in-process run: the shape of the Spark plan for one log.
PLAN = """
import sys
from pathlib import Path
from ctamap.report import ReportOptions, load_link_maps
from ctamap.report.engines import spark
from ctamap.report.pipeline import stage_two

class Shape(spark.SparkEngine):
    def _replace(self, name, frame):
        plan = frame._jdf.queryExecution().executedPlan().toString()
        parts = frame.rdd.getNumPartitions()
        print(f"  plan: {name}: {parts} partitions, {plan.count('Exchange')} exchanges")
        super()._replace(name, frame)

options = ReportOptions(maps=(Path(sys.argv[1]),), logs=(sys.argv[2],), format="sendgrid")
engine = Shape(spark.session(sys.argv[3]))
stage_two(engine, load_link_maps(options.maps), options, (None,))
"""


def _tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _timed_tree(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of a process and all it starts (the JVM included)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, sum(_rss_kib(pid) for pid in _tree(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = child.communicate()[1]
    done.set()
    sampler.join()
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        sys.stderr.write(stderr.decode(errors="replace"))
        raise SystemExit(f"{argv[0]} failed with exit status {child.returncode}")
    return elapsed, peak


def _job(rows: int, ctamap: str) -> bool:
    log = _log("jsonl", rows)
    base = [ctamap, "report", "--map", str(MAP), "--input-format", "sendgrid", "-f", "json"]
    duck = [*base, str(log)]
    spark = [*base, "--engine", "spark", "--master", MASTER, str(log)]
    print("  command: " + " ".join(spark), flush=True)
    _timed(duck)  # warm the page cache
    duck_time, duck_rss = _timed(duck)
    spark_time, spark_rss = _timed_tree(spark)
    label = f"report --engine spark ({MASTER}), SendGrid JSON lines, {rows:,} rows"
    print(
        f"  {label}: spark {spark_time:.1f} s, peak {spark_rss / 1024:,.0f} MB; duckdb "
        f"{duck_time:.1f} s, peak {duck_rss / 1024:,.0f} MB; ratio {spark_time / duck_time:.1f}x",
        flush=True,
    )
    subprocess.run([sys.executable, "-c", PLAN, str(MAP), str(log), MASTER], check=False)
    # No target: the figure that matters is the same run on a cluster.
    return row(label, spark_time, "--engine duckdb", duck_time, float("inf"),
               rss_mb=spark_rss / 1024)  # fmt: skip


def main() -> int:
    if MODE != "full":
        print("  skipped in quick mode (minutes per size): make bench-full runs it")
        return 0
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("  skipped: pip install -e '.[spark]' (and Java 17+) to run it")
        return 0
    import json

    DATA.mkdir(parents=True, exist_ok=True)
    MAP.write_text(json.dumps({"schema": "ctamap.linkmap/1", "links": _links()}, indent=1))
    ctamap = shutil.which("ctamap", path=str(Path(sys.executable).parent)) or "ctamap"
    ok = True
    for rows in ROWS:
        ok &= _job(rows, ctamap)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
