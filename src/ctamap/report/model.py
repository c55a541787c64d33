"""Records of the report pipeline: options in, normalised events, totals and the report out.

Every figure a user sees is a field here, so renderers and tests read the same names the
design uses (`total_clicks`, `ctor_human`, ...). Rates are `None` when their denominator is
unknown, never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

#: The reasons a row can be excluded, in the order they are decided (one reason per row).
EXCLUSION_REASONS = ("malformed", "out_of_window", "duplicate", "bot", "unmatched")

#: `--by` choices with a fixed meaning; any other value names a column of the input.
FIXED_GROUPINGS = ("template", "campaign", "day", "part")


class BotMode(StrEnum):
    """What to do with clicks that bot signals point at."""

    EXCLUDE = "exclude"
    """Excluded and counted under `excluded.bot` (default)."""
    FLAG = "flag"
    """Counted like any click, and counted again under `flagged_bot`."""
    INCLUDE = "include"
    """No bot detection at all."""


@dataclass(frozen=True)
class ReportOptions:
    """Everything `ctamap report` needs, as plain data (the CLI only builds this)."""

    maps: tuple[Path, ...]
    """Link map files (JSON `ctamap.linkmap/1` or CSV with the same columns)."""
    logs: tuple[str, ...]
    """Event files; `-` is stdin."""
    format: str = "auto"
    """Provider name from the reader registry, or `auto` to detect per file."""
    columns: tuple[tuple[str, str], ...] = ()
    """Generic CSV mapping: (field, header), e.g. ("recipient", "email")."""
    link_id_param: str = "cta_id"
    """Query parameter carrying the link ID."""
    since: datetime | None = None
    """Inclusive lower bound of the window (UTC)."""
    until: datetime | None = None
    """Exclusive upper bound of the window (UTC)."""
    dedupe_window: float = 0.0
    """Seconds: a repeat click by one recipient on one CTA this soon counts once."""
    bots: BotMode = BotMode.EXCLUDE
    bot_min_seconds: float = 2.0
    """A click sooner than this after its delivery is a bot."""
    bot_burst: int = 3
    """This many distinct CTAs clicked by one recipient within `bot_burst_seconds` is a bot."""
    bot_burst_seconds: float = 5.0
    by: str | None = None
    """`template`, `campaign`, `day`, `part` or an input column."""
    delivered: int | None = None
    """Delivered count given by the user (wins over delivery events)."""
    sent: int | None = None
    """Sent count; delivered = sent - bounced."""
    bounced: int | None = None
    """Bounced count for `sent`; defaults to the bounce events read."""
    unmatched_limit: int = 50
    """How many unmatched URLs to list."""
    progress: bool = False
    """Show a progress bar on stderr while the big queries run."""


@dataclass(frozen=True)
class Event:
    """One normalised event: a row of stage one's `events` table.

    Row-local bot signals (provider flag, scanner user agent) are folded into `bot` while
    normalising; signals that need other rows (timing, bursts, honeypots) are stage two.
    """

    type: str | None
    """click, open, delivered, bounce, unsubscribe, complaint, or the provider's own word."""
    recipient: int | None
    """64-bit hash of the lower-cased address: distinct counts without keeping addresses."""
    time: datetime | None
    """UTC, naive."""
    url: str | None
    """Clicked URL as the provider logged it."""
    message_id: int | None
    """Hash of the provider's message ID."""
    event_id: int | None
    """Hash of the provider's event ID (duplicates share it)."""
    bot: bool
    """Provider bot flag or a scanner user agent."""
    machine_open: bool | None
    """Machine (privacy-proxy) open; None when the provider does not say."""
    part: str | None
    """`html` or `text` when the provider says where the click came from."""
    campaign: str | None
    """Campaign/tag the provider recorded, for grouping non-click events."""
    template: str | None
    """Template the provider recorded, for grouping non-click events."""
    malformed: bool
    """The row lacks what counting needs (type, recipient, time; a click's URL)."""


@dataclass(frozen=True)
class Summary:
    """Totals over all CTAs (or one group): the accounting and the rates."""

    rows_read: int
    clicks_counted: int
    excluded: dict[str, int]
    """Rows excluded, by reason (`EXCLUSION_REASONS`, all present)."""
    counted: dict[str, int]
    """Rows counted, by event type: with `excluded` this adds up to `rows_read`."""
    flagged_bot: int
    """Counted clicks that bot signals point at (`--bots flag`; else 0)."""
    delivered: int | None
    unique_opens: int
    open_rate: float | None
    unique_clickers: int
    ctr: float | None
    ctor: float | None
    ctor_human: float | None
    unsubscribes: int
    unsubscribe_rate: float | None


@dataclass(frozen=True)
class CtaTotals:
    """Figures for one link-map entry."""

    id: str
    template: str
    text: str
    url: str
    role: str
    status: str
    total_clicks: int
    unique_clicks: int
    click_share: float | None
    ctr: float | None
    ctor: float | None


@dataclass(frozen=True)
class UnmatchedUrl:
    """A clicked URL no CTA could be found for."""

    url: str
    clicks: int


@dataclass(frozen=True)
class Group:
    """Figures for one value of `--by`."""

    key: str | None
    summary: Summary
    ctas: tuple[CtaTotals, ...]


@dataclass(frozen=True)
class Report:
    """The whole result of `ctamap report`."""

    summary: Summary
    ctas: tuple[CtaTotals, ...]
    unmatched: tuple[UnmatchedUrl, ...]
    by: str | None = None
    groups: tuple[Group, ...] = field(default=())
