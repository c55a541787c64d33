"""Records of the report pipeline: options in, normalised events, totals and the report out.

Every figure a user sees is a field here, so renderers and tests read the same names the
design uses (`total_clicks`, `ctor_human`, ...). Rates are `None` when their denominator is
unknown, never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

#: A table schema: (column, DuckDB type) pairs. Engines derive their DDL (or a Spark
#: `StructType`) from it; rows are always read by column name, never by position.
Schema = tuple[tuple[str, str], ...]

#: The normalised `events` table every provider reader produces (stage one). See `Event`.
EVENT_SCHEMA: Schema = (
    ("provider", "VARCHAR"),
    ("type", "VARCHAR"),
    ("recipient", "UBIGINT"),
    ("time", "TIMESTAMP"),
    ("url", "VARCHAR"),
    ("message_id", "UBIGINT"),
    ("event_id", "UBIGINT"),
    ("bot", "BOOLEAN"),
    ("machine_open", "BOOLEAN"),
    ("part", "VARCHAR"),
    ("campaign", "VARCHAR"),
    ("template", "VARCHAR"),
    ("by_value", "VARCHAR"),
    ("malformed", "BOOLEAN"),
)

#: The `links` table: one row per link-map entry.
LINK_SCHEMA: Schema = (
    ("id", "VARCHAR"),
    ("template", "VARCHAR"),
    ("text", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("role", "VARCHAR"),
    ("url", "VARCHAR"),
    ("tracked_url", "VARCHAR"),
    ("status", "VARCHAR"),
    ("campaign", "VARCHAR"),
    ("part", "VARCHAR"),
)


#: The catalogue's tables (`catalog.tables`): which emails there are and what each contains.
#: Emails are numbered (`email_names`): counting per email and recipient then groups on two
#: integers, not on a path string.
EMAIL_NAME_SCHEMA: Schema = (("email", "INTEGER"), ("name", "VARCHAR"))
EMAIL_ALIAS_SCHEMA: Schema = (("alias", "VARCHAR"), ("email", "INTEGER"))
LINK_EMAIL_SCHEMA: Schema = (("link_id", "VARCHAR"), ("email", "INTEGER"))
SCOPE_EMAIL_SCHEMA: Schema = (("scope", "VARCHAR"), ("email", "INTEGER"))


def column_names(schema: Schema) -> tuple[str, ...]:
    """The column names of a schema, in order."""
    return tuple(name for name, _ in schema)


def create_table(name: str, schema: Schema) -> str:
    """`CREATE OR REPLACE TABLE` for a schema (DuckDB dialect)."""
    columns = ", ".join(f"{column} {kind}" for column, kind in schema)
    return f"CREATE OR REPLACE TABLE {name} ({columns})"


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
    template_field: str = ""
    """Where each event names its email: a dotted path into JSON events, a CSV header.
    Empty: each provider's default (docs/providers)."""
    memory_limit: str = "1GB"
    """The process's memory budget (DuckDB gets it less a reserve, `engine.duckdb_limit`);
    beyond it, work spills to the system temp folder."""
    show_recipients: bool = False
    """Allow `--by` on a column that holds addresses."""
    twins: tuple[tuple[str, str], ...] = ()
    """Text templates of the link map and their HTML twin (`catalog.twins`, `[pairs]` rules
    included); without it, twins pair by the naming convention."""
    layouts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Layouts and partials among the link map's templates, each with the emails that use it
    (`catalog.composition` reads them from the template graph). A layout's links are sent in
    those emails; without this, every template that is not a text twin is an email."""
    engine: str = "duckdb"
    """Where stage two runs: `duckdb` (embedded) or `spark` (`report/engines`)."""
    master: str = "local[*]"
    """The Spark master URL (`--engine spark`)."""
    parquet_dir: str | None = None
    """`--output parquet`: the folder the report's tables are written to (`export`)."""


@dataclass(frozen=True)
class Event:
    """One normalised event: a row of stage one's `events` table.

    Row-local bot signals (provider flag, scanner user agent) are folded into `bot` while
    normalising; signals that need other rows (timing, bursts, honeypots) are stage two.
    """

    provider: str
    """The reader that produced the row (`sendgrid`, `ses`, `csv`, ...)."""
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
    """The email (template) the provider recorded for the event."""
    by_value: str | None
    """The value of the `--by COLUMN` input column, when one is asked for."""
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
    note: str | None = None
    """Why `ctr`/`ctor` are unknown (None), or who they leave out (clickers the provider put
    in emails without this CTA)."""
    part: str = "html"
    """`text` for a link of a text twin, else `html`."""
    emails: tuple[str, ...] = ()
    """The emails the link is sent in (a layout's link: every email that uses the layout);
    `ctr`/`ctor` divide by their deliveries and opens."""


@dataclass(frozen=True)
class EmailFigures:
    """One email's own figures: its deliveries, opens and clickers, and each of its CTAs'
    clicks over those deliveries and opens. Its HTML template, its text twin and the layouts
    it uses are one email (`templates`); a layout link's clicks count in the email they came
    from."""

    email: str
    """The link-map key of the email's HTML template; the provider's own name for an email
    the link map does not have."""
    in_link_map: bool
    templates: tuple[str, ...]
    """Link-map templates the email is made of: itself, its text twin, its layouts/partials."""
    summary: Summary
    """Rows, deliveries, opens, clickers and rates of this email's events only."""
    ctas: tuple[CtaTotals, ...]
    """Its CTAs (its own, its text twin's, its layouts'), clicked or not, with this email's
    figures."""
    note: str | None = None
    """Why the rates are unknown (None), when they are."""

    @property
    def delivered(self) -> int | None:
        return self.summary.delivered

    @property
    def unique_opens(self) -> int:
        return self.summary.unique_opens

    @property
    def unique_clickers(self) -> int:
        return self.summary.unique_clickers

    @property
    def ctr(self) -> float | None:
        return self.summary.ctr

    @property
    def ctor(self) -> float | None:
        return self.summary.ctor


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
    note: str | None = None
    """Why the group's rates are unknown (None), when they are."""


@dataclass(frozen=True)
class SourceNote:
    """What was read from one input file."""

    name: str
    reader: str
    """The provider reader used (`csv` for generic CSV, `empty` for a file with nothing)."""
    rows: int


@dataclass(frozen=True)
class Report:
    """The whole result of `ctamap report`."""

    summary: Summary
    ctas: tuple[CtaTotals, ...]
    unmatched: tuple[UnmatchedUrl, ...]
    by: str | None = None
    groups: tuple[Group, ...] = field(default=())
    first_event: datetime | None = None
    """Time of the earliest event read (UTC), None when there is none."""
    last_event: datetime | None = None
    sources: tuple[SourceNote, ...] = ()
    errors: tuple[str, ...] = ()
    """One line per input file that could not be read (exit code 2)."""
    emails: tuple[EmailFigures, ...] = ()
    """Per email, in key order; events whose email is unknown are in none of them."""
    unidentified: Summary | None = None
    """Figures of the events no email could be found for (None when there are none)."""
    notes: tuple[str, ...] = ()
    """What a reader of the figures must know (deliveries that name no email, ...)."""

    def with_inputs(self, sources: tuple[SourceNote, ...], errors: tuple[str, ...]) -> Report:
        """This report, with what was read from each file and what could not be."""
        return replace(self, sources=sources, errors=errors)
