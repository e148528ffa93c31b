"""The audit page's filter form: what a supervisor may type, checked before any query."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import AuditFilters

# Far enough for any real search, near enough that a day's bounds never overflow a datetime.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(9998, 12, 31)
DATE_FORMAT = "%Y-%m-%d"


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(
            format=DATE_FORMAT,
            attrs={
                "type": "date",
                "min": EARLIEST_DATE.isoformat(),
                "max": LATEST_DATE.isoformat(),
            },
        ),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD, like 2025-03-31.")},
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_("Like person.read, or person for every person action."),
    )
    actor = forms.CharField(
        label=_("User"), required=False, max_length=150, help_text=_("Username, exactly.")
    )
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
                self.add_error(
                    name,
                    _("Enter a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
                )
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start is not None and end is not None and start > end and not self.errors:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def filters(self) -> AuditFilters:
        """The cleaned values as selector filters (call after is_valid())."""
        data = self.cleaned_data
        return AuditFilters(
            action=data["action"],
            actor_username=data["actor"],
            object_id=data["object_id"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
