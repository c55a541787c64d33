"""`ctamap inventory` as a table vs the same inventory as CSV, on a 1,000-template tree.

The tree comes from bench/make_tree.py (corpus templates instrumented, with their link map).
Both run as whole processes, alternating, best of CTAMAP_BENCH_ROUNDS; the issue's target is a
table that costs about what its CSV costs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import NO_CORPUS
from _rows import row
from make_tree import CORPUS, ctamap, make

FILES = int(os.environ.get("CTAMAP_BENCH_INVENTORY_FILES", "1000"))
ROUNDS = int(os.environ.get("CTAMAP_BENCH_ROUNDS", "3"))
TARGET = 1.3


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]!r}")
    return elapsed


def main() -> int:
    if not CORPUS.is_dir():
        print(NO_CORPUS)
        return 0
    tree = make(FILES)
    commands = {
        "table": [*ctamap(), "inventory", "templates"],
        "csv": [*ctamap(), "inventory", "templates", "--format", "csv"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, command in commands.items():
            times[name].append(_time(command, tree))
    best = {name: min(values) for name, values in times.items()}
    ok = row(f"inventory table, {FILES:,} files", best["table"], "inventory --format csv",
             best["csv"], TARGET)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
