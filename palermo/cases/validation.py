"""Checking what people type into the case forms and the API: one translated message per field."""

from __future__ import annotations

from typing import Any

import pycountry
from django.utils.translation import gettext as _

from palermo.errors import invalid
from palermo.people.models import Gender

from .models import DecisionOutcome

MAX_REASON_LENGTH = 4000
MAX_SUMMARY_LENGTH = 4000
MAX_CONTACT_LENGTH = 200
MAX_USERNAME_LENGTH = 150


def clean_text(
    value: Any, field: str, *, max_length: int, required: bool = False, multiline: bool = True
) -> str:
    """Stripped text; ApplicationError (400) naming `field` when missing, too long or not text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid({field: [_("Enter text.")]})
    value = value.strip()
    if required and not value:
        raise invalid({field: [_("This field is required.")]})
    if len(value) > max_length:
        raise invalid({field: [_("Use at most %(max)d characters.") % {"max": max_length}]})
    allowed = {"\n", "\r", "\t"} if multiline else set()
    if "\x00" in value or any(ord(c) < 32 and c not in allowed for c in value):
        raise invalid({field: [_("Remove the control characters from this text.")]})
    return value


def clean_outcome(value: Any) -> str:
    if value not in DecisionOutcome.values:
        raise invalid({"outcome": [_("Choose positive or negative.")]})
    return str(value)


def clean_choice(value: Any, field: str, choices: list[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise invalid({field: [_("Choose one of the listed options.")]})
    return value


def clean_gender(value: Any) -> str:
    return clean_choice(value, "gender", Gender.values)


def clean_nationality(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code, upper-case; empty when not known."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value.strip()) != 2:
        raise invalid({"nationality": [_("Enter a two-letter country code, such as MD or UA.")]})
    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise invalid({"nationality": [_("Enter a two-letter country code, such as MD or UA.")]})
    return code
