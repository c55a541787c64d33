"""Generate an instrumented template tree with its link map, for the scaling benchmark.

`python bench/make_tree.py N` writes N templates under bench/.data/tree-N/ (HTML files copied
round-robin from the real corpus, each with a text twin where the corpus has one, 100 to a
folder, plus one folder holding `--flat` files side by side), then runs `ctamap instrument` on
it so that the tree is instrumented and `ctamap.linkmap.json` lists every link, as in a
repository that has used ctamap for a while. An existing tree of that size is reused.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from _corpus import CORPUS  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
CONFIG = """\
first_party_domains = ["example.com", "sendwithus.com", "mailgun.com", "postmarkapp.com"]
campaign = "bench"
[pixel]
url = "https://t.example.com/o.gif?m={{ message_id }}"
"""
PER_FOLDER = 100


def ctamap() -> list[str]:
    """The installed command next to this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "ctamap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ctamap"]


def sources() -> list[tuple[Path, Path | None]]:
    """Every corpus HTML template with its text twin (`x.html` / `x.txt`), if it has one."""
    found = []
    for html in sorted(CORPUS.rglob("*.html")):
        text = html.with_suffix(".txt")
        found.append((html, text if text.is_file() else None))
    return found


def make(count: int, flat: int = 0) -> Path:
    """The tree for `count` templates (text twins not counted), instrumented, with its map."""
    tree = DATA / f"tree-{count}{f'-flat{flat}' if flat else ''}"
    if (tree / "ctamap.linkmap.json").is_file():
        return tree
    if tree.exists():
        shutil.rmtree(tree)
    corpus = sources()
    (tree / "templates").mkdir(parents=True)
    # Its own repository: config discovery stops here, and the walk asks this repository's
    # git (not the enclosing checkout's, which ignores bench/.data) what is ignored.
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    (tree / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    for n in range(count):
        html, text = corpus[n % len(corpus)]
        if n < flat:
            folder = tree / "templates" / "flat"
        else:
            folder = tree / "templates" / f"batch-{(n - flat) // PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{html.parent.name}-{html.stem}-{n}"
        shutil.copyfile(html, folder / f"{stem}.html")
        if text is not None:
            shutil.copyfile(text, folder / f"{stem}.txt")
    done = subprocess.run(
        [*ctamap(), "instrument", "templates"], cwd=tree, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"instrument failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of HTML templates")
    parser.add_argument("--flat", type=int, default=0, help="of which this many in one folder")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    print(make(args.count, args.flat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
