"""Intake statistics: how many contacts, by day, channel, category, language, number or campaign.

Counts only: no row says anything about a person. A hotline's own staff see their
organisation's exact counts; the national coordinator sees the whole coalition's, with cells
of fewer than three contacts withheld (the counting convention of published figures), so no
one can be singled out by a rare combination. Six queries, however many contacts there are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm, Role

from .access import require_permission
from .models import Category, Contact, ContactChannel

SMALL_CELL = 3
MAX_DAYS = 366
DEFAULT_DAYS = 30
CHART_WIDTH = 100  # per cent of the chart's width, the longest bar


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int | None  # None: withheld (fewer than SMALL_CELL)
    width: float  # the bar, as a share of CHART_WIDTH

    @property
    def shown(self) -> str:
        return str(self.count) if self.count is not None else f"<{SMALL_CELL}"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Statistics:
    date_from: datetime.date
    date_to: datetime.date
    total: int | None
    coalition_wide: bool
    suppressed: bool
    tables: list[Table]


def _scope(actor: Actor) -> tuple[QuerySet[Contact], bool]:
    """Every organisation's contacts for the national coordinator, else the actor's own."""
    if actor.role == Role.NATIONAL_COORDINATOR:
        return Contact.objects.all(), True
    return Contact.objects.filter(owner_organisation=actor.organisation), False


def _rows(counts: Iterable[tuple[Any, int]], labels: dict[str, str], suppress: bool) -> list[Row]:
    items = [(str(key) if key is not None else "", count) for key, count in counts]
    largest = max((count for _key, count in items), default=0) or 1
    rows = []
    for key, count in items:
        hidden = suppress and count < SMALL_CELL
        rows.append(
            Row(
                key=key,
                label=labels.get(key, key) or _("not recorded"),
                count=None if hidden else count,
                width=0.0 if hidden else round(CHART_WIDTH * count / largest, 1),
            )
        )
    return rows


def default_range(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_DAYS - 1), today


def intake_statistics(
    *, actor: Actor, date_from: datetime.date, date_to: datetime.date
) -> Statistics:
    """The counts of contacts that arrived between the two dates (inclusive)."""
    require_permission(actor, Perm.INTAKE_STATISTICS)
    contacts, coalition_wide = _scope(actor)
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=datetime.UTC)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    contacts = contacts.filter(received_at__gte=start, received_at__lt=end)
    suppress = coalition_wide

    def grouped(*fields: str) -> list[tuple[Any, ...]]:
        return list(
            contacts.order_by().values_list(*fields).annotate(n=Count("id")).order_by("-n", *fields)
        )

    by_day = list(
        contacts.order_by()
        .annotate(day=TruncDate("received_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    by_channel = grouped("channel")
    by_category = grouped("category")
    by_language = grouped("language")
    by_source = grouped("campaign__name", "via_number")
    total = sum(n for _day, n in by_day)

    languages = {code: code for code, _n in by_language}
    sources = []
    for campaign, number, n in by_source:
        label = " · ".join(filter(None, [campaign or "", number or ""])) or _(
            "no number or campaign"
        )
        sources.append((label, n))
    tables = [
        Table(
            "day",
            _("By day"),
            _rows(((d.isoformat() if d else "", n) for d, n in by_day), {}, suppress),
        ),
        Table(
            "channel",
            _("By channel"),
            _rows(by_channel, {k: str(v) for k, v in ContactChannel.choices}, suppress),
        ),
        Table(
            "category",
            _("By category"),
            _rows(by_category, {k: str(v) for k, v in Category.choices}, suppress),
        ),
        Table("language", _("By language"), _rows(by_language, languages, suppress)),
        Table("source", _("By number or campaign"), _rows(sources, {}, suppress)),
    ]
    return Statistics(
        date_from=date_from,
        date_to=date_to,
        total=None if suppress and total < SMALL_CELL else total,
        coalition_wide=coalition_wide,
        suppressed=suppress,
        tables=tables,
    )


def parse_range(
    date_from: str | None, date_to: str | None
) -> tuple[datetime.date, datetime.date, dict[str, list[str]]]:
    """The requested range, or the last 30 days; errors per field for bad dates."""
    default_from, default_to = default_range()
    errors: dict[str, list[str]] = {}

    def parse(value: str | None, name: str, default: datetime.date) -> datetime.date:
        if not value:
            return default
        try:
            if len(value) != 10:
                raise ValueError
            return datetime.date.fromisoformat(value)
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
            return default

    start = parse(date_from, "from", default_from)
    end = parse(date_to, "to", default_to)
    if not errors and start > end:
        errors["to"] = [_("The end of the range must not be before its start.")]
    if not errors and (end - start).days >= MAX_DAYS:
        errors["to"] = [_("Choose a range of at most a year.")]
    if errors:
        return default_from, default_to, errors
    return start, end, errors
