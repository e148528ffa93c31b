"""The audit log page for supervisors. Thin: access.py decides, selectors.py reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FIELD_GROUP_LABELS, PURPOSE_LABELS

from . import selectors
from .access import may_view_audit
from .forms import AuditFilterForm
from .models import AuditEvent


def _label(labels: Mapping[Any, Any], value: str) -> str:
    """The translated label of an enum value, or the value itself if it is not one of ours.

    StrEnum members hash and compare like their values, so the plain string finds them.
    """
    return str(labels.get(value, value))


def _row(event: AuditEvent, actor: Actor) -> dict[str, Any]:
    shown = event.details.get("persons") if isinstance(event.details, dict) else None
    own = actor.organisation.pk if actor.organisation is not None else None
    return {
        "event": event,
        # An event about one of our records caused by another organisation (or the system).
        "elsewhere": event.organisation_id != own,
        "purpose": _label(PURPOSE_LABELS, event.purpose),
        "field_groups": [_label(FIELD_GROUP_LABELS, group) for group in event.field_groups],
        "records_shown": len(shown) if isinstance(shown, list) else 0,
    }


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not may_view_audit(actor):
        raise Http404
    form = AuditFilterForm(request.GET)  # always bound: no filters is valid too
    context: dict[str, Any] = {"form": form, "page": None, "rows": [], "filter_query": ""}
    valid = form.is_valid()
    if valid:
        page = selectors.audit_page(
            actor=actor, filters=form.filters(), page_number=request.GET.get("page", 1)
        )
        params = request.GET.copy()
        params.pop("page", None)
        context.update(
            page=page,
            rows=[_row(event, actor) for event in page.object_list],
            filter_query=params.urlencode(),
        )
    # An htmx filter swaps in the results only; a history restore needs the whole page.
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    # htmx swaps only 2xx answers by default, so its partial shows the errors with a 200.
    status = 200 if valid or partial else 400
    template = "audit/audit_list.html#results" if partial else "audit/audit_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
