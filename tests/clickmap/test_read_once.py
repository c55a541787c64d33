"""One `report --html` run reads each template once: the report's catalogue (which emails
use which layout) and the click map share the templates and their graph."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import ctamap.pipeline
from ctamap.walk import TemplateFile
from tests.clickmap import pageinfo
from tests.clickmap.conftest import layout_events, report


def test_each_template_is_read_once_per_run(
    layout_campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = layout_events(layout_campaign)
    reads: Counter[str] = Counter()
    load_one = ctamap.pipeline.load_one

    def counted(file: TemplateFile, *args: object, **kwargs: object) -> object:
        reads[file.path.relative_to(layout_campaign.parent.resolve()).as_posix()] += 1
        return load_one(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ctamap.pipeline, "load_one", counted)
    _, text = report(layout_campaign, events)
    # The page is whole: every email, the one with no link of its own too.
    assert len(pageinfo.parse(text).root.find_class("tab-label")) == 3
    assert reads and set(reads.values()) == {1}, reads
    assert {"layouts/base.html", "partials/footer.html", "emails/welcome.html"} <= set(reads)
