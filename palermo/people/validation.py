"""Cleaning what a user typed about a person, with translated messages per field.

Shared by the pages and the API, so both refuse the same input with the same words. Values
may come from a form (always strings) or from JSON (any type), so every cleaner checks the
type before anything else and never lets an unexpected value through as `str(value)`.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.errors import ApplicationError, invalid

from .field_groups import DEMOGRAPHIC_FIELDS, PERSONAL_FIELDS
from .models import Education, Gender, MaritalStatus

EDITABLE_FIELDS = PERSONAL_FIELDS + DEMOGRAPHIC_FIELDS

# The longest value each text-like field accepts, in characters (the forms use the same).
MAX_LENGTHS: dict[str, int] = {
    "salutation": 40,
    "first_name": 100,
    "middle_name": 100,
    "second_name": 100,
    "identity_number": 40,
    "title": 100,
    "email": 254,
    "home_phone": 40,
    "mobile_phone": 40,
    "mailing_street": 200,
    "mailing_city": 100,
    "mailing_state": 100,
    "mailing_postal_code": 20,
    "mailing_country": 2,
    "mailing_latitude": 20,
    "mailing_longitude": 20,
    "primary_language": 3,
    "secondary_language": 3,
    "citizenship": 60,
}
MAX_CITIZENSHIPS = 10
MAX_CHILDREN = 30
EARLIEST_BIRTH_YEAR = 1900
_PLAIN_TEXT_FIELDS = (
    "salutation",
    "first_name",
    "middle_name",
    "second_name",
    "identity_number",
    "title",
    "mailing_street",
    "mailing_city",
    "mailing_state",
    "mailing_postal_code",
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Joiners are part of how Devanagari, Persian and other scripts write names; keep them.
_ALLOWED_FORMAT_CHARACTERS = {"\u200c", "\u200d"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


class _Refused(Exception):
    """One field's value is refused; the message is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any, name: str) -> str:
    """A submitted string, stripped and in NFC; refuses other types, overlong text and controls."""
    if not isinstance(value, str):
        raise _Refused(_("Enter text."))
    value = unicodedata.normalize("NFC", value.strip())
    limit = MAX_LENGTHS[name]
    if len(value) > limit:
        raise _Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(value)}
        )
    if any(
        unicodedata.category(c) in _REFUSED_CATEGORIES and c not in _ALLOWED_FORMAT_CHARACTERS
        for c in value
    ):
        raise _Refused(_("Remove the control or invisible characters from this field."))
    return value


def _country(code: str) -> str | None:
    code = code.strip().upper()
    if len(code) == 2 and code.isascii() and code.isalpha():
        return code if pycountry.countries.get(alpha_2=code) else None
    return None


def _clean_plain_text(value: Any, name: str) -> str:
    return _text(value, name)


def _clean_birthdate(value: Any, name: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise _Refused(_("Enter a date as YYYY-MM-DD."))
    if isinstance(value, datetime.date):
        date = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            date = datetime.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Refused(_("This date does not exist: check the day and month.")) from exc
    else:
        raise _Refused(_("Enter a date as YYYY-MM-DD."))
    if date > timezone.localdate():
        raise _Refused(_("The date of birth cannot be in the future."))
    if date.year < EARLIEST_BIRTH_YEAR:
        raise _Refused(_("Enter a date of birth after %(year)d.") % {"year": EARLIEST_BIRTH_YEAR})
    return date


def _clean_email(value: Any, name: str) -> str:
    text = _text(value, name)
    try:
        validate_email(text)
    except ValidationError as exc:
        raise _Refused(_("Enter a valid email address, like name@example.org.")) from exc
    return text.lower()


def _phone_cleaner(default_region: str | None) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        text = _text(value, name)
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException as exc:
            raise _Refused(
                _("Enter a phone number with its country code, like +380 67 123 4567.")
            ) from exc
        if not phonenumbers.is_possible_number(number):
            raise _Refused(_("Enter a phone number with its country code, like +380 67 123 4567."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return clean


def _clean_country(value: Any, name: str) -> str:
    country = _country(value) if isinstance(value, str) else None
    if country is None:
        raise _Refused(_("Enter a two-letter ISO country code, like UA or MD."))
    return country


def _coordinate_cleaner(limit: int) -> Callable[[Any, str], Decimal]:
    def clean(value: Any, name: str) -> Decimal:
        message = _("Enter a number between -%(limit)d and %(limit)d.") % {"limit": limit}
        if isinstance(value, bool):
            raise _Refused(message)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused(message)
        if isinstance(value, str):
            value = _text(value, name)
        elif not isinstance(value, int | float | Decimal):
            raise _Refused(message)
        try:
            number = Decimal(str(value))
            if not number.is_finite() or abs(number) > limit:
                raise _Refused(message)
            return number.quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError) as exc:  # ValueError: int too long to print
            raise _Refused(message) from exc

    return clean


def _choice_cleaner(values: list[str]) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in values:
            raise _Refused(_("Choose one of the listed options."))
        return value

    return clean


def _clean_number_of_children(value: Any, name: str) -> int:
    message = _("Enter a whole number between 0 and %(max)d.") % {"max": MAX_CHILDREN}
    if isinstance(value, bool):
        raise _Refused(message)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise _Refused(message)
        count = int(text)
    elif isinstance(value, int):
        count = value
    else:
        raise _Refused(message)
    if not 0 <= count <= MAX_CHILDREN:
        raise _Refused(message)
    return count


def _clean_language(value: Any, name: str) -> str:
    message = _("Enter an ISO 639 language code, like uk or ro.")
    if not isinstance(value, str):
        raise _Refused(message)
    code = value.strip().lower()
    if not (code.isascii() and code.isalpha()):
        raise _Refused(message)
    if len(code) == 2 and pycountry.languages.get(alpha_2=code):
        return code
    if len(code) == 3 and pycountry.languages.get(alpha_3=code):
        return code
    raise _Refused(message)


def _clean_citizenship(value: Any, name: str) -> list[str]:
    message = _("Enter up to ten two-letter ISO country codes, separated by commas.")
    if isinstance(value, str):
        items: list[Any] = [p for p in _text(value, name).replace(";", ",").split(",") if p.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise _Refused(message)
    if len(items) > MAX_CITIZENSHIPS:
        raise _Refused(message)
    countries = [_country(item) if isinstance(item, str) else None for item in items]
    if not all(countries):
        raise _Refused(message)
    return sorted({c for c in countries if c})


def _clean_deceased(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"on", "true", "1"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"off", "false", "0"}:
        return False
    raise _Refused(_("Answer yes or no."))


# What an empty value (None or blank text) means for each field that is not personal.
_EMPTY_DEMOGRAPHIC: dict[str, Any] = {
    "gender": Gender.UNKNOWN.value,
    "marital_status": "",
    "number_of_children": None,
    "primary_language": "",
    "secondary_language": "",
    "highest_education": "",
    "citizenship": [],
    "deceased": False,
}


def _cleaners(default_region: str | None) -> dict[str, Callable[[Any, str], Any]]:
    phone = _phone_cleaner(default_region)
    return {
        **dict.fromkeys(_PLAIN_TEXT_FIELDS, _clean_plain_text),
        "birthdate": _clean_birthdate,
        "email": _clean_email,
        "home_phone": phone,
        "mobile_phone": phone,
        "mailing_country": _clean_country,
        "mailing_latitude": _coordinate_cleaner(90),
        "mailing_longitude": _coordinate_cleaner(180),
        "gender": _choice_cleaner(list(Gender.values)),
        "marital_status": _choice_cleaner(list(MaritalStatus.values)),
        "highest_education": _choice_cleaner(list(Education.values)),
        "number_of_children": _clean_number_of_children,
        "primary_language": _clean_language,
        "secondary_language": _clean_language,
        "citizenship": _clean_citizenship,
        "deceased": _clean_deceased,
    }


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_person_input(
    data: dict[str, Any],
    *,
    default_region: str | None,
    current_names: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate and normalise submitted person fields; raise ApplicationError listing each bad one.

    Only keys present in `data` are cleaned and returned, so partial updates stay partial.
    An empty value clears a personal field and resets a demographic one to "not recorded".
    The result must leave the person a first or a last name: `current_names` holds the
    stored ones on an update (None on a registration).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    cleaners = _cleaners(default_region)
    for name, value in data.items():
        if name not in cleaners:
            errors[name] = [_("This field is not part of a person record.")]
            continue
        if _is_empty(value):
            cleaned[name] = None if name in PERSONAL_FIELDS else _EMPTY_DEMOGRAPHIC[name]
            continue
        try:
            cleaned[name] = cleaners[name](value, name)
        except _Refused as refused:
            errors[name] = [refused.message]
    names = {**(current_names or {}), **cleaned}
    name_fields = ("first_name", "second_name")
    if not any(names.get(n) for n in name_fields) and not any(n in errors for n in name_fields):
        if not errors:
            raise ApplicationError(
                _("Give at least a first or a last name; an alias or a nickname is fine."),
                code="invalid",
                fields={"first_name": [_("Give a first or a last name.")]},
            )
        errors["first_name"] = [_("Give a first or a last name.")]
    if errors:
        raise invalid(errors)
    return cleaned
