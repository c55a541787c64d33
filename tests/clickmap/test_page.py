"""`ctamap report --html`: the page as a file (no browser here; see test_browser.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctamap.cli import app
from ctamap.errors import EXIT_ERROR
from tests.clickmap import pageinfo
from tests.clickmap.conftest import DEMO_EVENTS, instrument, report, write_events
from tests.conftest import FIXTURES

#: A template that tries every way to run script, navigate or fetch.
HOSTILE = (FIXTURES / "clickmap" / "hostile.html").read_text(encoding="utf-8")


def test_terminal_output_is_unchanged_and_the_page_is_written(demo: Path) -> None:
    plain = CliRunner().invoke(app, ["report", "--map", str(demo), str(DEMO_EVENTS)])
    stdout, page = report(demo, DEMO_EVENTS)
    assert stdout == plain.stdout
    assert page.startswith("<!DOCTYPE html>")
    as_json = CliRunner().invoke(
        app, ["report", "--map", str(demo), str(DEMO_EVENTS), "-o", "json", "--html",
              str(demo.parent / "x.html")],
    )  # fmt: skip
    assert json.loads(as_json.stdout)["summary"]["clicks_counted"] > 0
    assert "click map written to" in as_json.stderr


def test_page_is_self_contained_with_a_strict_policy(demo: Path) -> None:
    _, text = report(demo, DEMO_EVENTS)
    page = pageinfo.parse(text)
    assert pageinfo.fetching(page.root) == []
    for frame in page.frames:
        assert pageinfo.fetching(frame) == []
    policy = page.root.find(".//meta[@http-equiv='Content-Security-Policy']").get("content")
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "img-src data:;" in policy
    assert not list(page.root.iter("script"))
    for iframe in page.root.iter("iframe"):
        assert iframe.get("sandbox") == ""  # no allow-scripts, no allow-same-origin
    # The policy is repeated in every frame (a srcdoc inherits it; this keeps it if copied).
    for frame in page.frames:
        assert frame.find(".//meta[@http-equiv='Content-Security-Policy']") is not None


def test_every_cta_is_marked_with_its_figures(demo: Path) -> None:
    stdout, text = report(demo, DEMO_EVENTS, options=("-o", "json"))
    figures = {cta["id"]: cta for cta in json.loads(stdout)["ctas"]}
    html_frame = pageinfo.parse(text).frames[0]
    marked = {link["id"]: link for link in pageinfo.links(html_frame)}
    started = figures["welcome.get-started"]
    assert marked["welcome.get-started"]["badge"] == (
        f"{started['total_clicks']} · {started['unique_clicks']} · "
        f"{started['click_share'] * 100:.1f}%"
    )
    assert marked["welcome.get-started"]["tag"] == "a"  # the VML button's figures on its twin
    assert marked["welcome.unsubscribe"]["state"] == "untracked"
    assert marked["welcome.write-to-us"]["state"] == "untracked"
    assert all(link["state"] != "unknown" for link in marked.values())
    zero = [cta for cta, f in figures.items() if f["total_clicks"] == 0 and cta in marked]
    for cta in zero:
        assert marked[cta]["state"] == "none" and marked[cta]["badge"] == "0"


def test_template_tags_become_placeholders_or_sample_values(demo: Path, tmp_path: Path) -> None:
    _, text = report(demo, DEMO_EVENTS)
    frame = pageinfo.parse(text).frames[0]
    placeholders = {p.text_content() for p in frame.find_class("ctamap-ph")}
    assert {"user.first_name", "plan.name"} <= placeholders
    for tip in frame.find_class("ctamap-tip"):  # tips show the map's URL, tags and all
        tip.drop_tree()
    body = frame.find(".//body").text_content()
    assert "{{" not in body and "{#" not in body and "{%" not in body
    assert "An offer we retired" not in body  # a link inside a template comment is no link
    assert "Invite your team" in body  # both branches of an `if` are shown

    data = tmp_path / "sample.toml"
    data.write_text('[welcome]\nuser = { first_name = "Ada <b>" }\nplan.name = "Pro"\n')
    _, text = report(demo, DEMO_EVENTS, options=("--sample-data", str(data)))
    frame = pageinfo.parse(text).frames[0]
    heading = frame.find(".//h1").text_content()
    assert heading == "Welcome aboard, Ada <b>!"  # escaped: text, not markup
    assert "Your Pro plan" in frame.find(".//body").text_content()

    as_json = tmp_path / "sample.json"
    as_json.write_text(json.dumps({"*": {"user": {"first_name": "Grace"}}}))
    _, text = report(demo, DEMO_EVENTS, options=("--sample-data", str(as_json)))
    assert "Welcome aboard, Grace!" in pageinfo.parse(text).frames[0].find(".//h1").text_content()


def test_bad_sample_data_is_one_line_and_exit_2(demo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(
        app, ["report", "--map", str(demo), str(DEMO_EVENTS), "--html",
              str(tmp_path / "x.html"), "--sample-data", str(bad)],
    )  # fmt: skip
    assert result.exit_code == EXIT_ERROR
    assert "bad.json:1: sample data is not valid JSON" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_remote_images_are_boxes_unless_load_images(demo: Path) -> None:
    _, text = report(demo, DEMO_EVENTS)
    frame = pageinfo.parse(text).frames[0]
    assert not list(frame.iter("img"))
    box = frame.find_class("ctamap-img")[0]
    assert box.text_content() == "Example" and "width:120px" in box.get("style")
    _, text = report(demo, DEMO_EVENTS, options=("--load-images",))
    page = pageinfo.parse(text)
    images = [img.get("src") for img in page.frames[0].iter("img")]
    assert images == ["https://cdn.example.com/logo.png"]  # the open pixel stays out
    policy = page.root.find(".//meta[@http-equiv='Content-Security-Policy']").get("content")
    assert "img-src data: https:;" in policy


def test_a_hostile_template_keeps_nothing_that_runs_or_fetches(tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    template = folder / "offer.html"
    template.write_text(HOSTILE, encoding="utf-8")
    link_map = instrument(folder)
    before = template.read_bytes()
    events = write_events(link_map)
    _, text = report(link_map, events)
    assert template.read_bytes() == before  # the source file is never written
    page = pageinfo.parse(text)
    frame = page.frames[0]
    assert pageinfo.fetching(frame) == []
    assert "javascript:" not in text.lower().replace("javascript:document", "")
    assert not list(frame.iter("script"))
    assert not [e for e in frame.iter("meta") if e.get("http-equiv", "").lower() == "refresh"]
    assert [link["id"] for link in pageinfo.links(frame)] == ["offer.click-me", "offer.offer"]
    box = frame.find_class("ctamap-img")[0]
    assert box.text_content() == "Hero" and "width:300px;height:120px" in box.get("style")


def test_figures_and_texts_are_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "escape"
    folder.mkdir()
    (folder / "promo.html").write_text(
        '<html><body><a href="https://www.example.com/a?q=&quot;&gt;&lt;script&gt;">'
        "&lt;script&gt;alert(1)&lt;/script&gt;</a></body></html>",
        encoding="utf-8",
    )
    link_map = instrument(folder)
    events = link_map.parent / "e.jsonl"
    events.write_text(
        json.dumps({"email": "a@example.org", "event": "click", "sg_event_id": "1",
                    "timestamp": 1767225600,
                    "url": 'https://elsewhere.example.com/"><script>alert(1)</script>'})
        + "\n",
    )  # fmt: skip
    _, text = report(link_map, events)
    page = pageinfo.parse(text)
    assert not list(page.root.iter("script"))
    assert not list(page.frames[0].iter("script"))
    unmatched = page.root.find(".//section[@id='unmatched']").text_content()
    assert "<script>alert(1)</script>" in unmatched


def test_missing_template_is_said_and_its_figures_still_listed(demo: Path) -> None:
    (demo.parent / "welcome.html").unlink()
    _, text = report(demo, DEMO_EVENTS)
    page = pageinfo.parse(text)
    problem = page.root.find_class("problem")[0].text_content()
    assert "welcome.html" in problem and "template not found" in problem
    rows = " ".join(r.text_content() for r in page.root.find_class("ctas")[0].iter("tr"))
    assert "welcome.get-started" in rows


@pytest.mark.slow
def test_fifty_templates_stay_under_a_few_megabytes(tmp_path: Path) -> None:
    from tests.conftest import CORPUS, NO_CORPUS

    # The largest real templates: a heavy campaign, not a light one.
    found = sorted(CORPUS.rglob("*.html"), key=lambda p: (-p.stat().st_size, str(p)))[:50]
    if len(found) < 50:
        pytest.skip(NO_CORPUS)
    folder = tmp_path / "fifty"
    for n, path in enumerate(found):
        target = folder / f"t{n:02d}" / path.name
        target.parent.mkdir(parents=True)
        target.write_bytes(path.read_bytes())
    link_map = instrument(folder)
    events = write_events(link_map)
    _, text = report(link_map, events)
    page = pageinfo.parse(text)
    assert len(page.frames) == 50
    size = len(text.encode("utf-8"))
    source = sum(p.stat().st_size for p in found)
    print(f"click map of 50 templates: {size / 1e6:.2f} MB ({source / 1e6:.2f} MB of templates)")
    assert size < 4_000_000, f"page is {size / 1e6:.1f} MB for {source / 1e6:.1f} MB of templates"
