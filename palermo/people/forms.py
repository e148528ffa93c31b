"""The person form of the pages: layout and widgets only; cleaning is in validation.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup

from .field_groups import DEMOGRAPHIC_FIELDS, PERSON_FIELD_GROUPS
from .models import Education, Gender, MaritalStatus
from .validation import MAX_LENGTHS

# Input types that are not plain text; the maximum lengths are validation's own.
_INPUT_TYPES: dict[str, str] = {
    "email": "email",
    "home_phone": "tel",
    "mobile_phone": "tel",
}

FIELD_LABELS: dict[str, Any] = {
    "salutation": _("Salutation"),
    "first_name": _("First name"),
    "middle_name": _("Middle name"),
    "second_name": _("Last name"),
    "birthdate": _("Date of birth"),
    "identity_number": _("Identity document number"),
    "title": _("Position or title"),
    "email": _("Email"),
    "home_phone": _("Home phone"),
    "mobile_phone": _("Mobile phone"),
    "mailing_street": _("Street"),
    "mailing_city": _("City"),
    "mailing_state": _("Region or state"),
    "mailing_postal_code": _("Postal code"),
    "mailing_country": _("Country of residence"),
    "mailing_latitude": _("Latitude"),
    "mailing_longitude": _("Longitude"),
    "gender": _("Gender"),
    "marital_status": _("Marital status"),
    "number_of_children": _("Number of children"),
    "primary_language": _("Primary language"),
    "secondary_language": _("Secondary language"),
    "highest_education": _("Highest level of education"),
    "citizenship": _("Citizenship"),
    "deceased": _("Deceased"),
}

FIELD_HINTS: dict[str, Any] = {
    "mobile_phone": _("With the country code, like +380 67 123 4567."),
    "home_phone": _("With the country code, like +373 22 123 456."),
    "mailing_country": _("Two-letter code, like UA, MD or NP."),
    "citizenship": _("Two-letter codes separated by commas, like UA, MD."),
    "primary_language": _("Language code, like uk, ro or ne."),
    "secondary_language": _("Language code, like en or ru."),
    "first_name": _("An alias or nickname is fine if the person prefers it."),
}


def choices_with_blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("— not recorded —")), *choices]


SELECT_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "gender": list(Gender.choices),
    "marital_status": choices_with_blank(list(MaritalStatus.choices)),
    "highest_education": choices_with_blank(list(Education.choices)),
}


def form_sections(visible_groups: frozenset[str]) -> list[dict[str, Any]]:
    """The form's fieldsets: the personal groups the actor may write, then demographics."""
    sections = []
    for group, names in PERSON_FIELD_GROUPS.items():
        if str(group) in visible_groups:
            sections.append({"legend": FIELD_GROUP_LABELS[FieldGroup(group)], "fields": names})
    sections.append(
        {
            "legend": _("Profile"),
            "fields": DEMOGRAPHIC_FIELDS,
        }
    )
    return sections


def field_widget(name: str) -> dict[str, Any]:
    if name in SELECT_CHOICES:
        return {"kind": "select", "choices": SELECT_CHOICES[name]}
    if name == "birthdate":
        return {"kind": "input", "type": "date", "maxlength": 10}
    if name == "number_of_children":
        return {"kind": "input", "type": "number", "maxlength": 2}
    if name == "deceased":
        return {"kind": "checkbox"}
    return {"kind": "input", "type": _INPUT_TYPES.get(name, "text"), "maxlength": MAX_LENGTHS[name]}


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
