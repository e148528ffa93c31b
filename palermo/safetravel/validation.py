"""Cleaning what a traveller typed about a trip or a contact, with translated messages per field.

Shared by the public pages and the API. Values may come from a form (strings) or JSON (any
type): every cleaner checks the type first. `clean_trip_input` and `clean_contact_input`
raise `palermo.errors.invalid(fields)` with every problem at once, or return clean values.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers
import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from palermo.errors import invalid

from . import rules

TRIP_TEXT_LIMITS: dict[str, int] = {
    "destination_city": 120,
    "employer": 200,
    "recruiter": 200,
    "address_abroad": 300,
    "travel_mode": 120,
    "notes": 1000,
}
TRIP_FIELDS = (
    "destination_country",
    "destination_city",
    "start_date",
    "end_date",
    "employer",
    "recruiter",
    "address_abroad",
    "travel_mode",
    "notes",
    "schedule_kind",
    "interval_hours",
    "fixed_times",
    "grace_minutes",
    "is_test",
)
CONTACT_FIELDS = ("name", "phone", "email", "language")
NAME_MAX = 120
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_JOINERS = {"\u200c", "\u200d"}


class Refused(Exception):
    """One field's value is refused; the message is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def country_name(code: str | None) -> str:
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    return str(country.name) if country is not None else code


def clean_text(value: Any, limit: int, *, multiline: bool = False) -> str:
    """A stripped NFC string; refuses other types, overlong text and control characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(_("Enter text."))
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > limit:
        raise Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(value)}
        )
    allowed = {"\n", "\r", "\t"} if multiline else set()
    if any(
        unicodedata.category(c) in _REFUSED_CATEGORIES and c not in _JOINERS | allowed
        for c in value
    ):
        raise Refused(_("Remove the control or invisible characters from this field."))
    return value


def clean_phone(value: Any, default_region: str | None = None) -> str:
    """E.164 ('+380671234567') of a possible phone number."""
    text = clean_text(value, 40)
    message = _("Enter a phone number with its country code, like +380 67 123 4567.")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise Refused(message) from exc
    if not phonenumbers.is_possible_number(number):
        raise Refused(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_email(value: Any) -> str:
    text = clean_text(value, 254)
    try:
        validate_email(text)
    except ValidationError as exc:
        raise Refused(_("Enter a valid email address, like name@example.org.")) from exc
    return text.lower()


def clean_language(value: Any) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if not isinstance(value, str) or value.strip().lower() not in codes:
        raise Refused(_("Choose one of the listed languages."))
    return value.strip().lower()


def clean_time_zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or not rules.is_time_zone(value.strip()):
        raise Refused(_("Choose a time zone from the list, like Europe/Chisinau."))
    return value.strip()


def _clean_country(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise Refused(_("Choose the country from the list."))
    if pycountry.countries.get(alpha_2=code) is None:
        raise Refused(_("Choose the country from the list."))
    return code


def _clean_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        raise Refused(_("Enter a date as YYYY-MM-DD."))
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise Refused(_("Enter a date as YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Refused(_("Enter a date as YYYY-MM-DD.")) from exc


def _clean_whole(value: Any, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    message = _("Enter a whole number between %(low)d and %(high)d.") % {"low": low, "high": high}
    if isinstance(value, bool):
        raise Refused(message)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 5):
            raise Refused(message)
        number = int(text)
    elif isinstance(value, int):
        number = value
    else:
        raise Refused(message)
    if not low <= number <= high:
        raise Refused(message)
    return number


def _clean_fixed_times(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        items = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise Refused(_("Enter times of day as HH:MM, separated by commas."))
    times = []
    for item in items:
        if not isinstance(item, str) or rules.parse_fixed_time(item) is None:
            raise Refused(_("Enter times of day as HH:MM (24-hour clock), like 08:00, 20:00."))
        times.append(item.strip())
    if len(times) > rules.MAX_FIXED_TIMES:
        raise Refused(_("Give at most %(max)d times a day.") % {"max": rules.MAX_FIXED_TIMES})
    if len(set(times)) != len(times):
        raise Refused(_("Each time may appear only once."))
    return sorted(times)


def _clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise Refused(_("Answer yes or no."))


def grace_bounds() -> tuple[int, int]:
    """The grace periods a trip may choose, in minutes: after the second reminder, at most a
    day."""
    ladder: Mapping[str, int] = settings.PALERMO_TRAVEL_LADDER_MINUTES
    low = int(ladder.get("second_reminder", rules.DEFAULT_LADDER_MINUTES["second_reminder"])) + 15
    return low, rules.GRACE_MINUTES_MAX


def clean_trip_input(
    data: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The trip fields present in `data`, cleaned; `current` holds the stored values, for
    checks across fields on a partial update. Raises invalid(fields) with every problem."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    text_limits = TRIP_TEXT_LIMITS
    cleaners: dict[str, Callable[[Any], Any]] = {
        "destination_country": _clean_country,
        "start_date": _clean_date,
        "end_date": _clean_date,
        "schedule_kind": _clean_schedule_kind,
        "interval_hours": lambda v: _clean_whole(v, *rules.INTERVAL_HOURS_BOUNDS),
        "fixed_times": _clean_fixed_times,
        "grace_minutes": lambda v: _clean_whole(v, *grace_bounds()),
        "is_test": _clean_bool,
    }
    for name in TRIP_FIELDS:
        if name not in data:
            continue
        try:
            if name in text_limits:
                cleaned[name] = clean_text(data[name], text_limits[name], multiline=name == "notes")
            else:
                cleaned[name] = cleaners[name](data[name])
        except Refused as exc:
            errors[name] = [exc.message]
    merged = {**(current or {}), **cleaned}
    if "destination_country" not in errors and not merged.get("destination_country"):
        errors["destination_country"] = [_("Choose the country you are going to.")]
    if "destination_city" not in errors and not merged.get("destination_city"):
        errors["destination_city"] = [_("Enter the city or town you are going to.")]
    start, end = merged.get("start_date"), merged.get("end_date")
    if start and end and end < start and "end_date" not in errors:
        errors["end_date"] = [_("The return date must not be before the departure date.")]
    kind = merged.get("schedule_kind") or "interval"
    if "schedule_kind" not in errors:
        if (
            kind == "interval"
            and not merged.get("interval_hours")
            and "interval_hours" not in errors
        ):
            errors["interval_hours"] = [_("Say every how many hours you will check in.")]
        if kind == "fixed_times" and not merged.get("fixed_times") and "fixed_times" not in errors:
            errors["fixed_times"] = [_("Give at least one time of day to check in.")]
    if errors:
        raise invalid(errors)
    return cleaned


def _clean_schedule_kind(value: Any) -> str:
    if value not in ("interval", "fixed_times"):
        raise Refused(_("Choose one of the listed options."))
    return str(value)


def clean_contact_input(
    data: Mapping[str, Any], *, default_region: str | None = None
) -> dict[str, Any]:
    """A trusted contact: a name, a phone and/or an email, a language."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    try:
        cleaned["name"] = clean_text(data.get("name"), NAME_MAX)
        if not cleaned["name"]:
            errors["name"] = [_("Enter the contact's name.")]
    except Refused as exc:
        errors["name"] = [exc.message]
    for name, cleaner in (
        ("phone", lambda v: clean_phone(v, default_region)),
        ("email", clean_email),
    ):
        value = data.get(name)
        if value in (None, ""):
            cleaned[name] = ""
            continue
        try:
            cleaned[name] = cleaner(value)
        except Refused as exc:
            errors[name] = [exc.message]
    if not errors.get("phone") and not errors.get("email"):
        if not cleaned.get("phone") and not cleaned.get("email"):
            errors["phone"] = [_("Give a phone number or an email address (or both).")]
    try:
        cleaned["language"] = clean_language(data.get("language") or settings.LANGUAGE_CODE)
    except Refused as exc:
        errors["language"] = [exc.message]
    if errors:
        raise invalid(errors)
    return cleaned
