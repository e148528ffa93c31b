"""Cleaning what an operator or a tipster typed, with translated messages per field.

Shared by the pages and the API (and the public tip form), so all refuse the same input with
the same words. Values come from forms (strings) or JSON (any type): every cleaner checks the
type first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from palermo.errors import invalid

from .models import CallerType, Category, ContactChannel, EscalationBasis, PersonRole, Urgency

MAX_LENGTHS: dict[str, int] = {
    "narrative": 20000,
    "location_text": 500,
    "occurred_text": 200,
    "reporter_name": 200,
    "reporter_phone": 40,
    "reporter_email": 254,
    "via_number": 40,
    "language": 3,
    "note": 2000,
    "summary": 2000,
    "follow_up": 20000,
}
CONTACT_FIELDS = (
    "channel",
    "caller_type",
    "language",
    "category",
    "urgency",
    "narrative",
    "location_text",
    "occurred_text",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "via_number",
    "campaign",
)
# Joiners are part of how Devanagari and other scripts write words; line breaks and tabs are
# part of a narrative. Every other control or invisible character is refused.
_ALLOWED_SPECIAL = {"\u200c", "\u200d", "\n", "\r", "\t"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


class Refused(Exception):
    """One field's value is refused; the message is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_text(value: Any, name: str) -> str:
    """Stripped, NFC text within the field's length, without control characters."""
    if not isinstance(value, str):
        raise Refused(_("Enter text."))
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").strip())
    limit = MAX_LENGTHS[name]
    if len(value) > limit:
        raise Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(value)}
        )
    if any(
        unicodedata.category(c) in _REFUSED_CATEGORIES and c not in _ALLOWED_SPECIAL for c in value
    ):
        raise Refused(_("Remove the control or invisible characters from this field."))
    return value


def _choice(values: list[str]) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in values:
            raise Refused(_("Choose one of the listed options."))
        return value

    return clean


def clean_urgency(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise Refused(_("Choose one of the listed options."))
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 1:
        value = int(value.strip())
    if not isinstance(value, int) or value not in Urgency.values:
        raise Refused(_("Choose one of the listed options."))
    return value


def clean_language(value: Any, name: str) -> str:
    message = _("Enter an ISO 639 language code, like uk or ro.")
    if not isinstance(value, str):
        raise Refused(message)
    code = value.strip().lower()
    if not (code.isascii() and code.isalpha()):
        raise Refused(message)
    if len(code) == 2 and pycountry.languages.get(alpha_2=code):
        return code
    if len(code) == 3 and pycountry.languages.get(alpha_3=code):
        return code
    raise Refused(message)


def clean_email(value: Any, name: str) -> str:
    text = clean_text(value, name)
    try:
        validate_email(text)
    except ValidationError as exc:
        raise Refused(_("Enter a valid email address, like name@example.org.")) from exc
    return text.lower()


def phone_cleaner(default_region: str | None) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        text = clean_text(value, name)
        message = _("Enter a phone number with its country code, like +373 69 123 456.")
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException as exc:
            raise Refused(message) from exc
        if not phonenumbers.is_possible_number(number):
            raise Refused(message)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return clean


def clean_via_number(value: Any, name: str) -> str:
    text = clean_text(value, name)
    if not all(c.isdigit() or c in "+ -()" for c in text) or not any(c.isdigit() for c in text):
        raise Refused(_("Enter the number or short code, like 0 800 77777 or 527."))
    return "".join(c for c in text if c.isdigit() or c == "+")


def clean_public_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) > 36:
        raise Refused(_("Choose one of the listed options."))
    return value.strip()


def _plain(value: Any, name: str) -> str:
    return clean_text(value, name)


def _cleaners(default_region: str | None) -> dict[str, Callable[[Any, str], Any]]:
    return {
        "channel": _choice(list(ContactChannel.values)),
        "caller_type": _choice(list(CallerType.values)),
        "category": _choice(list(Category.values)),
        "urgency": clean_urgency,
        "language": clean_language,
        "narrative": _plain,
        "location_text": _plain,
        "occurred_text": _plain,
        "reporter_name": _plain,
        "reporter_phone": phone_cleaner(default_region),
        "reporter_email": clean_email,
        "via_number": clean_via_number,
        "campaign": clean_public_id,
    }


_EMPTY: dict[str, Any] = {
    "channel": None,
    "caller_type": CallerType.UNKNOWN.value,
    "category": Category.TO_TRIAGE.value,
    "urgency": Urgency.NORMAL.value,
    "language": "",
    "via_number": "",
    "campaign": None,
}


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_contact_input(
    data: dict[str, Any], *, default_region: str | None, creating: bool
) -> dict[str, Any]:
    """Validate and normalise contact fields; raise ApplicationError listing each bad one.

    Only keys present in `data` are returned. A new contact needs its channel.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    cleaners = _cleaners(default_region)
    for name, value in data.items():
        if name not in cleaners:
            errors[name] = [_("This field is not part of a contact.")]
            continue
        if is_empty(value):
            cleaned[name] = _EMPTY.get(name)
            continue
        try:
            cleaned[name] = cleaners[name](value, name)
        except Refused as refused:
            errors[name] = [refused.message]
    if creating and not cleaned.get("channel") and "channel" not in errors:
        errors["channel"] = [_("Choose how the contact came in.")]
    if not creating and "channel" in cleaned and cleaned["channel"] is None:
        errors["channel"] = [_("Choose how the contact came in.")]
    if errors:
        raise invalid(errors)
    return cleaned


def clean_escalation(data: dict[str, Any]) -> dict[str, Any]:
    """The basis (required), the receiving organisation's public id, and an optional note."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    basis = data.get("basis")
    if is_empty(basis):
        errors["basis"] = [
            _("Choose the basis for passing this on: consent, a child, or imminent danger.")
        ]
    elif basis not in EscalationBasis.values:
        errors["basis"] = [_("Choose one of the listed options.")]
    else:
        cleaned["basis"] = basis
    organisation = data.get("to_organisation")
    if is_empty(organisation):
        errors["to_organisation"] = [_("Choose the law-enforcement organisation.")]
    elif not isinstance(organisation, str) or len(organisation) > 36:
        errors["to_organisation"] = [_("Choose one of the listed options.")]
    else:
        cleaned["to_organisation"] = organisation.strip()
    note = data.get("note")
    if not is_empty(note):
        try:
            cleaned["note"] = clean_text(note, "note")
        except Refused as refused:
            errors["note"] = [refused.message]
    if errors:
        raise invalid(errors)
    return cleaned


def clean_person_role(value: Any) -> str:
    if is_empty(value):
        return PersonRole.CONCERNED.value
    if not isinstance(value, str) or value not in PersonRole.values:
        raise invalid({"role": [_("Choose one of the listed options.")]})
    return value


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code) if code else None
    return str(country.name) if country else code
