"""`ctamap audit` of an instrumented tree with its link map, 1k -> 10k templates: per-file cost.

The trees come from bench/make_tree.py (corpus templates with their text twins, instrumented,
`ctamap.linkmap.json` beside them; built once under bench/.data and reused). Each size also runs
`ctamap instrument --check` on the same tree as the reference the issue names, side by side.
Linear means the per-file cost at 10x the files stays within 1.2x of the small tree's.
Usage: python bench/bench_scaling.py [--sizes 1000 10000] [--repeat N] [--flat N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import NO_CORPUS
from _rows import row
from make_tree import CORPUS, ctamap, make


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = [int(n) for n in os.environ.get("CTAMAP_BENCH_SIZES", "1000 10000").split()]
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command (best counts)")
    parser.add_argument(
        "--flat", type=int, default=0, help="put this many templates of each tree in one folder"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(NO_CORPUS)
        return 0
    commands = {
        "audit": [*ctamap(), "audit", "templates", "--exit-zero"],
        "instrument --check": [*ctamap(), "instrument", "templates", "--check"],
    }
    rows: list[tuple[int, str, float]] = []
    for size in args.sizes:
        tree = make(size, min(args.flat, size))
        best = {
            name: min(_time(cmd, tree) for _ in range(args.repeat))
            for name, cmd in commands.items()
        }
        for name, seconds in best.items():
            rows.append((size, name, seconds))
            print(
                f"  {size:>6} files  {name:<20} {seconds:8.2f} s"
                f"  {seconds / size * 1000:6.2f} ms/file",
                flush=True,
            )
    smallest = min(args.sizes)
    ok = True
    for name in commands:
        per_file = {size: s / size for size, n, s in rows if n == name}
        for size in args.sizes:
            if size != smallest:
                ok &= row(
                    f"{name} per file (with its link map), {size:,} files",
                    per_file[size],
                    f"per file at {smallest:,}",
                    per_file[smallest],
                    1.2,
                    unit="ms",
                )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
