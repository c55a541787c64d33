"""Many files run in worker processes; the result must be the serial result, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ctamap.config import from_mapping
from ctamap.parallel import MIN_FILES_FOR_PROCESSES, _workers, instrument_paths
from ctamap.walk import collect

from .conftest import FIXTURES

CONFIG = {
    "first_party_domains": ["example.com", "example.co.uk"],
    "pixel": {"url": "https://t.example.com/o.gif?m={{ message_id }}", "exclude": ["security/*"]},
}


def _tree(root: Path) -> Path:
    """More templates than the process threshold: the golden inputs, many times over."""
    inputs = sorted((FIXTURES / "instrument").glob("*/input.*"))
    n = 0
    while n < MIN_FILES_FOR_PROCESSES + 10:
        for item in inputs:
            target = root / f"copy{n // len(inputs)}" / f"{item.parent.name}{item.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, target)
            n += 1
    (root / "broken.html").write_text("<p>\n{% if x %}\n")
    # Its footer gives this email its pixel: workers must see that too, and add none.
    (root / "news.html").write_text(NEWS)
    (root / "partials").mkdir()
    (root / "partials/footer.html").write_text(
        '<img src="https://t.example.com/o.gif" data-ctamap-pixel>'
    )
    # A layout only excluded mail is built on gets no pixel, decided before the workers run.
    (root / "layouts").mkdir()
    (root / "layouts/security.html").write_text(SECURITY)
    (root / "security").mkdir()
    (root / "security/reset.html").write_text(RESET)
    return root


SECURITY = "<html><body>{% block content %}{% endblock %}</body></html>\n"
RESET = '{% extends "layouts/security.html" %}{% block content %}Reset{% endblock %}\n'
NEWS = '<html><body><p>News</p>{% include "partials/footer.html" %}</body></html>\n'


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "out-dir"])
def test_workers_give_the_serial_result(tmp_path: Path, in_place: bool) -> None:
    results = {}
    for jobs in (1, 2):
        root = _tree(tmp_path / f"jobs{jobs}")
        config = from_mapping(CONFIG, root=root)
        # jobs=2 must really take the worker-process path, or the comparison proves nothing.
        assert _workers(collect([root], config), jobs) == jobs
        out = None if in_place else tmp_path / f"out{jobs}"
        result = instrument_paths([root], config, out_dir=out, jobs=jobs, with_diff=True)
        assert len(result.errors) == 1 and "never closed" in str(result.errors[0])
        results[jobs] = (result, _snapshot(root), _snapshot(out) if out else {})
    serial, parallel = results[1], results[2]
    assert parallel[1] == serial[1] and parallel[2] == serial[2]
    assert (serial[2] or serial[1])["news.html"] == NEWS.encode()
    assert (serial[2] or serial[1])["layouts/security.html"] == SECURITY.encode()
    if not in_place:  # the mirror is complete: the unparsable file is copied as it is
        assert parallel[2]["broken.html"] == b"<p>\n{% if x %}\n"
    assert parallel[0].map_changed and serial[0].map_changed
    assert len(parallel[0].changed) == len(serial[0].changed) > MIN_FILES_FOR_PROCESSES / 2
    assert parallel[0].diff.count("\n+") == serial[0].diff.count("\n+")
