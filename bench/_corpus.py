"""Where the benchmarks find the external corpus of real templates (not in the repository).

`CTAMAP_CORPUS=DIR` points at one; the default is a `shared/corpus` folder beside the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

CORPUS = Path(
    os.environ.get("CTAMAP_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
NO_CORPUS = "skipped: set CTAMAP_CORPUS=DIR to run the corpus benchmarks"
