"""Working-day arithmetic: examples, a public holiday, and properties over any calendar."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.cases.working_days import (
    CalendarError,
    WorkingCalendar,
    add_calendar_days,
)

MON = datetime.date(2026, 11, 23)  # a Monday


def test_five_working_days_from_a_monday_is_the_next_monday() -> None:
    assert WorkingCalendar().add_working_days(MON, 5) == datetime.date(2026, 11, 30)


def test_the_day_the_clock_starts_does_not_count_even_on_a_weekend() -> None:
    saturday = datetime.date(2026, 11, 28)
    assert WorkingCalendar().add_working_days(saturday, 1) == datetime.date(2026, 11, 30)
    assert WorkingCalendar().add_working_days(saturday, 5) == datetime.date(2026, 12, 4)


def test_zero_days_is_the_same_day_or_the_next_working_day() -> None:
    calendar = WorkingCalendar()
    assert calendar.add_working_days(MON, 0) == MON
    assert calendar.add_working_days(datetime.date(2026, 11, 29), 0) == datetime.date(2026, 11, 30)


def test_a_public_holiday_is_skipped() -> None:
    # England and Wales, Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    easter = frozenset({datetime.date(2026, 4, 3), datetime.date(2026, 4, 6)})
    calendar = WorkingCalendar(holidays=easter)
    thursday = datetime.date(2026, 4, 2)
    assert calendar.add_working_days(thursday, 5) == datetime.date(2026, 4, 13)
    assert WorkingCalendar().add_working_days(thursday, 5) == datetime.date(2026, 4, 9)
    assert calendar.working_days_between(thursday, datetime.date(2026, 4, 13)) == 5


def test_another_weekend() -> None:
    friday_saturday = WorkingCalendar(weekend=frozenset({4, 5}))
    thursday = datetime.date(2026, 11, 26)
    assert friday_saturday.add_working_days(thursday, 1) == datetime.date(2026, 11, 29)


def test_bad_calendars_and_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError):
        WorkingCalendar(weekend=frozenset({7}))
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(MON, -1)
    with pytest.raises(ValueError):
        add_calendar_days(MON, -1)
    everything = frozenset(MON + datetime.timedelta(days=n) for n in range(800))
    with pytest.raises(CalendarError):
        WorkingCalendar(holidays=everything).add_working_days(MON, 1)
    with pytest.raises(CalendarError):
        WorkingCalendar(holidays=everything).next_working_day(MON)


dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31))
weekends = st.frozensets(st.integers(0, 6), max_size=3)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    start = draw(dates)
    holidays = draw(
        st.frozensets(
            st.integers(0, 400).map(lambda n: start + datetime.timedelta(days=n)), max_size=40
        )
    )
    return WorkingCalendar(weekend=draw(weekends), holidays=holidays)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=dates, days=st.integers(0, 60))
def test_adding_working_days_lands_on_a_working_day_after_the_start(
    calendar: WorkingCalendar, start: datetime.date, days: int
) -> None:
    due = calendar.add_working_days(start, days)
    assert calendar.is_working_day(due)
    assert due >= start
    if days:
        assert due > start
        assert calendar.working_days_between(start, due) == days


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=dates, days=st.integers(0, 40), more=st.integers(0, 40))
def test_more_days_never_give_an_earlier_date(
    calendar: WorkingCalendar, start: datetime.date, days: int, more: int
) -> None:
    assert calendar.add_working_days(start, days) <= calendar.add_working_days(start, days + more)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=dates, later=st.integers(0, 30), days=st.integers(0, 30))
def test_a_later_start_never_gives_an_earlier_date(
    calendar: WorkingCalendar, start: datetime.date, later: int, days: int
) -> None:
    other = start + datetime.timedelta(days=later)
    assert calendar.add_working_days(start, days) <= calendar.add_working_days(other, days)


@settings(max_examples=100, deadline=None)
@given(start=dates, days=st.integers(1, 60))
def test_adding_one_at_a_time_is_adding_them_all(start: datetime.date, days: int) -> None:
    calendar = WorkingCalendar(holidays=frozenset({start + datetime.timedelta(days=3)}))
    step = start
    for _ in range(days):
        step = calendar.add_working_days(step, 1)
    assert step == calendar.add_working_days(start, days)
