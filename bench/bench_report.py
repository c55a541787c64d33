"""`ctamap report` on generated event logs vs a hand-written DuckDB GROUP BY over the same file.

Two inputs carry the same events: a generic CSV click log and SendGrid Event Webhook JSON lines.
Each runs as whole processes, side by side in one run (alternating, best of ROUNDS), so the load
of a shared machine hits both sides alike. Prints one row per job: ctamap, the reference, the
ratio, the target and both sides' peak RSS. The data lives in `bench/.data/` (gitignored) and is
reused when present.

    CTAMAP_BENCH_ROWS="1000000 5000000"   row counts (each one job per format)
    CTAMAP_BENCH_ROUNDS=3                 runs of each side (best counts)
    CTAMAP_BENCH_MEMORY=1GB               ctamap's --memory (the default budget when unset)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rows import row

HERE = Path(__file__).parent
DATA = HERE / ".data"
ROWS = [int(n) for n in os.environ.get("CTAMAP_BENCH_ROWS", "1000000 5000000").split()]
MAP = DATA / "linkmap.json"
ROUNDS = int(os.environ.get("CTAMAP_BENCH_ROUNDS", "3"))
MEMORY = os.environ.get("CTAMAP_BENCH_MEMORY", "")
TARGET_RATIO = 1.3
#: The design's default budget is 1 GB of DuckDB memory; the process adds the interpreter,
#: DuckDB's own code and buffers outside the budget.
TARGET_RSS_MB = 2048

TEMPLATES = [f"t{n:02d}" for n in range(20)]
CTAS_PER_TEMPLATE = 6
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "python-requests/2.32.3",
]


def _links() -> list[dict[str, object]]:
    links: list[dict[str, object]] = []
    for template in TEMPLATES:
        for n in range(CTAS_PER_TEMPLATE):
            link_id = f"{template}.cta-{n}"
            url = f"https://app.example.com/{template}/offer-{n}?plan=p{n}"
            links.append(
                {
                    "id": link_id,
                    "template": f"emails/{template}.html",
                    "text": f"Offer {n}",
                    "kind": "button",
                    "role": "cta",
                    "url": url,
                    "tracked_url": f"{url}&utm_source=newsletter&utm_medium=email"
                    f"&utm_campaign={template}&utm_content={link_id}&cta_id={link_id}",
                    "tracked": True,
                    "status": "active",
                    "occurrences": [],
                }
            )
    return links


Row = tuple[str, str, str, str, str, str, str]


def _events(rows: int, links: list[dict[str, object]]) -> Iterator[Row]:
    """`rows` events: per recipient a delivery, some opens, then clicks (same seed every time)."""
    rng = random.Random(20240501)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    written = 0
    recipient = 0
    while written < rows:
        recipient += 1
        email = f"user{recipient}@example.org"
        template = TEMPLATES[recipient % len(TEMPLATES)]
        sent = start + timedelta(seconds=rng.randrange(86400 * 7))
        events = [("delivered", sent, "", "")]
        clock = sent + timedelta(seconds=rng.randrange(30, 86400))
        for _ in range(rng.randrange(0, 3)):
            events.append(("open", clock, "", rng.choice(AGENTS[:3])))
            clock += timedelta(seconds=rng.randrange(5, 600))
        for _ in range(rng.randrange(0, 17)):
            link = links[rng.randrange(len(links))]
            url = str(link["tracked_url"])
            if rng.random() < 0.02:
                url = f"https://app.example.com/unknown/{rng.randrange(50)}"
            agent = AGENTS[3] if rng.random() < 0.03 else rng.choice(AGENTS[:3])
            events.append(("click", clock, url, agent))
            clock += timedelta(seconds=rng.randrange(1, 900))
        for kind, when, url, agent in events:
            written += 1
            if written > rows:
                return
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            yield f"ev{written:09d}", stamp, email, kind, url, agent, template


def _write_csv(path: Path, rows: int, links: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("event_id,timestamp,email,event,url,user_agent,template\n")
        for event_id, stamp, email, kind, url, agent, template in _events(rows, links):
            out.write(f'{event_id},{stamp},{email},{kind},"{url}","{agent}",{template}\n')


def _write_sendgrid(path: Path, rows: int, links: list[dict[str, object]]) -> None:
    """SendGrid Event Webhook events, one per line, with the keys SendGrid sends."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for event_id, stamp, email, kind, url, agent, template in _events(rows, links):
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            event: dict[str, object] = {
                "email": email,
                "timestamp": int((when - epoch).total_seconds()),
                "smtp-id": f"<{email}.{template}@sg.example>",
                "event": kind,
                "category": [template, "newsletter"],
                "sg_event_id": event_id,
                "sg_message_id": f"{email}.{template}.filter001",
                "template": template,
            }
            if kind == "delivered":
                event["response"] = "250 OK"
            if agent:
                event["useragent"] = agent
                event["ip"] = "203.0.113.5"
            if kind == "open":
                event["sg_machine_open"] = False
            if url:
                event["url"] = url
                event["url_offset"] = {"index": 0, "type": "html"}
            out.write(json.dumps(event) + "\n")


WRITERS = {"csv": (_write_csv, "csv"), "jsonl": (_write_sendgrid, "jsonl")}


def _log(kind: str, rows: int) -> Path:
    writer, suffix = WRITERS[kind]
    path = DATA / f"{kind}-{rows}.{suffix}"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} {kind} rows into {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        writer(partial, rows, _links())
        partial.replace(path)
    return path


REFERENCE = {
    "csv": """
import duckdb, sys
con = duckdb.connect()
rows = con.sql('''
    SELECT regexp_extract(url, '[?&]cta_id=([^&#]*)', 1) AS cta,
           count(*) AS total_clicks, count(DISTINCT email) AS unique_clicks
    FROM read_csv(?, header = true, all_varchar = true)
    WHERE event = 'click'
    GROUP BY cta ORDER BY cta
''', params=[sys.argv[1]]).fetchall()
for row in rows:
    print(*row, sep=',')
""",
    "jsonl": """
import duckdb, sys
con = duckdb.connect()
rows = con.sql('''
    SELECT regexp_extract(url, '[?&]cta_id=([^&#]*)', 1) AS cta,
           count(*) AS total_clicks, count(DISTINCT email) AS unique_clicks
    FROM read_json(?, format = 'newline_delimited',
                   columns = {email: 'VARCHAR', event: 'VARCHAR', url: 'VARCHAR'})
    WHERE event = 'click'
    GROUP BY cta ORDER BY cta
''', params=[sys.argv[1]]).fetchall()
for row in rows:
    print(*row, sep=',')
""",
}


def _measured(argv: list[str]) -> tuple[float, int, float]:
    """Wall time, peak RSS (KiB) and CPU time (user + system, all threads) of one process,
    from its own rusage (os.wait4). On a loaded machine the CPU time is the steadier figure."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = child.stderr.read() if child.stderr else b""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(stderr.decode(errors="replace"))
        raise SystemExit(f"{argv[0]} failed with exit status {status}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def _timed(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one process."""
    elapsed, rss, _ = _measured(argv)
    return elapsed, rss


def _job(kind: str, rows: int, ctamap: str) -> bool:
    log = _log(kind, rows)
    fmt = "csv" if kind == "csv" else "sendgrid"
    report = [ctamap, "report", "--map", str(MAP), "--format", fmt, "--output", "json", str(log)]
    if MEMORY:
        report[2:2] = ["--memory", MEMORY]
    reference = [sys.executable, "-c", REFERENCE[kind], str(log)]
    print("  command: " + " ".join(report), flush=True)
    _timed(reference)  # warm the page cache so neither side pays the first read
    ref_runs, ctamap_runs = [], []
    for _ in range(ROUNDS):
        ref_runs.append(_measured(reference))
        ctamap_runs.append(_measured(report))
    ref_time = min(t for t, _, _ in ref_runs)
    ctamap_time = min(t for t, _, _ in ctamap_runs)
    ref_rss = max(r for _, r, _ in ref_runs) / 1024
    peak_mb = max(r for _, r, _ in ctamap_runs) / 1024
    ref_cpu = min(c for _, _, c in ref_runs)
    ctamap_cpu = min(c for _, _, c in ctamap_runs)
    ratio = ctamap_time / ref_time
    label = f"report, {'SendGrid JSON lines' if kind == 'jsonl' else 'CSV'}, {rows:,} rows"
    reader = "read_json" if kind == "jsonl" else "read_csv"
    print(
        f"  {label}: ctamap {ctamap_time:.2f} s, peak {peak_mb:,.0f} MB; hand-written DuckDB "
        f"{reader} GROUP BY {ref_time:.2f} s, peak {ref_rss:,.0f} MB; ratio {ratio:.2f}x "
        f"(CPU {ctamap_cpu:.2f} s vs {ref_cpu:.2f} s: {ctamap_cpu / ref_cpu:.2f}x)",
        flush=True,
    )
    return row(
        label,
        ctamap_time,
        f"DuckDB {reader} GROUP BY",
        ref_time,
        TARGET_RATIO,
        rss_mb=peak_mb,
        rss_target_mb=TARGET_RSS_MB,
    )


def main() -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    MAP.write_text(json.dumps({"schema": "ctamap.linkmap/1", "links": _links()}, indent=1))
    ctamap = shutil.which("ctamap", path=str(Path(sys.executable).parent)) or "ctamap"
    print(f"{os.cpu_count()} cores, best of {ROUNDS}, ctamap and reference alternating")
    ok = True
    for rows in ROWS:
        for kind in ("jsonl", "csv"):
            ok &= _job(kind, rows, ctamap)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
