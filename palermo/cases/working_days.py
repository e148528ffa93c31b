"""Working-day arithmetic: weekends and public holidays skipped. Pure (no Django import).

A deadline of "5 working days from the referral" means: count the working days after the
day of the referral, and the deadline is the fifth. The day the clock starts does not count,
whatever kind of day it is, so a referral on a Saturday is due on the Friday after.
"""

from __future__ import annotations

import datetime
from collections.abc import Container
from dataclasses import dataclass, field

# Monday is 0, Sunday 6 (datetime.date.weekday()).
SATURDAY, SUNDAY = 5, 6
# No calendar is allowed to make this many days in a row non-working: guards the loops
# against a calendar that has (by mistake) no working days at all.
MAX_GAP_DAYS = 366


class CalendarError(ValueError):
    """The calendar has no working day within MAX_GAP_DAYS of a date."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days: not a weekend day and not a holiday.

    `holidays` is any container of dates (a frozenset, or a `holidays` package calendar,
    which computes each year's holidays when first asked).
    """

    weekend: frozenset[int] = frozenset({SATURDAY, SUNDAY})
    holidays: Container[datetime.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.weekend <= frozenset(range(7)):
            raise ValueError("weekend days are 0 (Monday) to 6 (Sunday)")
        if len(self.weekend) >= 7:
            raise ValueError("a week needs at least one working day")

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """`day` itself if it is a working day, else the first working day after it."""
        for offset in range(MAX_GAP_DAYS + 1):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"no working day within {MAX_GAP_DAYS} days of {day.isoformat()}")

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The `days`-th working day after `start` (0: `start` or the next working day)."""
        if days < 0:
            raise ValueError("days must not be negative")
        if days == 0:
            return self.next_working_day(start)
        current = start
        remaining = days
        gap = 0
        while remaining:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
                gap = 0
            else:
                gap += 1
                if gap > MAX_GAP_DAYS:
                    raise CalendarError(
                        f"no working day within {MAX_GAP_DAYS} days of {current.isoformat()}"
                    )
        return current

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """How many working days lie after `start`, up to and including `end` (0 if end ≤ start)."""
        count = 0
        current = start
        while current < end:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def add_calendar_days(start: datetime.date, days: int) -> datetime.date:
    """`days` calendar days after `start` (for periods the law counts in calendar days)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return start + datetime.timedelta(days=days)
