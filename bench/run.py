"""Run every benchmark in this folder (bench_*.py), one after the other, and print their ratios.

Benchmarks are not timed tests: each script measures ctamap and the reference the design names
side by side in one run, as whole processes, and prints the figures.

    python bench/run.py              quick sizes (a laptop, well under a minute): `make bench`
    python bench/run.py --full       the published sizes (5 M report rows …): `make bench-full`
    python bench/run.py report       only bench_report.py (names without the bench_ prefix)

The size of each run is told to the scripts through environment variables, so a script run on
its own uses its full sizes; a variable already set in the environment wins over both modes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _rows import TAG

# Per mode, the sizes every script reads from its environment.
SIZES: dict[str, dict[str, str]] = {
    "quick": {
        "CTAMAP_BENCH_ROWS": "200000",
        "CTAMAP_BENCH_INVENTORY_FILES": "300",
        "CTAMAP_BENCH_ROUNDS": "2",
        "CTAMAP_BENCH_COPIES": "1",
        "CTAMAP_BENCH_REPEAT": "2",
        "CTAMAP_BENCH_SIZES": "100 500",
        "CTAMAP_BENCH_LINKS": "1000 10000",
        "CTAMAP_BENCH_MAP_ENTRIES": "20000",
    },
    "full": {
        "CTAMAP_BENCH_ROWS": "1000000 5000000",
        "CTAMAP_BENCH_INVENTORY_FILES": "1000",
        "CTAMAP_BENCH_ROUNDS": "3",
        "CTAMAP_BENCH_COPIES": "8",
        "CTAMAP_BENCH_REPEAT": "5",
        "CTAMAP_BENCH_SIZES": "1000 10000",
        "CTAMAP_BENCH_LINKS": "1000 10000 100000",
        "CTAMAP_BENCH_MAP_ENTRIES": "100000",
        # bench_spark (full mode only): Spark local against DuckDB.
        "CTAMAP_BENCH_SPARK_ROWS": "5000000 20000000",
    },
}


def main() -> int:
    here = Path(__file__).parent
    args = sys.argv[1:]
    mode = "full" if "--full" in args else "quick"
    only = [a for a in args if not a.startswith("--")]
    env = {**os.environ, "CTAMAP_BENCH_MODE": mode}
    # Start-up is measured as users run an installed ctamap: with its bytecode cached.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(here.parent / "src")],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    for name, value in SIZES[mode].items():
        env.setdefault(name, value)
    print(f"bench mode: {mode} ({', '.join(f'{k}={env[k]}' for k in SIZES[mode])})", flush=True)
    print(f"{os.cpu_count()} cores; each ratio from ctamap and its reference run side by side")
    status = 0
    rows: list[list[str]] = []
    for script in sorted(here.glob("bench_*.py")):
        if only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"== {script.stem}", flush=True)
        child = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(TAG):  # shown in the table at the end
                rows.append(line[len(TAG) :].rstrip("\n").split("\t"))
            else:
                print(line, end="", flush=True)
        status |= child.wait()
    _table(rows)
    return status


def _table(rows: list[list[str]]) -> None:
    """Every row the benchmarks printed, as one table."""
    header = ["job", "ctamap", "reference", "ratio", "target", "peak RSS", ""]
    widths = [max(len(r[n]) for r in [header, *rows]) for n in range(len(header))]
    print()
    for r in [header, ["-" * w for w in widths], *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
