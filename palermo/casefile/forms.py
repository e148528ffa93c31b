"""The case-file forms of the pages: layout, labels and widgets only (cleaning is validation's).

A form is a list of fieldsets, each a list of field descriptors that `casefile/fields.html`
renders; values come back as the posted strings and go to the same services as the API's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from palermo.people.models import Gender

from .models import (
    CarePlanStatus,
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
from .validation import MAX_DESCRIPTION, MAX_LONG_TEXT, MAX_NOTE, MAX_SHORT_TEXT

Choices = list[tuple[str, Any]]
_BLANK: Choices = [("", _("—"))]


def field(
    name: str,
    label: Any,
    kind: str = "text",
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    choices: Choices | None = None,
    hint: Any = "",
    maxlength: int | None = None,
) -> dict[str, Any]:
    value = values.get(name)
    if kind == "checkboxes":
        value = list(value or [])
    elif kind != "checkbox":
        value = "" if value is None else str(value)
    return {
        "name": name,
        "id": f"id_{name}",
        "label": label,
        "kind": kind,
        "value": value,
        "choices": choices or [],
        "hint": hint,
        "maxlength": maxlength,
        "errors": errors.get(name, []),
    }


def fieldset(legend: Any, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"legend": legend, "fields": fields}


def posted(post: QueryDict, names: Iterable[str]) -> dict[str, Any]:
    return {n: post.get(n, "") for n in names}


# --- needs assessment -------------------------------------------------------------------------


def assessment_form(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    sets = [
        fieldset(
            _("Assessment"),
            [
                field(
                    "assessed_on", _("Date of the assessment"), "date", values=values, errors=errors
                ),
                field(
                    "summary",
                    _("Summary"),
                    "textarea",
                    values=values,
                    errors=errors,
                    maxlength=MAX_LONG_TEXT,
                ),
            ],
        )
    ]
    levels = _BLANK + [(c.value, c.label) for c in NeedLevel]
    urgencies = _BLANK + [(c.value, c.label) for c in Urgency]
    for area in NeedArea:
        prefix = f"need_{area.value}_"
        sets.append(
            fieldset(
                area.label,
                [
                    field(
                        prefix + "level",
                        _("Level"),
                        "select",
                        values=values,
                        errors=errors,
                        choices=levels,
                    ),
                    field(
                        prefix + "urgency",
                        _("Urgency"),
                        "select",
                        values=values,
                        errors=errors,
                        choices=urgencies,
                    ),
                    field(
                        prefix + "note",
                        _("Note"),
                        "textarea",
                        values=values,
                        errors=errors,
                        maxlength=MAX_LONG_TEXT,
                    ),
                ],
            )
        )
    return sets


def assessment_posted(post: QueryDict) -> dict[str, Any]:
    """The posted assessment in the API's shape: an area is rated if any of its fields is set."""
    needs = []
    for area in NeedArea.values:
        prefix = f"need_{area}_"
        rating = {k: post.get(prefix + k, "") for k in ("level", "urgency", "note")}
        if any(v.strip() for v in rating.values()):
            needs.append({"area": area, **rating})
    return {
        "assessed_on": post.get("assessed_on", ""),
        "summary": post.get("summary", ""),
        "needs": needs,
    }


def assessment_values(post: QueryDict) -> dict[str, Any]:
    names = ["assessed_on", "summary"] + [
        f"need_{a}_{k}" for a in NeedArea.values for k in ("level", "urgency", "note")
    ]
    return posted(post, names)


# --- care plan --------------------------------------------------------------------------------

CARE_PLAN_FIELDS = (
    "support_type",
    "objective",
    "action_plan",
    "responsible_organisation",
    "responsible_other",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "status",
)


def care_plan_form(
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    organisations: Choices,
    owner: bool,
) -> list[dict[str, Any]]:
    def f(name: str, label: Any, kind: str = "text", **kw: Any) -> dict[str, Any]:
        return field(name, label, kind, values=values, errors=errors, **kw)

    responsible = [
        f(
            "responsible_organisation",
            _("Organisation responsible"),
            "select",
            choices=(_BLANK if owner else []) + organisations,
        )
    ]
    if owner:
        responsible.append(
            f(
                "responsible_other",
                _("Or another organisation, outside Palermo"),
                maxlength=MAX_SHORT_TEXT,
            )
        )
    return [
        fieldset(
            _("Support"),
            [
                f(
                    "support_type",
                    _("Type of support"),
                    "select",
                    choices=_BLANK + [(c.value, c.label) for c in SupportType],
                ),
                f("objective", _("Objective"), "textarea", maxlength=MAX_LONG_TEXT),
                f("action_plan", _("Action plan"), "textarea", maxlength=MAX_LONG_TEXT),
                *responsible,
                f(
                    "status",
                    _("Status"),
                    "select",
                    choices=[(c.value, c.label) for c in CarePlanStatus],
                ),
            ],
        ),
        fieldset(
            _("Dates"),
            [
                f("planned_start", _("Planned start"), "date"),
                f("planned_end", _("Planned end"), "date"),
                f("actual_start", _("Actual start"), "date"),
                f("actual_end", _("Actual end"), "date"),
            ],
        ),
    ]


def progress_form(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    def f(name: str, label: Any, kind: str = "text", **kw: Any) -> dict[str, Any]:
        return field(name, label, kind, values=values, errors=errors, **kw)

    return [
        fieldset(
            _("Record progress"),
            [
                f(
                    "status",
                    _("Status"),
                    "select",
                    choices=[(c.value, c.label) for c in CarePlanStatus],
                ),
                f("actual_start", _("Actual start"), "date"),
                f("actual_end", _("Actual end"), "date"),
                f("note", _("Note"), "textarea", maxlength=MAX_LONG_TEXT),
            ],
        )
    ]


# --- notes ------------------------------------------------------------------------------------


def note_form(
    values: dict[str, Any], errors: dict[str, list[str]], legend: Any
) -> list[dict[str, Any]]:
    return [
        fieldset(
            legend,
            [
                field(
                    "text",
                    _("Note"),
                    "textarea",
                    values=values,
                    errors=errors,
                    maxlength=MAX_NOTE,
                    hint=_("Notes cannot be changed later; a mistake is fixed with a correction."),
                )
            ],
        )
    ]


# --- documents --------------------------------------------------------------------------------


def document_form(
    values: dict[str, Any], errors: dict[str, list[str]], *, types: list[str], max_size: str
) -> list[dict[str, Any]]:
    labels = dict(DocumentType.choices)
    return [
        fieldset(
            _("Add a document"),
            [
                field(
                    "document_type",
                    _("Type"),
                    "select",
                    values=values,
                    errors=errors,
                    choices=_BLANK + [(t, labels[t]) for t in types],
                ),
                field(
                    "description",
                    _("Description"),
                    "textarea",
                    values=values,
                    errors=errors,
                    maxlength=MAX_DESCRIPTION,
                ),
                field(
                    "file",
                    _("File"),
                    "file",
                    values={},
                    errors=errors,
                    hint=_("PDF, JPEG, PNG or plain text, at most %(size)s. Stored encrypted.")
                    % {"size": max_size},
                ),
            ],
        )
    ]


# --- trafficking events -----------------------------------------------------------------------

EVENT_FIELDS = (
    "kind",
    "country",
    "locality",
    "date_from",
    "date_to",
    "date_approximate",
    "transport",
    "note",
)


def event_form(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    def f(name: str, label: Any, kind: str = "text", **kw: Any) -> dict[str, Any]:
        return field(name, label, kind, values=values, errors=errors, **kw)

    date_hint = _("A year (2023), a month (2023-05) or a day (2023-05-14).")
    return [
        fieldset(
            _("Add a step of the trafficking history"),
            [
                f(
                    "kind",
                    _("What happened"),
                    "select",
                    choices=_BLANK + [(c.value, c.label) for c in EventKind],
                ),
                f(
                    "country",
                    _("Country"),
                    maxlength=2,
                    hint=_("Two-letter code, like MD, RO or PL."),
                ),
                f("locality", _("City or locality"), maxlength=MAX_SHORT_TEXT),
                f("date_from", _("From"), maxlength=10, hint=date_hint),
                f("date_to", _("Until"), maxlength=10, hint=date_hint),
                f("date_approximate", _("The dates are approximate"), "checkbox"),
                f(
                    "transport",
                    _("Means of transport"),
                    "select",
                    choices=_BLANK + [(c.value, c.label) for c in Transport],
                ),
                f("note", _("Description"), "textarea", maxlength=MAX_LONG_TEXT),
            ],
        )
    ]


def event_posted(post: QueryDict) -> dict[str, Any]:
    data = posted(post, [n for n in EVENT_FIELDS if n != "date_approximate"])
    data["date_approximate"] = post.get("date_approximate", "") == "on"
    return data


# --- perpetrators -----------------------------------------------------------------------------

PERPETRATOR_FIELDS = (
    "relationship",
    "gender",
    "nationality",
    "name",
    "organisation",
    "identifying_details",
    "role_details",
)


def perpetrator_form(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    def f(name: str, label: Any, kind: str = "text", **kw: Any) -> dict[str, Any]:
        return field(name, label, kind, values=values, errors=errors, **kw)

    return [
        fieldset(
            _("Role in the trafficking"),
            [
                f(
                    "roles",
                    _("Roles"),
                    "checkboxes",
                    choices=[(c.value, c.label) for c in PerpetratorRole],
                )
            ],
        ),
        fieldset(
            _("Who they are"),
            [
                f(
                    "relationship",
                    _("Relationship to the person"),
                    "select",
                    choices=[(c.value, c.label) for c in Relationship],
                ),
                f("gender", _("Gender"), "select", choices=[(c.value, c.label) for c in Gender]),
                f(
                    "nationality",
                    _("Nationality"),
                    maxlength=2,
                    hint=_("Two-letter code, like MD."),
                ),
                f("name", _("Name or alias"), maxlength=MAX_SHORT_TEXT),
                f("organisation", _("Organisation or group"), maxlength=MAX_SHORT_TEXT),
                f(
                    "identifying_details",
                    _("Identifying details"),
                    "textarea",
                    maxlength=MAX_LONG_TEXT,
                ),
                f("role_details", _("What they did"), "textarea", maxlength=MAX_LONG_TEXT),
            ],
        ),
    ]


def perpetrator_posted(post: QueryDict) -> dict[str, Any]:
    data = posted(post, PERPETRATOR_FIELDS)
    data["roles"] = post.getlist("roles")
    return data
