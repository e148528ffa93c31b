"""Cleaning what a user typed into the case file, with translated messages per field.

Shared by the pages and the API so both refuse the same input with the same words. Values come
from a form (strings) or JSON (any type): every cleaner checks the type first. Each `clean_*`
returns the cleaned values or raises `invalid(fields)` naming every field that needs attention.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import pycountry
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.errors import invalid
from palermo.people.models import Gender

from .models import (
    CarePlanStatus,
    DatePrecision,
    DocumentType,
    EventKind,
    NeedArea,
    NeedLevel,
    PerpetratorRole,
    Relationship,
    SupportType,
    Transport,
    Urgency,
)

MAX_NOTE = 10_000
MAX_LONG_TEXT = 4_000
MAX_SHORT_TEXT = 200
MAX_DESCRIPTION = 500
EARLIEST_YEAR = 1950
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# Line breaks and tabs belong in long text; other controls and invisible characters do not.
_TEXT_CONTROLS_ALLOWED = {"\n", "\t"}
_JOINERS = {"\u200c", "\u200d"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
# Needs this great must say how urgent they are.
URGENCY_REQUIRED = frozenset({NeedLevel.MEDIUM, NeedLevel.HIGH})


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Errors:
    """Collects per-field messages while cleaning; raises them together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise invalid(self.fields)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value: Any, limit: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise _Refused(_("Enter text."))
    value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > limit:
        raise _Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(value)}
        )
    allowed = _JOINERS | (_TEXT_CONTROLS_ALLOWED if multiline else set())
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES and c not in allowed for c in value):
        raise _Refused(_("Remove the control or invisible characters from this field."))
    return value


def _choice(value: Any, choices: Iterable[str]) -> str:
    if not isinstance(value, str) or value not in set(choices):
        raise _Refused(_("Choose one of the listed options."))
    return value


def _date(value: Any, *, past_only: bool = False) -> datetime.date:
    if isinstance(value, datetime.datetime) or not isinstance(value, str | datetime.date):
        raise _Refused(_("Enter a date as YYYY-MM-DD."))
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value.strip()):
            raise _Refused(_("Enter a date as YYYY-MM-DD."))
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Refused(_("This date does not exist.")) from exc
    if value.year < EARLIEST_YEAR or value.year > 2100:
        raise _Refused(_("Enter a year between %(first)d and 2100.") % {"first": EARLIEST_YEAR})
    if past_only and value > timezone.localdate():
        raise _Refused(_("This date is in the future."))
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("on", "true", "1", ""):
        return value != ""
    raise _Refused(_("Answer yes or no."))


def _country(value: Any) -> str:
    if not isinstance(value, str):
        raise _Refused(_("Enter a two-letter country code."))
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise _Refused(_("Enter a two-letter country code (ISO 3166), for example MD."))
    if pycountry.countries.get(alpha_2=code) is None:
        raise _Refused(_("This is not a country code we know."))
    return code


def _field(errors: _Errors, data: dict[str, Any], name: str, clean: Any, **kwargs: Any) -> Any:
    """The cleaned value of one optional field (None when absent or blank), or the error noted."""
    value = data.get(name)
    if not _present(value):
        return None
    try:
        return clean(value, **kwargs)
    except _Refused as refused:
        errors.add(name, refused.message)
        return None


def _required(errors: _Errors, data: dict[str, Any], name: str, clean: Any, **kwargs: Any) -> Any:
    if not _present(data.get(name)):
        errors.add(name, _("This field is required."))
        return None
    return _field(errors, data, name, clean, **kwargs)


def _order(
    errors: _Errors,
    start: datetime.date | None,
    end: datetime.date | None,
    end_name: str,
    message: str,
) -> None:
    if start is not None and end is not None and end < start:
        errors.add(end_name, message)


# --- needs assessment -------------------------------------------------------------------------


def clean_assessment(data: dict[str, Any]) -> dict[str, Any]:
    """{"assessed_on", "summary", "needs": [{"area", "level", "urgency", "note"}]}.

    Messages for one area's values are keyed `need_<Area>_<part>` (the form's field names).
    """
    errors = _Errors()
    assessed_on = _required(errors, data, "assessed_on", _date, past_only=True)
    summary = _field(errors, data, "summary", _text, limit=MAX_LONG_TEXT, multiline=True)
    raw_needs = data.get("needs") or []
    needs: list[dict[str, Any]] = []
    if not isinstance(raw_needs, list):
        errors.add("needs", _("Enter a list."))
        raw_needs = []
    seen: set[str] = set()
    for raw in raw_needs:
        if not isinstance(raw, dict):
            errors.add("needs", _("Each need is an object with an area and a level."))
            continue
        try:
            area = _choice(raw.get("area"), NeedArea.values)
        except _Refused as refused:
            errors.add("needs", refused.message)
            continue
        prefix = f"need_{area}_"
        if area in seen:
            errors.add(prefix + "level", _("This area is rated twice."))
            continue
        seen.add(area)
        rating = {k: raw.get(k) for k in ("level", "urgency", "note")}
        renamed = {prefix + k: v for k, v in rating.items()}
        level = _required(errors, renamed, prefix + "level", _choice, choices=NeedLevel.values)
        urgency = _field(errors, renamed, prefix + "urgency", _choice, choices=Urgency.values)
        note = _field(errors, renamed, prefix + "note", _text, limit=MAX_LONG_TEXT, multiline=True)
        if (
            level in URGENCY_REQUIRED
            and urgency is None
            and prefix + "urgency" not in errors.fields
        ):
            errors.add(prefix + "urgency", _("Say how urgent a need this great is."))
        needs.append({"area": area, "level": level, "urgency": urgency or "", "note": note})
    if not raw_needs and "needs" not in errors.fields:
        errors.add("needs", _("Rate at least one area of need."))
    errors.raise_if_any()
    return {"assessed_on": assessed_on, "summary": summary, "needs": needs}


# --- care plan --------------------------------------------------------------------------------


def clean_care_plan_item(
    data: dict[str, Any], *, organisations: dict[str, int], partial: bool = False
) -> dict[str, Any]:
    """A care-plan item; `organisations` maps the public ids the actor may name as responsible
    to their primary keys. With `partial`, only the fields present are cleaned (an edit)."""
    errors = _Errors()
    cleaned: dict[str, Any] = {}

    def want(name: str) -> bool:
        return not partial or name in data

    if want("support_type"):
        cleaned["support_type"] = _required(
            errors, data, "support_type", _choice, choices=SupportType.values
        )
    if want("objective"):
        cleaned["objective"] = _required(
            errors, data, "objective", _text, limit=MAX_LONG_TEXT, multiline=True
        )
    if want("action_plan"):
        cleaned["action_plan"] = _field(
            errors, data, "action_plan", _text, limit=MAX_LONG_TEXT, multiline=True
        )
    if want("responsible_organisation") or want("responsible_other"):
        organisation = _field(
            errors, data, "responsible_organisation", _choice, choices=list(organisations)
        )
        other = _field(errors, data, "responsible_other", _text, limit=MAX_SHORT_TEXT)
        if organisation and other:
            errors.add(
                "responsible_other",
                _("Choose an organisation or name another one, not both."),
            )
        elif not organisation and not other and not errors.fields.get("responsible_organisation"):
            errors.add(
                "responsible_organisation",
                _("Choose the organisation responsible, or name another one."),
            )
        cleaned["responsible_organisation_id"] = organisations.get(organisation or "")
        cleaned["responsible_other"] = other or ""
    for name in ("planned_start", "planned_end"):
        if want(name):
            cleaned[name] = _field(errors, data, name, _date)
    for name in ("actual_start", "actual_end"):
        if want(name):
            cleaned[name] = _field(errors, data, name, _date, past_only=True)
    if want("status"):
        cleaned["status"] = (
            _field(errors, data, "status", _choice, choices=CarePlanStatus.values)
            or CarePlanStatus.PLANNED
        )
    errors.raise_if_any()
    return cleaned


def check_care_plan_dates(values: dict[str, Any]) -> None:
    """The dates of an item as they will be stored: ends after starts, completed has an end."""
    errors = _Errors()
    _order(
        errors,
        values.get("planned_start"),
        values.get("planned_end"),
        "planned_end",
        _("The planned end is before the planned start."),
    )
    _order(
        errors,
        values.get("actual_start"),
        values.get("actual_end"),
        "actual_end",
        _("The actual end is before the actual start."),
    )
    if values.get("actual_end") and not values.get("actual_start"):
        errors.add("actual_start", _("Give the date the support actually started."))
    if values.get("status") == CarePlanStatus.COMPLETED and not values.get("actual_end"):
        errors.add("actual_end", _("A completed support needs the date it ended."))
    errors.raise_if_any()


def clean_progress(data: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    status = _required(errors, data, "status", _choice, choices=CarePlanStatus.values)
    actual_start = _field(errors, data, "actual_start", _date, past_only=True)
    actual_end = _field(errors, data, "actual_end", _date, past_only=True)
    note = _field(errors, data, "note", _text, limit=MAX_LONG_TEXT, multiline=True)
    errors.raise_if_any()
    return {"status": status, "actual_start": actual_start, "actual_end": actual_end, "note": note}


# --- notes ------------------------------------------------------------------------------------


def clean_note(data: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    text = _required(errors, data, "text", _text, limit=MAX_NOTE, multiline=True)
    corrects = data.get("corrects")
    if _present(corrects) and not isinstance(corrects, str):
        errors.add("corrects", _("This value is not valid."))
    errors.raise_if_any()
    return {
        "text": text,
        "corrects": corrects.strip() if isinstance(corrects, str) and corrects.strip() else None,
    }


# --- trafficking events -----------------------------------------------------------------------


def _partial_date(value: Any) -> tuple[datetime.date, datetime.date, str]:
    """'2023', '2023-05' or '2023-05-14' → (first day, last day, precision)."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value, value, DatePrecision.DAY
    if not isinstance(value, str):
        raise _Refused(_("Enter a year (2023), a month (2023-05) or a day (2023-05-14)."))
    match = _PARTIAL_DATE.fullmatch(value.strip())
    if match is None:
        raise _Refused(_("Enter a year (2023), a month (2023-05) or a day (2023-05-14)."))
    year, month, day = match.groups()
    try:
        if day is not None:
            first = last = datetime.date(int(year), int(month), int(day))
            precision = DatePrecision.DAY
        elif month is not None:
            first = datetime.date(int(year), int(month), 1)
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            precision = DatePrecision.MONTH
        else:
            first, last = datetime.date(int(year), 1, 1), datetime.date(int(year), 12, 31)
            precision = DatePrecision.YEAR
    except ValueError as exc:
        raise _Refused(_("This date does not exist.")) from exc
    if first.year < EARLIEST_YEAR:
        raise _Refused(_("Enter a year from %(first)d on.") % {"first": EARLIEST_YEAR})
    if first > timezone.localdate():
        raise _Refused(_("This date is in the future."))
    return first, last, precision


def clean_event(data: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    kind = _required(errors, data, "kind", _choice, choices=EventKind.values)
    country = _required(errors, data, "country", _country)
    locality = _field(errors, data, "locality", _text, limit=MAX_SHORT_TEXT)
    start = _field(errors, data, "date_from", _partial_date)
    end = _field(errors, data, "date_to", _partial_date)
    approximate = _field(errors, data, "date_approximate", _bool) or False
    transport = _field(errors, data, "transport", _choice, choices=Transport.values)
    note = _field(errors, data, "note", _text, limit=MAX_LONG_TEXT, multiline=True)
    if end is not None and start is None and "date_from" not in errors.fields:
        errors.add("date_from", _("Give when it began, even approximately."))
    if start is not None and end is not None and end[1] < start[0]:
        errors.add("date_to", _("The end is before the beginning."))
    errors.raise_if_any()
    return {
        "kind": kind,
        "country": country,
        "locality": locality,
        "date_from": start[0] if start else None,
        # A range ends on the last day of its end; a single month or year spans itself.
        "date_to": end[1] if end else (start[1] if start and start[0] != start[1] else None),
        "date_precision": start[2] if start else DatePrecision.DAY,
        "date_approximate": bool(approximate),
        "transport": transport or "",
        "note": note,
    }


# --- perpetrators -----------------------------------------------------------------------------


def clean_perpetrator(data: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    roles_value = data.get("roles") or []
    roles: list[str] = []
    if not isinstance(roles_value, list):
        errors.add("roles", _("Enter a list."))
    else:
        for role in roles_value:
            try:
                role = _choice(role, PerpetratorRole.values)
            except _Refused as refused:
                errors.add("roles", refused.message)
                break
            if role not in roles:
                roles.append(role)
    relationship = (
        _field(errors, data, "relationship", _choice, choices=Relationship.values)
        or Relationship.UNKNOWN
    )
    gender = _field(errors, data, "gender", _choice, choices=Gender.values) or Gender.UNKNOWN
    nationality = _field(errors, data, "nationality", _country) or ""
    name = _field(errors, data, "name", _text, limit=MAX_SHORT_TEXT)
    organisation = _field(errors, data, "organisation", _text, limit=MAX_SHORT_TEXT)
    identifying = _field(
        errors, data, "identifying_details", _text, limit=MAX_LONG_TEXT, multiline=True
    )
    role_details = _field(errors, data, "role_details", _text, limit=MAX_LONG_TEXT, multiline=True)
    if not errors.fields and not (roles or name or organisation or identifying or role_details):
        errors.add("roles", _("Give at least a role, a name or what they did."))
    errors.raise_if_any()
    return {
        "roles": roles,
        "relationship": relationship,
        "gender": gender,
        "nationality": nationality,
        "name": name,
        "organisation": organisation,
        "identifying_details": identifying,
        "role_details": role_details,
    }


# --- documents --------------------------------------------------------------------------------


def clean_document_fields(data: dict[str, Any], *, allowed_types: list[str]) -> dict[str, Any]:
    errors = _Errors()
    document_type = _required(
        errors, data, "document_type", _choice, choices=[t for t in DocumentType.values]
    )
    if document_type is not None and document_type not in allowed_types:
        errors.add("document_type", _("You may not add documents of this type."))
    description = _field(errors, data, "description", _text, limit=MAX_DESCRIPTION, multiline=True)
    errors.raise_if_any()
    return {"document_type": document_type, "description": description}
