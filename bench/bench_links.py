"""`ctamap instrument` of one link-heavy template, 1k -> 100k links: cost per link, first run and
no-op re-run; and one small template beside a link map of 100k entries (other templates').

Generated inputs (no corpus needed): links to distinct product pages whose texts repeat, as a
catalogue or digest email does ("Shop now" 1 in 4, so template slugs collide and count up), in
bench/.data/links. Linear means the per-link cost at 100x the links stays within ~1.3x of the
smallest size's, and a no-op re-run (nothing to change: templates and map untouched) costs no
more than the first run. Each figure is the best of --repeat whole processes, in CPU seconds;
per-link costs leave out the start-up (a 1-link template's run).
Usage: python bench/bench_links.py [--sizes 1000 10000 100000] [--map-entries 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tree import ctamap

DATA = Path(__file__).resolve().parent / ".data" / "links"
# 100k links make a 10 MB template, over the default size limit for one.
CONFIG = 'first_party_domains = ["example.com"]\nmax_file_bytes = 100_000_000\n'
TEXTS = ("Shop now", "Read more", "View details")


def _template(links: int) -> str:
    rows = []
    for n in range(links):
        text = TEXTS[n % 4] if n % 4 < len(TEXTS) else f"Product {n}"
        rows.append(
            f'<tr><td><a href="https://www.example.com/p/{n}?ref=digest" '
            f'style="color:#0a66c2">{text}</a></td></tr>\n'
        )
    return f"<!doctype html>\n<html><body><table>\n{''.join(rows)}</table></body></html>\n"


def _fresh(name: str) -> Path:
    folder = DATA / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "emails").mkdir(parents=True)
    (folder / "ctamap.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def _run(folder: Path, *args: str) -> float:
    """CPU seconds (user + system) of one whole `ctamap instrument` process: on a machine
    shared with other work, wall-clock time measures the neighbours as much as ctamap."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [*ctamap(), "instrument", *args], cwd=folder, capture_output=True, text=True, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}) in {folder}:\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _first_and_noop(folder: Path, name: str, text: str, repeat: int) -> tuple[float, float]:
    """Best first run (from the original text, no map entry of its own) and best no-op re-run."""
    template = folder / "emails" / name
    firsts: list[float] = []
    saved = folder / "ctamap.linkmap.json.orig"
    map_file = folder / "ctamap.linkmap.json"
    if map_file.exists():
        shutil.copy2(map_file, saved)
    for _ in range(repeat):
        template.write_text(text, encoding="utf-8")
        if saved.exists():
            shutil.copy2(saved, map_file)
        else:
            map_file.unlink(missing_ok=True)
        firsts.append(_run(folder, f"emails/{name}"))
    before = (template.read_bytes(), map_file.read_bytes())
    noop = min(_run(folder, f"emails/{name}") for _ in range(repeat))
    if (template.read_bytes(), map_file.read_bytes()) != before:
        sys.exit(f"a no-op re-run changed {template} or its map")
    return min(firsts), noop


def _big_map(folder: Path, entries: int) -> None:
    """A link map of `entries` links of 1000 other templates (as a big project's is)."""
    links = [
        {
            "id": f"t{n % 1000}.product-{n}",
            "template": f"emails/other{n % 1000}.html",
            "text": f"Product {n}",
            "kind": "text",
            "role": "cta",
            "url": f"https://www.example.com/p/{n}",
            "tracked_url": f"https://www.example.com/p/{n}?utm_source=newsletter&cta_id=t{n}",
            "tracked": True,
            "status": "active",
            "tags": ["a"],
        }
        for n in range(entries)
    ]
    # Sorted by template and ID, as every map ctamap writes is: unsorted, the first run would
    # rewrite all of it (and a one-file run could not splice into it).
    links.sort(key=lambda link: (str(link["template"]), str(link["id"])))
    text = json.dumps({"schema": "ctamap.linkmap/2", "links": links}, indent=2) + "\n"
    (folder / "ctamap.linkmap.json").write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = [int(n) for n in os.environ.get("CTAMAP_BENCH_LINKS", "1000 10000 100000").split()]
    entries = int(os.environ.get("CTAMAP_BENCH_MAP_ENTRIES", "100000"))
    repeat = int(os.environ.get("CTAMAP_BENCH_REPEAT", "2"))
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes, help="links per template")
    parser.add_argument("--map-entries", type=int, default=entries)
    parser.add_argument("--repeat", type=int, default=repeat, help="runs of each (best counts)")
    args = parser.parse_args()
    # What a run costs whatever the links (interpreter, imports, config): left out per link.
    start, _ = _first_and_noop(_fresh("one-1"), "digest.html", _template(1), args.repeat)
    print(f"  start-up (a 1-link template): {start:.2f} s CPU", flush=True)
    per_link: dict[int, tuple[float, float]] = {}
    for size in args.sizes:
        folder = _fresh(f"one-{size}")
        first, noop = _first_and_noop(folder, "digest.html", _template(size), args.repeat)
        per_link[size] = ((first - start) / size, (noop - start) / size)
        print(
            f"  {size:>7} links  first {first:7.2f} s ({per_link[size][0] * 1e6:5.0f} us/link)"
            f"  no-op {noop:7.2f} s ({per_link[size][1] * 1e6:5.0f} us/link)"
            f"  no-op/first {noop / first:4.2f}",
            flush=True,
        )
    smallest = min(args.sizes)
    for size in args.sizes:
        if size != smallest:
            first = per_link[size][0] / per_link[smallest][0]
            noop = per_link[size][1] / per_link[smallest][1]
            print(f"  per-link cost at {size} / at {smallest}: first {first:.2f}, no-op {noop:.2f}")
    folder = _fresh("big-map")
    _big_map(folder, args.map_entries)
    first, noop = _first_and_noop(folder, "welcome.html", _template(20), args.repeat)
    print(
        f"  1 template (20 links) beside a {args.map_entries}-entry map:"
        f"  first {first:.2f} s, no-op {noop:.2f} s",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
