"""The directory's forms as field lists for the templates (labels, hints, widgets, values, errors).

Validation is not here: `validation.py` cleans what the pages and the API receive alike.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from palermo.accounts.models import OrganisationType
from palermo.people.models import Gender

from .models import Provider, Service, ServiceType
from .opening_hours import WEEKDAYS, day_text
from .validation import HOURS_FIELDS, MAX_LENGTHS, SERVED_GENDERS

WEEKDAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
GENDER_CHOICES = [(g, Gender(g).label) for g in SERVED_GENDERS]
SERVICE_TYPE_CHOICES = list(ServiceType.choices)
ORG_TYPE_CHOICES = list(OrganisationType.choices)
PROVIDER_CHECKBOXES = ("public",)
SERVICE_CHECKBOXES = ("open_24_hours", "confidential_address", "active")


def _field(name: str, label: Any, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "id": f"id_{name}", "label": label, "kind": kind, **extra}


def _with_values(
    fields: list[dict[str, Any]], values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    for f in fields:
        value = values.get(f["name"])
        if f["kind"] == "checkboxes":
            f["value"] = list(value or [])
        elif f["kind"] == "checkbox":
            f["value"] = bool(value)
        elif isinstance(value, list):
            f["value"] = ", ".join(str(v) for v in value)
        else:
            f["value"] = "" if value is None else str(value)
        f["errors"] = errors.get(f["name"], [])
    return fields


def provider_sections(
    values: dict[str, Any],
    errors: dict[str, list[str]],
    organisations: list[tuple[str, str]] | None,
) -> list[dict[str, Any]]:
    """The provider form; `organisations` (public id, name) only for administrators."""
    about = [
        _field("name", _("Name"), maxlength=MAX_LENGTHS["name"]),
        _field("org_type", _("Type (HTCDS)"), "select", choices=ORG_TYPE_CHOICES),
    ]
    if organisations is not None:
        about.append(
            _field(
                "organisation",
                _("Coalition organisation"),
                "select",
                choices=[("", _("— outside Palermo —")), *organisations],
                hint=_("Link the provider to its organisation in Palermo, if it is a member."),
            )
        )
    contact = [
        _field("phone", _("Phone"), "tel", maxlength=MAX_LENGTHS["phone"]),
        _field("email", _("Email"), "email", maxlength=MAX_LENGTHS["email"]),
        _field("website", _("Website"), "url", maxlength=MAX_LENGTHS["website"]),
        _field(
            "public",
            _("List on the public “find help” page"),
            "checkbox",
        ),
    ]
    return [
        {"legend": _("Provider"), "fields": _with_values(about, values, errors)},
        {"legend": _("Contact"), "fields": _with_values(contact, values, errors)},
    ]


def service_sections(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    what = [
        _field("service_type", _("Service"), "select", choices=SERVICE_TYPE_CHOICES),
        _field(
            "description",
            _("Description"),
            "textarea",
            maxlength=MAX_LENGTHS["description"],
            hint=_("What the service offers and how to reach it. Plain text."),
        ),
        _field(
            "languages",
            _("Languages"),
            maxlength=200,
            hint=_("ISO 639 codes separated by commas, like ro, ru, uk."),
        ),
        _field(
            "phone",
            _("Phone for this service"),
            "tel",
            maxlength=MAX_LENGTHS["phone"],
            hint=_("Leave empty to show the provider's phone."),
        ),
        _field("active", _("Active (offered now)"), "checkbox"),
    ]
    who = [
        _field(
            "genders",
            _("Genders served"),
            "checkboxes",
            choices=GENDER_CHOICES,
            hint=_("Tick none to serve everyone."),
        ),
        _field("min_age", _("Youngest age served"), "number", min=0, max=120),
        _field("max_age", _("Oldest age served"), "number", min=0, max=120),
        _field(
            "nationalities",
            _("Nationalities served"),
            maxlength=200,
            hint=_("Two-letter ISO country codes separated by commas; empty for any."),
        ),
    ]
    capacity = [
        _field("capacity", _("Capacity"), "number", min=0),
        _field("available_places", _("Places available now"), "number", min=0),
    ]
    hours = [
        _field(
            f"hours_{day}",
            WEEKDAY_LABELS[day],
            maxlength=MAX_LENGTHS["hours"],
            hint=_("Like 09:00-13:00, 14:00-17:00; empty if closed."),
        )
        for day in WEEKDAYS
    ]
    hours.append(_field("open_24_hours", _("Open 24 hours, every day"), "checkbox"))
    where = [
        _field("city", _("City"), maxlength=MAX_LENGTHS["city"]),
        _field("admin_area", _("Administrative area"), maxlength=MAX_LENGTHS["admin_area"]),
        _field(
            "latitude",
            _("Latitude"),
            maxlength=20,
            hint=_("Decimal degrees, like 47.02486."),
            inputmode="decimal",
        ),
        _field(
            "longitude",
            _("Longitude"),
            maxlength=20,
            hint=_("Decimal degrees, like 28.83238."),
            inputmode="decimal",
        ),
        _field(
            "address",
            _("Street address"),
            "textarea",
            maxlength=MAX_LENGTHS["address"],
            hint=_("Stored encrypted."),
        ),
        _field(
            "confidential_address",
            _("Confidential address (never shown publicly)"),
            "checkbox",
        ),
    ]
    return [
        {"legend": _("Service"), "fields": _with_values(what, values, errors)},
        {"legend": _("Who is served"), "fields": _with_values(who, values, errors)},
        {"legend": _("Capacity"), "fields": _with_values(capacity, values, errors)},
        {"legend": _("Opening hours"), "fields": _with_values(hours, values, errors)},
        {"legend": _("Location"), "fields": _with_values(where, values, errors)},
    ]


def provider_values(provider: Provider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "org_type": provider.org_type,
        "phone": provider.phone,
        "email": provider.email,
        "website": provider.website,
        "public": provider.public,
        "organisation": str(provider.organisation.public_id) if provider.organisation else "",
    }


def service_values(service: Service, address: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service_type": service.service_type,
        "description": service.description,
        "languages": service.languages,
        "genders": service.genders,
        "min_age": service.min_age,
        "max_age": service.max_age,
        "nationalities": service.nationalities,
        "capacity": service.capacity,
        "available_places": service.available_places,
        "open_24_hours": service.open_24_hours,
        "phone": service.phone,
        "city": service.city,
        "admin_area": service.admin_area,
        "latitude": service.latitude,
        "longitude": service.longitude,
        "address": address,
        "confidential_address": service.confidential_address,
        "active": service.active,
    }
    for day in WEEKDAYS:
        values[f"hours_{day}"] = day_text(service.opening_hours, day)
    return values


def provider_submitted(post: QueryDict, with_organisation: bool) -> dict[str, Any]:
    names = ["name", "org_type", "phone", "email", "website"]
    data: dict[str, Any] = {n: post.get(n, "") for n in names}
    data["public"] = "public" in post
    if with_organisation:
        data["organisation"] = post.get("organisation", "")
    return data


def service_submitted(post: QueryDict) -> dict[str, Any]:
    names = [
        "service_type",
        "description",
        "languages",
        "min_age",
        "max_age",
        "nationalities",
        "capacity",
        "available_places",
        "phone",
        "city",
        "admin_area",
        "latitude",
        "longitude",
        "address",
        *HOURS_FIELDS,
    ]
    data: dict[str, Any] = {n: post.get(n, "") for n in names}
    data["genders"] = post.getlist("genders")
    for name in SERVICE_CHECKBOXES:
        data[name] = name in post
    return data
