"""Cleaning what a user typed about a person, with translated messages per field.

Shared by the pages and the API, so both refuse the same input with the same words.
"""

from __future__ import annotations

import datetime
import unicodedata
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
MAX_TEXT = 200
_TEXT_FIELDS = {
    "salutation": 40, "first_name": 100, "middle_name": 100, "second_name": 100,
    "identity_number": 40, "title": 100, "mailing_street": MAX_TEXT, "mailing_city": 100,
    "mailing_state": 100, "mailing_postal_code": 20,
}


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cf"} and c not in "\t" for c in text)


def _country(code: str) -> str | None:
    code = code.strip().upper()
    return code if len(code) == 2 and pycountry.countries.get(alpha_2=code) else None


def _language(code: str) -> str | None:
    code = code.strip().lower()
    if len(code) == 2 and pycountry.languages.get(alpha_2=code):
        return code
    if len(code) == 3 and pycountry.languages.get(alpha_3=code):
        return code
    return None


def clean_person_input(data: dict[str, Any], *, default_region: str | None) -> dict[str, Any]:
    """Validate and normalise submitted person fields; raise ApplicationError listing each bad one.

    Only keys present in `data` are cleaned and returned, so partial updates stay partial.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    for name in unknown:
        errors[name] = [_("This field is not part of a person record.")]

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, value in data.items():
        if name in unknown:
            continue
        if isinstance(value, str):
            value = value.strip()
            if _has_control_characters(value):
                fail(name, _("Remove the control characters from this field."))
                continue
        if value in (None, "") and name not in ("citizenship", "deceased"):
            cleaned[name] = None if name in PERSONAL_FIELDS or name == "number_of_children" else ""
            continue
        if name in _TEXT_FIELDS:
            if not isinstance(value, str):
                fail(name, _("Enter text."))
            elif len(value) > _TEXT_FIELDS[name]:
                fail(name, _("Use at most %(max)d characters.") % {"max": _TEXT_FIELDS[name]})
            else:
                cleaned[name] = value
        elif name == "birthdate":
            try:
                date = value if isinstance(value, datetime.date) else (
                    datetime.date.fromisoformat(str(value)))
            except ValueError:
                fail(name, _("Enter a date as YYYY-MM-DD."))
                continue
            if date > timezone.localdate():
                fail(name, _("The date of birth cannot be in the future."))
            elif date.year < 1900:
                fail(name, _("Enter a date of birth after 1900."))
            else:
                cleaned[name] = date
        elif name == "email":
            try:
                if len(str(value)) > 254:
                    raise ValidationError("too long")
                validate_email(str(value))
                cleaned[name] = str(value).lower()
            except ValidationError:
                fail(name, _("Enter a valid email address."))
        elif name in ("home_phone", "mobile_phone"):
            try:
                number = phonenumbers.parse(str(value)[:40], default_region)
                if not phonenumbers.is_possible_number(number):
                    raise phonenumbers.NumberParseException(0, "impossible")
                cleaned[name] = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
            except phonenumbers.NumberParseException:
                fail(name, _("Enter a phone number with its country code, like +380 67 123 4567."))
        elif name == "mailing_country":
            country = _country(str(value))
            if country:
                cleaned[name] = country
            else:
                fail(name, _("Enter a two-letter ISO country code, like UA or MD."))
        elif name in ("mailing_latitude", "mailing_longitude"):
            limit = 90 if name == "mailing_latitude" else 180
            try:
                number = Decimal(str(value))
                if not number.is_finite() or abs(number) > limit:
                    raise InvalidOperation
                cleaned[name] = number.quantize(Decimal("0.000001"))
            except InvalidOperation:
                fail(name, _("Enter a number between -%(limit)d and %(limit)d.") % {"limit": limit})
        elif name == "gender":
            if value in Gender.values:
                cleaned[name] = value
            else:
                fail(name, _("Choose one of the listed options."))
        elif name == "marital_status":
            if value in MaritalStatus.values:
                cleaned[name] = value
            else:
                fail(name, _("Choose one of the listed options."))
        elif name == "highest_education":
            if value in Education.values:
                cleaned[name] = value
            else:
                fail(name, _("Choose one of the listed options."))
        elif name == "number_of_children":
            try:
                count = int(value)
                if isinstance(value, bool) or not 0 <= count <= 30:
                    raise ValueError
                cleaned[name] = count
            except (TypeError, ValueError):
                fail(name, _("Enter a whole number between 0 and 30."))
        elif name in ("primary_language", "secondary_language"):
            language = _language(str(value))
            if language:
                cleaned[name] = language
            else:
                fail(name, _("Enter an ISO 639 language code, like uk or ro."))
        elif name == "citizenship":
            items = value if isinstance(value, list) else [
                part for part in str(value or "").replace(";", ",").split(",") if part.strip()
            ]
            countries = [_country(str(item)) for item in items[:10]]
            if len(items) > 10 or not all(countries):
                fail(name, _("Enter up to ten two-letter ISO country codes, separated by commas."))
            else:
                cleaned[name] = sorted(set(c for c in countries if c))
        elif name == "deceased":
            if isinstance(value, bool):
                cleaned[name] = value
            elif str(value).lower() in {"on", "true", "1"}:
                cleaned[name] = True
            elif str(value).lower() in {"", "off", "false", "0", "none"}:
                cleaned[name] = False
            else:
                fail(name, _("Answer yes or no."))
    if errors:
        raise invalid(errors)
    return cleaned


def require_a_name(values: dict[str, Any]) -> None:
    if not (values.get("first_name") or values.get("second_name")):
        raise ApplicationError(
            _("Give at least a first or a last name; an alias or a nickname is fine."),
            code="invalid",
            fields={"first_name": [_("Give a first or a last name.")]},
        )
