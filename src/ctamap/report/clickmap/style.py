"""The click map's look: one heat scale for every email, badge text, number formats, and the
page and frame style sheets (package data, inlined into the page: nothing is fetched)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctamap.report.clickmap.emails import LinkView


@dataclass(frozen=True)
class Heat:
    """A step of the scale: a CSS class suffix, its colour and what it means."""

    name: str
    colour: str
    label: str


#: Share of the email's clicks -> step; one fixed scale so colours compare across emails.
HEAT_STEPS: tuple[tuple[float, Heat], ...] = (
    (0.30, Heat("heat-5", "#b30000", "30 % of clicks or more")),
    (0.15, Heat("heat-4", "#e34a33", "15-30 %")),
    (0.05, Heat("heat-3", "#fc8d59", "5-15 %")),
    (0.01, Heat("heat-2", "#fdbb84", "1-5 %")),
    (0.0, Heat("heat-1", "#fdd49e", "under 1 %")),
)
NO_CLICKS = Heat("none", "#9ca3af", "tracked, no clicks")
UNTRACKED = Heat("untracked", "#6b7280", "untracked link")
UNKNOWN = Heat("unknown", "#7c3aed", "not in the link map")


def heat_of(link: LinkView) -> Heat:
    if link.id is None:
        return UNKNOWN
    if link.clicked and link.figures is not None:
        share = link.figures.click_share or 0.0
        return next(heat for floor, heat in HEAT_STEPS if share >= floor)
    if not link.tracked:
        return UNTRACKED
    return NO_CLICKS


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def badge_text(link: LinkView) -> str:
    """`128 · 97 · 34.2%` (total, unique, share); `0` for a tracked link nobody clicked."""
    figures = link.figures
    if link.id is None:
        return "not in map"
    if figures is None or not figures.total_clicks:
        return "untracked" if not link.tracked else "0"
    return f"{figures.total_clicks:,} · {figures.unique_clicks:,} · {pct(figures.click_share)}"


def _css_vars() -> str:
    steps = [heat for _, heat in HEAT_STEPS] + [NO_CLICKS, UNTRACKED, UNKNOWN]
    return "\n".join(f".ctamap-{h.name}{{--ctamap-heat:{h.colour}}}" for h in steps)


@functools.cache
def _data(name: str) -> str:
    return resources.files("ctamap.report.clickmap").joinpath(name).read_text(encoding="utf-8")


def frame_css() -> str:
    return _data("frame.css") + _css_vars()


def page_css() -> str:
    return _data("page.css") + _css_vars()


def all_steps() -> tuple[Heat, ...]:
    return (*(heat for _, heat in HEAT_STEPS), NO_CLICKS, UNTRACKED, UNKNOWN)
