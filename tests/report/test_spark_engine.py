"""`--engine spark` gives the JSON `--engine duckdb` gives, on the shared scenarios: every
provider reader Spark has, the generated oracle scenario, the per-email scenario, `--by day`,
`--dedupe-window`, bots flagged. Runs where the `spark` extra is installed (CI installs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ctamap.report import BotMode, ReportOptions, run_report
from ctamap.report.render import to_json_data
from tests.report.test_per_email import _shared_layout_log, project  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "fixtures" / "events"
PROVIDERS = ROOT / "fixtures" / "providers"

#: Every provider fixture: Spark reads each provider's envelopes.
PROVIDER_FILES = sorted(
    str(path) for path in PROVIDERS.glob("*/*.json*") if path.name != "golden.json"
)
EVENT_FILES = [
    str(EVENTS / name)
    for name in (
        "sendgrid.json",
        "sendgrid.jsonl.gz",
        "mailgun-events.json",
        "mailgun-webhooks.jsonl",
        "postmark.jsonl",
        "ses.jsonl",
        "sparkpost-events.json",
        "sparkpost-webhook.json",
    )
]


def _both(options: ReportOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    duck = to_json_data(run_report(options))
    spark = to_json_data(run_report(replace(options, engine="spark")))
    return duck, spark


def _same(duck: dict[str, Any], spark: dict[str, Any]) -> None:
    assert json.dumps(spark, indent=1, default=str) == json.dumps(duck, indent=1, default=str)


@pytest.mark.spark
def test_every_provider_reader_gives_duckdbs_figures(spark_session: Any, link_map: Path) -> None:
    options = ReportOptions(maps=(link_map,), logs=(*PROVIDER_FILES, *EVENT_FILES))
    duck, spark = _both(options)
    assert duck["summary"]["rows_read"] > 50
    assert all(source["rows"] for source in duck["sources"])
    _same(duck, spark)


@pytest.mark.spark
def test_sparkpost_pages_and_webhook_batches_give_duckdbs_figures(
    spark_session: Any, link_map: Path
) -> None:
    """Events API pages and `msys` batches; the `{"msys": {}}` ping gives no row on either."""
    logs = (
        *sorted(str(path) for path in (PROVIDERS / "sparkpost").glob("*.json*")
                if path.name != "golden.json"),
        str(EVENTS / "sparkpost-events.json"),
        str(EVENTS / "sparkpost-webhook.json"),
    )  # fmt: skip
    duck, spark = _both(ReportOptions(maps=(link_map,), logs=logs))
    assert all(source["rows"] for source in duck["sources"])
    assert duck["summary"]["excluded"].get("malformed", 0) == 0
    _same(duck, spark)


@pytest.mark.spark
@pytest.mark.parametrize(
    "overrides",
    [{"by": "day"}, {"dedupe_window": 10.0, "bots": BotMode.FLAG}, {"by": "template"}],
    ids=["by-day", "dedupe-bots-flag", "by-template"],
)
def test_options_give_duckdbs_figures(
    spark_session: Any, link_map: Path, overrides: dict[str, Any]
) -> None:
    options = ReportOptions(maps=(link_map,), logs=tuple(EVENT_FILES), **overrides)
    _same(*_both(options))


@pytest.mark.spark
def test_generated_scenario_gives_duckdbs_figures(
    spark_session: Any, tmp_path: Path, link_map: Path
) -> None:
    from tests.report.test_scenario import UNTIL, _scenario, _write

    log = tmp_path / "events.csv"
    _write(_scenario(2), log)
    options = ReportOptions(maps=(link_map,), logs=(str(log),), until=UNTIL.replace(tzinfo=None))
    duck, spark = _both(options)
    assert duck["summary"]["excluded"]["bot"] and duck["summary"]["excluded"]["duplicate"]
    _same(duck, spark)


def test_every_provider_with_envelopes_has_a_spark_reader() -> None:
    """Spark reads a provider's raw records through `RECORDS`: one missing would count each
    envelope (a page, a batch) as one malformed event instead of its events."""
    from ctamap.report.engines.spark_readers import RECORDS
    from ctamap.report.providers import PROVIDERS

    enveloped = {provider.name for provider in PROVIDERS if provider.records}
    assert "sparkpost" in enveloped
    assert enveloped <= set(RECORDS)


def test_without_pyspark_the_engine_says_how_to_install_it(link_map: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['pyspark'] = None  # as if the extra were not installed\n"
        "from ctamap.cli import main\n"
        f"sys.argv = ['ctamap', 'report', '--engine', 'spark', '--map', {str(link_map)!r}, "
        f"{str(EVENTS / 'sendgrid.json')!r}]\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install 'ctamap[spark]'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.spark
def test_a_glob_is_read_by_spark_itself(spark_session: Any, link_map: Path) -> None:
    """A glob (like an s3a:// path) is sampled and read by Spark, not opened by ctamap."""
    sns = PROVIDERS / "ses" / "sns.jsonl"
    duck = to_json_data(run_report(ReportOptions(maps=(link_map,), logs=(str(sns),))))
    glob = ReportOptions(maps=(link_map,), logs=(str(sns.parent / "s*.jsonl"),), engine="spark")
    spark = to_json_data(run_report(glob))
    assert spark["sources"][0]["rows"] == duck["sources"][0]["rows"] > 0
    for data in (duck, spark):
        data.pop("sources")
    _same(duck, spark)


@pytest.mark.spark
def test_per_email_scenario_gives_duckdbs_figures(spark_session: Any, project: Path) -> None:  # noqa: F811
    """Two emails sharing a layout, one with a text twin (test_per_email's scenario)."""
    from ctamap.config import load
    from ctamap.report import load_link_maps
    from ctamap.report.catalog import composition

    events, _ = _shared_layout_log(project)
    link_map = project / "ctamap.linkmap.json"
    config = load(project / "ctamap.toml")
    layouts = composition(load_link_maps((link_map,)), (project,), config)
    options = ReportOptions(
        maps=(link_map,), logs=(str(events),), layouts=tuple(layouts.items()), by="template"
    )
    duck, spark = run_report(options), run_report(replace(options, engine="spark"))
    assert len(duck.emails) == 2
    assert spark.emails == duck.emails  # each email's figures and its CTAs'
    _same(to_json_data(duck), to_json_data(spark))
