"""Run every benchmark in this folder (bench_*.py), one after the other, and print their ratios.

Benchmarks are not timed tests: each script measures ctamap and the reference the design names
side by side in one run, as whole processes, and prints the figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    only = sys.argv[1:]
    status = 0
    for script in sorted(here.glob("bench_*.py")):
        if only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"== {script.stem}", flush=True)
        status |= subprocess.run([sys.executable, str(script)], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
