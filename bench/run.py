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

# Per mode, the sizes every script reads from its environment.
SIZES: dict[str, dict[str, str]] = {
    "quick": {
        "CTAMAP_BENCH_ROWS": "200000",
        "CTAMAP_BENCH_ROUNDS": "2",
        "CTAMAP_BENCH_COPIES": "1",
        "CTAMAP_BENCH_REPEAT": "2",
        "CTAMAP_BENCH_SIZES": "100 500",
    },
    "full": {
        "CTAMAP_BENCH_ROWS": "5000000",
        "CTAMAP_BENCH_ROUNDS": "3",
        "CTAMAP_BENCH_COPIES": "8",
        "CTAMAP_BENCH_REPEAT": "5",
        "CTAMAP_BENCH_SIZES": "1000 10000",
    },
}


def main() -> int:
    here = Path(__file__).parent
    args = sys.argv[1:]
    mode = "full" if "--full" in args else "quick"
    only = [a for a in args if not a.startswith("--")]
    env = {**os.environ, "CTAMAP_BENCH_MODE": mode}
    for name, value in SIZES[mode].items():
        env.setdefault(name, value)
    print(f"bench mode: {mode} ({', '.join(f'{k}={env[k]}' for k in SIZES[mode])})", flush=True)
    status = 0
    for script in sorted(here.glob("bench_*.py")):
        if only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"== {script.stem}", flush=True)
        status |= subprocess.run([sys.executable, str(script)], check=False, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
