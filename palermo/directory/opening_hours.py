"""Opening hours: per weekday, up to a few intervals "HH:MM"–"HH:MM". Pure, no Django.

Stored as {"mon": [["09:00", "13:00"], ["14:00", "17:00"]], …}; a weekday left out is closed.
An interval ends after it starts (24:00 may end a day); the intervals of a day do not overlap.
Errors are codes (`HoursError.code`) that `validation.py` turns into translated messages.
"""

from __future__ import annotations

import re
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS = 4
_TIME = re.compile(r"([01]?[0-9]|2[0-4])[:.h]([0-5][0-9])")
_INTERVAL = re.compile(r"\s*(\S+?)\s*[-–—]\s*(\S+)\s*")


class HoursError(ValueError):
    """`code`: bad_format | bad_time | reversed | overlap | too_many | bad_day | bad_shape."""

    def __init__(self, code: str, day: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.day = day


def _minutes(text: str) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise HoursError("bad_time")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes != 0:
        raise HoursError("bad_time")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_day(intervals: list[tuple[int, int]]) -> list[list[str]]:
    if len(intervals) > MAX_INTERVALS:
        raise HoursError("too_many")
    for start, end in intervals:
        if start >= 24 * 60:
            raise HoursError("bad_time")
        if end <= start:
            raise HoursError("reversed")
    ordered = sorted(intervals)
    for (_s1, e1), (s2, _e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            raise HoursError("overlap")
    return [[_clock(s), _clock(e)] for s, e in ordered]


def parse_day(text: str) -> list[list[str]]:
    """ "09:00-13:00, 14:00-17:00" → [["09:00", "13:00"], ["14:00", "17:00"]]; "" → closed."""
    text = text.strip()
    if not text:
        return []
    intervals = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        match = _INTERVAL.fullmatch(part)
        if match is None:
            raise HoursError("bad_format")
        intervals.append((_minutes(match.group(1)), _minutes(match.group(2))))
    return _check_day(intervals)


def clean_hours(value: Any) -> dict[str, list[list[str]]]:
    """Checks stored-shape hours (from JSON); raises HoursError with the weekday concerned."""
    if not isinstance(value, dict):
        raise HoursError("bad_shape")
    cleaned: dict[str, list[list[str]]] = {}
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise HoursError("bad_day", str(day)[:10])
        if not isinstance(intervals, list):
            raise HoursError("bad_shape", day)
        pairs = []
        for interval in intervals:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) for t in interval)
            ):
                raise HoursError("bad_shape", day)
            try:
                pairs.append((_minutes(interval[0]), _minutes(interval[1])))
            except HoursError as exc:
                raise HoursError(exc.code, day) from exc
        try:
            checked = _check_day(pairs)
        except HoursError as exc:
            raise HoursError(exc.code, day) from exc
        if checked:
            cleaned[day] = checked
    return {day: cleaned[day] for day in WEEKDAYS if day in cleaned}


def day_text(hours: dict[str, list[list[str]]], day: str) -> str:
    """The form's text for one weekday: "09:00–13:00, 14:00–17:00"."""
    return ", ".join(f"{start}–{end}" for start, end in hours.get(day, []))


def is_open_at(hours: dict[str, list[list[str]]], weekday: int, minute_of_day: int) -> bool:
    """Open at this moment? `weekday` 0 = Monday (as datetime.weekday())."""
    for start, end in hours.get(WEEKDAYS[weekday], []):
        if _minutes(start) <= minute_of_day < _minutes(end):
            return True
    return False
