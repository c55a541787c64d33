"""`ctamap audit` speed, as whole processes side by side:

1. auditing the corpus of real templates (CTAMAP_CORPUS) against parsing it with BeautifulSoup+lxml;
2. start-up: `ctamap audit one.html` against `python -c "import typer"`, a minimal Typer
   command reading the same file (the floor any Typer CLI pays), and `python -c pass`.

Each command runs several times, interleaved, and the best time counts (noise only adds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpus import CORPUS, NO_CORPUS  # bench/ is on sys.path when a script runs
from _rows import row

ROUNDS = int(os.environ.get("CTAMAP_BENCH_ROUNDS", "7"))

# The real floor of a Typer CLI: running one command with a Path argument makes Typer (0.2x)
# build its pydantic-backed coercion, which `import typer` alone does not show.
TYPER_COMMAND = """
from pathlib import Path
import typer
app = typer.Typer()
@app.command()
def audit(paths: list[Path], exit_zero: bool = False) -> None:
    for path in paths:
        path.read_bytes()
app()
"""

BS4_PARSE = """
import sys
from pathlib import Path
from bs4 import BeautifulSoup
for p in sorted(Path(sys.argv[1]).rglob('*')):
    if p.suffix in ('.html', '.txt'):
        BeautifulSoup(p.read_text(encoding='utf-8'), 'lxml')
"""


def _ctamap() -> list[str]:
    exe = Path(sys.executable).with_name("ctamap")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ctamap"]


def best(commands: dict[str, list[str]], cwd: Path, rounds: int = ROUNDS) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.decode()}")
    return {name: min(values) for name, values in times.items()}


def _compile_sources() -> None:
    """Users run with cached bytecode; a stale or missing cache (PYTHONDONTWRITEBYTECODE, an
    edited checkout) would time the compiler instead (`bench/run.py` does the same)."""
    src = Path(__file__).resolve().parents[1] / "src"
    command = [sys.executable, "-m", "compileall", "-q", str(src)]
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL)


def main() -> int:
    if not CORPUS.is_dir():
        print(NO_CORPUS)
        return 0
    _compile_sources()
    files = sum(1 for p in CORPUS.rglob("*") if p.suffix in (".html", ".txt"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / ".git").mkdir()  # no config discovery above the scratch folder
        one = next(iter(sorted(CORPUS.rglob("content.html"))))
        shutil.copy(one, folder / "one.html")
        corpus = best(
            {
                "ctamap audit corpus": [*_ctamap(), "audit", str(CORPUS), "--exit-zero"],
                "bs4+lxml parse corpus": [sys.executable, "-c", BS4_PARSE, str(CORPUS)],
            },
            folder,
        )
        startup = best(
            {
                "ctamap audit one.html": [*_ctamap(), "audit", "one.html", "--exit-zero"],
                "python -c import-typer": [sys.executable, "-c", "import typer"],
                "minimal typer command": [sys.executable, "-c", TYPER_COMMAND, "one.html"],
                "python -c pass": [sys.executable, "-c", "pass"],
            },
            folder,
            # Start-up runs are short: enough of them that the best is not a busy moment.
            max(ROUNDS, 11),
        )
    print(f"corpus: {files} files, best of {ROUNDS}")
    for name, seconds in {**corpus, **startup}.items():
        print(f"  {name:<28} {seconds * 1000:8.1f} ms")
    audit_corpus = corpus["ctamap audit corpus"]
    print(
        f"  audit corpus / bs4 parse corpus        = "
        f"{audit_corpus / corpus['bs4+lxml parse corpus']:.2f}"
    )
    print(
        f"  audit one.html / import typer          = "
        f"{startup['ctamap audit one.html'] / startup['python -c import-typer']:.2f}"
    )
    print(
        f"  audit one.html / minimal typer command = "
        f"{startup['ctamap audit one.html'] / startup['minimal typer command']:.2f}"
    )
    print(
        f"  audit one.html / python -c pass        = "
        f"{startup['ctamap audit one.html'] / startup['python -c pass']:.2f}"
    )
    ok = row(
        "ctamap audit one.html (pre-commit)",
        startup["ctamap audit one.html"],
        "python -c pass",
        startup["python -c pass"],
        8.0,
        unit="ms",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
