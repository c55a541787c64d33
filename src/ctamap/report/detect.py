"""`--format auto`: which provider wrote a JSON file, judged on a sample of its values.

Every provider scores the sample (control messages such as SNS subscription notices and
SparkPost pings are skipped); the highest total wins, a tie is an error naming both, and a
shape no provider knows is refused, never read by the wrong reader into malformed rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ctamap.errors import InputError
from ctamap.report.providers import FORMATS, PROVIDERS, Provider


def _values(sample: Iterable[Any]) -> list[Any]:
    """Batches (a whole POST body per line) expanded; control messages left out."""
    out: list[Any] = []
    for value in sample:
        for item in value if isinstance(value, list) else [value]:
            if not any(provider.control(item) for provider in PROVIDERS):
                out.append(item)
    return out


def scores(sample: Iterable[Any]) -> dict[str, int]:
    """Every provider's score on a sample of raw values."""
    values = _values(sample)
    return {p.name: sum(p.score(value) for value in values) for p in PROVIDERS}


def _keys(values: list[Any]) -> str:
    keys: list[str] = []
    for value in values:
        if isinstance(value, Mapping):
            keys.extend(key for key in value if key not in keys)
        if len(keys) >= 8:
            break
    return ", ".join(sorted(keys)[:8]) or "none"


def detect(name: str, sample: Iterable[Any]) -> Provider:
    """The provider that wrote the file `name`, from its sampled values."""
    values = _values(sample)
    if not values:
        raise InputError(
            "cannot tell which provider wrote this file: no event among its first records "
            f"(control messages only?); pass --format ({', '.join(FORMATS[1:])})",
            path=name,
        )
    ranked = sorted(scores(values).items(), key=lambda item: -item[1])
    (best, top), (second, runner_up) = ranked[0], ranked[1]
    if top == 0:
        raise InputError(
            f"unsupported shape (keys {_keys(values)}): no provider reader knows these events; "
            "for a CSV export pass --format csv with --column mappings",
            path=name,
        )
    if top == runner_up:
        raise InputError(
            f"these events look like both {best} and {second}: pass --format {best} "
            f"or --format {second}",
            path=name,
        )
    return next(provider for provider in PROVIDERS if provider.name == best)
