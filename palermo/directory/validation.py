"""Cleaning what a user typed about providers and services, with translated messages per field.

Shared by the pages and the API, so both refuse the same input with the same words. Values come
from a form (strings, lists from checkboxes) or from JSON (any type): every cleaner checks the
type first and never lets an unexpected value through as `str(value)`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from palermo.accounts.models import OrganisationType
from palermo.errors import invalid
from palermo.people.models import Gender

from .models import ServiceType
from .opening_hours import WEEKDAYS, HoursError, clean_hours, parse_day

MAX_LENGTHS: dict[str, int] = {
    "name": 200,
    "phone": 32,
    "email": 254,
    "website": 300,
    "description": 2000,
    "admin_area": 120,
    "city": 120,
    "address": 300,
    "hours": 100,
}
MAX_LANGUAGES = 20
MAX_NATIONALITIES = 40
MAX_AGE = 120
MAX_CAPACITY = 100_000
SERVED_GENDERS = [g.value for g in Gender if g != Gender.UNKNOWN]

PROVIDER_FIELDS = ("name", "org_type", "country", "phone", "email", "website", "public")
SERVICE_FIELDS = (
    "service_type",
    "description",
    "languages",
    "genders",
    "min_age",
    "max_age",
    "nationalities",
    "capacity",
    "available_places",
    "opening_hours",
    "open_24_hours",
    "phone",
    "admin_area",
    "city",
    "latitude",
    "longitude",
    "address",
    "confidential_address",
    "active",
)
HOURS_FIELDS = tuple(f"hours_{day}" for day in WEEKDAYS)
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_FORMAT_CHARACTERS = {"\u200c", "\u200d"}
_MULTILINE_ALLOWED = {"\n", "\r", "\t"}


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any, name: str, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise _Refused(_("Enter text."))
    value = unicodedata.normalize("NFC", value.strip())
    limit = MAX_LENGTHS[name]
    if len(value) > limit:
        raise _Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(value)}
        )
    allowed = _ALLOWED_FORMAT_CHARACTERS | (_MULTILINE_ALLOWED if multiline else set())
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES and c not in allowed for c in value):
        raise _Refused(_("Remove the control or invisible characters from this field."))
    return value


def _required_text(value: Any, name: str) -> str:
    text = _text(value, name)
    if not text:
        raise _Refused(_("This field is required."))
    return text


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("on", "true", "1", "yes"):
        return True
    if isinstance(value, str) and value in ("", "off", "false", "0", "no"):
        return False
    raise _Refused(_("Answer true or false."))


def _choice(values: list[str]) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in values:
            raise _Refused(_("Choose one of the listed options."))
        return value

    return clean


def _country(value: Any, name: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if (
        len(code) == 2
        and code.isascii()
        and code.isalpha()
        and pycountry.countries.get(alpha_2=code)
    ):
        return code
    raise _Refused(_("Enter a two-letter ISO country code, like UA or MD."))


def _phone(value: Any, name: str) -> str:
    text = _text(value, name)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise _Refused(
            _("Enter a phone number with its country code, like +373 22 123 456.")
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise _Refused(_("Enter a phone number with its country code, like +373 22 123 456."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _email(value: Any, name: str) -> str:
    text = _text(value, name)
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError as exc:
        raise _Refused(_("Enter a valid email address, like name@example.org.")) from exc
    return text.lower()


def _website(value: Any, name: str) -> str:
    text = _text(value, name)
    if not text:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as exc:
        raise _Refused(_("Enter a web address starting with https://.")) from exc
    if urlsplit(text).scheme not in ("http", "https"):
        raise _Refused(_("Enter a web address starting with https://."))
    return text


def _items(value: Any) -> list[Any]:
    """A list from JSON, or from a form: a comma-separated string or repeated fields."""
    if isinstance(value, str):
        return [part for part in re.split(r"[,;\s]+", value) if part]
    if isinstance(value, list | tuple):
        return list(value)
    raise _Refused(_("Enter a list."))


def _languages(value: Any, name: str) -> list[str]:
    items = _items(value)
    if len(items) > MAX_LANGUAGES:
        raise _Refused(_("Give at most %(max)d items.") % {"max": MAX_LANGUAGES})
    codes: list[str] = []
    for item in items:
        code = item.strip().lower() if isinstance(item, str) else ""
        known = (len(code) == 2 and pycountry.languages.get(alpha_2=code)) or (
            len(code) == 3 and pycountry.languages.get(alpha_3=code)
        )
        if not code.isascii() or not known:
            raise _Refused(_("Enter ISO 639 language codes separated by commas, like ro, ru, uk."))
        if code not in codes:
            codes.append(code)
    return codes


def _nationalities(value: Any, name: str) -> list[str]:
    items = _items(value)
    if len(items) > MAX_NATIONALITIES:
        raise _Refused(_("Give at most %(max)d items.") % {"max": MAX_NATIONALITIES})
    codes: list[str] = []
    for item in items:
        try:
            code = _country(item, name)
        except _Refused as exc:
            raise _Refused(
                _("Enter two-letter ISO country codes separated by commas, like MD, UA.")
            ) from exc
        if code not in codes:
            codes.append(code)
    return sorted(codes)


def _genders(value: Any, name: str) -> list[str]:
    items = _items(value)
    if any(not isinstance(item, str) or item not in SERVED_GENDERS for item in items):
        raise _Refused(_("Choose one of the listed options."))
    return [g for g in SERVED_GENDERS if g in items]


def _whole_number(limit: int) -> Callable[[Any, str], int | None]:
    def clean(value: Any, name: str) -> int | None:
        message = _("Enter a whole number between 0 and %(max)d.") % {"max": limit}
        if value is None:
            return None
        if isinstance(value, bool):
            raise _Refused(message)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not text.isascii() or not text.isdigit() or len(text) > 7:
                raise _Refused(message)
            value = int(text)
        if not isinstance(value, int) or not 0 <= value <= limit:
            raise _Refused(message)
        return value

    return clean


def _coordinate(limit: int) -> Callable[[Any, str], Decimal | None]:
    def clean(value: Any, name: str) -> Decimal | None:
        message = _("Enter a number between -%(limit)d and %(limit)d.") % {"limit": limit}
        if value is None:
            return None
        if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
            raise _Refused(message)
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
            if not value:
                return None
            if len(value) > 20:
                raise _Refused(message)
        elif not isinstance(value, int | float | Decimal):
            raise _Refused(message)
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise _Refused(message) from exc
        if not number.is_finite() or abs(number) > limit:
            raise _Refused(message)
        return number.quantize(Decimal("0.00001"))

    return clean


def _description(value: Any, name: str) -> str:
    return _text(value, name, multiline=True)


def _optional_text(value: Any, name: str) -> str:
    return _text(value, name)


def _address(value: Any, name: str) -> str | None:
    if value is None:
        return None
    return _text(value, name, multiline=True) or None


_PROVIDER_CLEANERS: dict[str, Callable[[Any, str], Any]] = {
    "name": _required_text,
    "org_type": _choice([t.value for t in OrganisationType]),
    "country": _country,
    "phone": _phone,
    "email": _email,
    "website": _website,
    "public": _boolean,
}

_SERVICE_CLEANERS: dict[str, Callable[[Any, str], Any]] = {
    "service_type": _choice([t.value for t in ServiceType]),
    "description": _description,
    "languages": _languages,
    "genders": _genders,
    "min_age": _whole_number(MAX_AGE),
    "max_age": _whole_number(MAX_AGE),
    "nationalities": _nationalities,
    "capacity": _whole_number(MAX_CAPACITY),
    "available_places": _whole_number(MAX_CAPACITY),
    "open_24_hours": _boolean,
    "phone": _phone,
    "admin_area": _optional_text,
    "city": _optional_text,
    "latitude": _coordinate(90),
    "longitude": _coordinate(180),
    "address": _address,
    "confidential_address": _boolean,
    "active": _boolean,
}


def _hours_message(code: str) -> str:
    messages = {
        "bad_format": _("Write the hours like 09:00-13:00, 14:00-17:00, or leave empty if closed."),
        "bad_time": _("Use times from 00:00 to 24:00, like 09:30."),
        "reversed": _("Each interval must end after it starts."),
        "overlap": _("The intervals of one day must not overlap."),
        "too_many": _("Give at most 4 intervals a day."),
        "bad_day": _("Use the weekdays mon, tue, wed, thu, fri, sat and sun."),
        "bad_shape": _('Give the hours as {"mon": [["09:00", "17:00"]], …}.'),
    }
    return messages.get(code, messages["bad_format"])


def _clean_fields(
    data: Mapping[str, Any], cleaners: Mapping[str, Callable[[Any, str], Any]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        cleaner = cleaners.get(name)
        if cleaner is None:
            continue
        try:
            cleaned[name] = cleaner(value, name)
        except _Refused as exc:
            errors[name] = [exc.message]
    return cleaned, errors


def clean_provider_input(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The provider fields present in `data`, cleaned; ApplicationError (400) per field."""
    unknown = set(data) - set(PROVIDER_FIELDS) - {"organisation"}
    cleaned, errors = _clean_fields(data, _PROVIDER_CLEANERS)
    for name in sorted(unknown):
        errors[name] = [_("This field is not accepted here.")]
    if creating:
        for name in ("name", "org_type"):
            if name not in data and name not in errors:
                errors[name] = [_("This field is required.")]
    if errors:
        raise invalid(errors)
    return cleaned


def clean_service_input(
    data: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The service fields present in `data`, cleaned, checked together with `current`.

    `current`: the service's stored values (on a change), so that a range or a pair is checked
    whole even when only one end of it is sent. Opening hours come as `opening_hours` (the
    stored shape, from JSON) or as `hours_mon` … `hours_sun` texts (from the form).
    """
    unknown = set(data) - set(SERVICE_FIELDS) - set(HOURS_FIELDS)
    cleaned, errors = _clean_fields(data, _SERVICE_CLEANERS)
    for name in sorted(unknown):
        errors[name] = [_("This field is not accepted here.")]
    if current is None and "service_type" not in data and "service_type" not in errors:
        errors["service_type"] = [_("This field is required.")]
    if "opening_hours" in data:
        try:
            cleaned["opening_hours"] = clean_hours(data["opening_hours"])
        except HoursError as exc:
            errors["opening_hours"] = [_hours_message(exc.code)]
    elif any(name in data for name in HOURS_FIELDS):
        hours: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            text = data.get(f"hours_{day}", "")
            try:
                if not isinstance(text, str) or len(text) > MAX_LENGTHS["hours"]:
                    raise HoursError("bad_format")
                intervals = parse_day(text)
            except HoursError as exc:
                errors[f"hours_{day}"] = [_hours_message(exc.code)]
                continue
            if intervals:
                hours[day] = intervals
        cleaned["opening_hours"] = hours
    if not errors:
        _check_together(cleaned, dict(current or {}), errors)
    if errors:
        raise invalid(errors)
    return cleaned


def _check_together(
    cleaned: dict[str, Any], current: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    merged = {**current, **cleaned}
    low, high = merged.get("min_age"), merged.get("max_age")
    if low is not None and high is not None and low > high:
        errors["max_age"] = [_("The oldest age served must not be below the youngest.")]
    capacity, places = merged.get("capacity"), merged.get("available_places")
    if capacity is not None and places is not None and places > capacity:
        errors["available_places"] = [
            _("There cannot be more places available than the capacity (%(capacity)d).")
            % {"capacity": capacity}
        ]
    latitude, longitude = merged.get("latitude"), merged.get("longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = [_("Give both the latitude and the longitude, or neither.")]


def clean_availability(value: Any, capacity: int | None) -> int:
    """The quick "places available now" update: a whole number, at most the capacity."""
    try:
        places = _whole_number(MAX_CAPACITY)(value, "available_places")
    except _Refused as exc:
        raise invalid({"available_places": [exc.message]}) from exc
    if places is None:
        raise invalid({"available_places": [_("This field is required.")]})
    if capacity is not None and places > capacity:
        raise invalid(
            {
                "available_places": [
                    _("There cannot be more places available than the capacity (%(capacity)d).")
                    % {"capacity": capacity}
                ]
            }
        )
    return places


def _service_types(value: Any, name: str) -> list[str]:
    items = _items(value)
    allowed = [t.value for t in ServiceType]
    if any(not isinstance(item, str) or item not in allowed for item in items):
        raise _Refused(_("Choose one of the listed options."))
    return [t for t in allowed if t in items]


MATCH_FIELDS = ("needs", "latitude", "longitude", "area", "city", "places_now", "country")
SEARCH_FIELDS = (
    "country",
    "service_type",
    "area",
    "language",
    "gender",
    "age",
    "available_now",
    "q",
)


def _short_text(limit: int) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        if not isinstance(value, str):
            raise _Refused(_("Enter text."))
        text = unicodedata.normalize("NFC", value.strip())
        if len(text) > limit:
            raise _Refused(
                _("Use at most %(max)d characters (you entered %(length)d).")
                % {"max": limit, "length": len(text)}
            )
        if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
            raise _Refused(_("Remove the control or invisible characters from this field."))
        return text

    return clean


def _optional(cleaner: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def clean(value: Any, name: str) -> Any:
        if value is None or value == "":
            return None
        return cleaner(value, name)

    return clean


def _one_language(value: Any, name: str) -> str:
    codes = _languages(value, name)
    if len(codes) != 1:
        raise _Refused(_("Enter ISO 639 language codes separated by commas, like ro, ru, uk."))
    return codes[0]


_MATCH_CLEANERS: dict[str, Callable[[Any, str], Any]] = {
    "needs": _service_types,
    "latitude": _coordinate(90),
    "longitude": _coordinate(180),
    "area": _short_text(120),
    "city": _short_text(120),
    "places_now": _boolean,
    "country": _optional(_country),
}

_SEARCH_CLEANERS: dict[str, Callable[[Any, str], Any]] = {
    "country": _optional(_country),
    "service_type": _optional(_choice([t.value for t in ServiceType])),
    "area": _short_text(120),
    "language": _optional(_one_language),
    "gender": _optional(_choice(SERVED_GENDERS)),
    "age": _whole_number(MAX_AGE),
    "available_now": _boolean,
    "q": _short_text(100),
}


def clean_match_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """The matching form's needs and location; both coordinates or neither."""
    cleaned, errors = _clean_fields(data, _MATCH_CLEANERS)
    for name in sorted(set(data) - set(MATCH_FIELDS)):
        errors[name] = [_("This field is not accepted here.")]
    if not errors and (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
        missing = "longitude" if cleaned.get("longitude") is None else "latitude"
        errors[missing] = [_("Give both the latitude and the longitude, or neither.")]
    if errors:
        raise invalid(errors)
    return cleaned


def clean_search_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """The directory search filters (unknown names are ignored: they come from URLs)."""
    cleaned, errors = _clean_fields(
        {k: v for k, v in data.items() if k in SEARCH_FIELDS}, _SEARCH_CLEANERS
    )
    if errors:
        raise invalid(errors)
    return cleaned
