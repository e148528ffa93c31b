"""Cleaning what an operator or a tipster typed, with translated messages per field.

Shared by the pages and the API (and the public tip form), so all refuse the same input with
the same words. Values come from forms (strings) or JSON (any type): every cleaner checks the
type first.
"""

from __future__ import annotations

import datetime
import re
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
    "name": 120,
    "description": 2000,
    "posters": 2000,
}
# A campaign's published numbers and poster codes: how many, and how long each code may be.
MAX_CAMPAIGN_NUMBERS = 20
MAX_CAMPAIGN_CODES = 20
CODE_LENGTH = (2, 20)
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


def clean_summary(value: Any) -> str | None:
    """A situation's summary: optional text (None when empty)."""
    if is_empty(value):
        return None
    try:
        return clean_text(value, "summary")
    except Refused as refused:
        raise invalid({"summary": [refused.message]}) from None


CAMPAIGN_FIELDS = (
    "name",
    "description",
    "numbers",
    "codes",
    "posters",
    "receives_web_tips",
    "starts_on",
    "ends_on",
)
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


def _items(value: Any) -> list[str]:
    """A list from JSON, or from a form's text: one per line, or separated by commas."""
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise Refused(_("Enter a list of texts."))
        items = value
    elif isinstance(value, str):
        items = re.split(r"[\n,;]+", value)
    else:
        raise Refused(_("Enter a list of texts."))
    return [item.strip() for item in items if item.strip()]


def _clean_numbers(value: Any) -> list[str]:
    numbers: list[str] = []
    for item in _items(value):
        number = clean_via_number(item, "via_number")
        if number not in numbers:
            numbers.append(number)
    if len(numbers) > MAX_CAMPAIGN_NUMBERS:
        raise Refused(_("Give at most %(max)d numbers.") % {"max": MAX_CAMPAIGN_NUMBERS})
    return numbers


def _clean_codes(value: Any) -> list[str]:
    codes: list[str] = []
    shortest, longest = CODE_LENGTH
    for item in _items(value):
        code = item.upper()
        if not (shortest <= len(code) <= longest) or not _CODE.match(code):
            raise Refused(
                _(
                    "A code is %(min)d to %(max)d letters, digits or hyphens, like BUS24 "
                    "(“%(code)s” is not)."
                )
                % {"min": shortest, "max": longest, "code": item[:40]}
            )
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_CAMPAIGN_CODES:
        raise Refused(_("Give at most %(max)d codes.") % {"max": MAX_CAMPAIGN_CODES})
    return codes


def _clean_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"", "0", "false", "off", "no"}:
        return False
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "on", "yes"}:
        return True
    raise Refused(_("Answer true or false."))


def _clean_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise Refused(_("Enter a date as YYYY-MM-DD."))


def clean_campaign_input(
    data: dict[str, Any], *, creating: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate a campaign's fields; only keys present in `data` are returned.

    `current` holds the stored values (editing), so that the dates are checked together
    even when only one of them changes. A new campaign needs its name.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name not in CAMPAIGN_FIELDS:
            errors[name] = [_("This field is not part of a campaign.")]
            continue
        try:
            if name == "name":
                if is_empty(value):
                    raise Refused(_("Give the campaign a name."))
                cleaned[name] = clean_text(value, name)
            elif name in ("description", "posters"):
                cleaned[name] = "" if is_empty(value) else clean_text(value, name)
            elif name == "numbers":
                cleaned[name] = [] if value is None else _clean_numbers(value)
            elif name == "codes":
                cleaned[name] = [] if value is None else _clean_codes(value)
            elif name == "receives_web_tips":
                cleaned[name] = False if value is None else _clean_flag(value)
            else:
                cleaned[name] = None if is_empty(value) else _clean_date(value)
        except Refused as refused:
            errors[name] = [refused.message]
    if creating and "name" not in cleaned and "name" not in errors:
        errors["name"] = [_("Give the campaign a name.")]
    dates = {**(current or {}), **cleaned}
    starts, ends = dates.get("starts_on"), dates.get("ends_on")
    if starts and ends and ends < starts and not {"starts_on", "ends_on"} & set(errors):
        errors["ends_on"] = [_("The campaign must not end before it starts.")]
    if errors:
        raise invalid(errors)
    return cleaned
