"""One line per row of the speed table (issue 13), printed by every benchmark and gathered by
bench/run.py into one table at the end: job, ctamap's time, the reference and its time, the ratio,
the target and, where it matters, peak RSS."""

from __future__ import annotations

#: The marker bench/run.py looks for on each line of a benchmark's output.
TAG = "ROW\t"


def row(
    job: str,
    ctamap: float,
    reference: str,
    reference_time: float,
    target: float,
    *,
    rss_mb: float | None = None,
    rss_target_mb: float | None = None,
    unit: str = "s",
) -> bool:
    """Print one row; True when the ratio (and the peak RSS, when given a target) is met."""
    ratio = ctamap / reference_time if reference_time else float("inf")
    ok = ratio <= target and (rss_target_mb is None or (rss_mb or 0) <= rss_target_mb)
    rss = f"{rss_mb:,.0f} MB" if rss_mb is not None else ""
    if rss_target_mb is not None:
        rss += f" (<= {rss_target_mb:,.0f})"
    scale, digits = (1000, 1) if unit == "ms" else (1, 2)
    cells = [
        job,
        f"{ctamap * scale:.{digits}f} {unit}",
        f"{reference} {reference_time * scale:.{digits}f} {unit}",
        f"{ratio:.2f}x",
        f"<= {target}x",
        rss,
        "ok" if ok else "MISSED",
    ]
    print(TAG + "\t".join(cells), flush=True)
    return ok
