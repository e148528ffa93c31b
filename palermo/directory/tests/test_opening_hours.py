"""Opening hours: the form's text per weekday and the API's stored shape."""

from __future__ import annotations

import pytest

from palermo.directory.opening_hours import HoursError, clean_hours, is_open_at, parse_day


def test_a_day_with_two_intervals_is_parsed_and_sorted() -> None:
    assert parse_day("14:00-17:00, 9.00–13:00") == [["09:00", "13:00"], ["14:00", "17:00"]]
    assert parse_day("  ") == []
    assert parse_day("00:00-24:00") == [["00:00", "24:00"]]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("17:00-09:00", "reversed"),
        ("09:00-09:00", "reversed"),
        ("09:00-13:00, 12:00-15:00", "overlap"),
        ("25:00-26:00", "bad_time"),
        ("24:30-24:45", "bad_time"),
        ("09:60-10:00", "bad_time"),
        ("nine to five", "bad_format"),
        ("<script>alert(1)</script>", "bad_format"),
        ("1-2,3-4,5-6,7-8,9-10", "bad_time"),
        ("01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00", "too_many"),
    ],
)
def test_bad_days_are_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(HoursError) as refused:
        parse_day(text)
    assert refused.value.code == code


def test_stored_shape_is_checked_and_ordered_by_weekday() -> None:
    hours = clean_hours({"sun": [["10:00", "12:00"]], "mon": [["09:00", "17:00"]], "tue": []})
    assert list(hours) == ["mon", "sun"]
    for bad, code in [
        ([], "bad_shape"),
        ({"funday": [["09:00", "10:00"]]}, "bad_day"),
        ({"mon": "09:00-17:00"}, "bad_shape"),
        ({"mon": [["09:00"]]}, "bad_shape"),
        ({"mon": [[9, 17]]}, "bad_shape"),
        ({"mon": [["17:00", "09:00"]]}, "reversed"),
    ]:
        with pytest.raises(HoursError) as refused:
            clean_hours(bad)
        assert refused.value.code == code


def test_is_open_at() -> None:
    hours = {"mon": [["09:00", "13:00"]]}
    assert is_open_at(hours, 0, 9 * 60)
    assert not is_open_at(hours, 0, 13 * 60)
    assert not is_open_at(hours, 1, 10 * 60)
