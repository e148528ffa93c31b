"""The hotline's travel alerts queue (staff pages). The traveller's public pages are in
public_views.py. Thin: services and selectors do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, NotFound

from . import selectors, services
from .access import travel_alert_for_actor
from .models import TravelAlertKind, TravelAlertStatus
from .rules import WELFARE_KEYS
from .validation import country_name
from .welfare import WELFARE_QUESTIONS


def _actor(request: HttpRequest) -> Actor:
    """Roles without travel_alert.view get 404, as if the pages did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.TRAVEL_ALERT_VIEW):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if exc.status == 403:
        return PermissionDenied()
    return exc


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", "open")
    if status not in selectors.ALERT_FILTERS:
        status = "open"
    page = selectors.travel_alert_list(
        actor=actor, status=status, page_number=request.GET.get("page", 1)
    )
    return render(
        request,
        "safetravel/alerts/list.html",
        {"page": page, "status": status, "filters": _filters()},
    )


def _filters() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]


@login_required
def alert_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        view = selectors.travel_alert_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    snapshot = view.snapshot
    trip = snapshot.get("trip", {})
    welfare = snapshot.get("welfare", {})
    return render(
        request,
        "safetravel/alerts/detail.html",
        {
            "view": view,
            "alert": view.alert,
            "traveller": snapshot.get("traveller", {}),
            "trip": trip,
            "country": country_name(trip.get("destination_country")),
            "access": snapshot.get("last_access", {}),
            "contacts": snapshot.get("contacts", []),
            "welfare": [
                {"question": WELFARE_QUESTIONS[key], "answer": welfare[key]}
                for key in WELFARE_KEYS
                if key in welfare
            ],
            "is_duress": view.alert.kind == TravelAlertKind.DURESS,
            "can_open_person": actor.can(Perm.PERSON_CREATE) and view.alert.person_id is None,
            "closed": view.alert.status == TravelAlertStatus.CLOSED,
        },
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        alert = travel_alert_for_actor(actor, public_id)
        services.travel_alert_acknowledge(actor=actor, alert=alert)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    messages.success(request, _("You have taken this alert."))
    return redirect("safetravel:alert_detail", public_id=alert.public_id)


@login_required
@require_POST
def alert_open_person(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        alert = travel_alert_for_actor(actor, public_id)
        person = services.travel_alert_open_person(actor=actor, alert=alert)
    except ApplicationError as exc:
        if exc.status == 400:
            messages.error(request, str(exc.message))
            return redirect("safetravel:alert_detail", public_id=public_id)
        raise _page_error(exc) from exc
    messages.success(request, _("Person record opened from the travel alert."))
    return redirect("people:detail", public_id=person.public_id)


@login_required
@require_POST
def alert_close(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        alert = travel_alert_for_actor(actor, public_id)
        services.travel_alert_close(actor=actor, alert=alert)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    messages.success(request, _("Alert closed."))
    return redirect("safetravel:alerts")
