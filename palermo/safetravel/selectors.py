"""Reads for the traveller's pages and the hotline's queue: access-checked and, where personal
data is shown to staff, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FieldGroup, Perm
from palermo.audit.services import audit_read, audit_record
from palermo.errors import Forbidden

from .access import travel_alert_for_actor, travel_alerts_visible_to
from .hotline import ALERT_FIELD_GROUPS
from .models import (
    EVENTS_HIDDEN_FROM_TRAVELLER,
    HIDDEN_FROM_TRAVELLER,
    CheckIn,
    EscalationStep,
    TravelAlert,
    TravelAlertStatus,
    Traveller,
    Trip,
    TripEvent,
)
from .services import email_index, phone_index

ALERT_FILTERS = ("open", "all", "closed")


# --- the traveller's own records -------------------------------------------------------------


def traveller_by_phone(phone: str, default_region: str | None = None) -> Traveller | None:
    """The account registered with this phone number (for SMS check-ins and sign-in)."""
    digest = phone_index(phone, default_region)
    return Traveller.objects.filter(bidx_phone=digest).first() if digest else None


def traveller_by_email(email: str) -> Traveller | None:
    digest = email_index(email)
    return Traveller.objects.filter(bidx_email=digest).first() if digest else None


def traveller_trips(*, traveller: Traveller) -> QuerySet[Trip]:
    return Trip.objects.filter(traveller=traveller).order_by("-created_at", "-id")


def traveller_history(*, traveller: Traveller, trip: Trip) -> list[TripEvent]:
    """The trip's history as the traveller may see it (pages, export, SMS): neither the silent
    alert nor the all clear ever appears, so nothing in it tells a duress check-in from a
    normal one."""
    if trip.traveller_id != traveller.pk:
        return []
    return list(
        trip.events.filter(traveller_visible=True)
        .exclude(kind__in=EVENTS_HIDDEN_FROM_TRAVELLER)
        .order_by("at", "id")
    )


def traveller_checkins(*, traveller: Traveller, trip: Trip, limit: int = 50) -> list[CheckIn]:
    """Check-ins as the traveller made them (templates must not show `duress`)."""
    if trip.traveller_id != traveller.pk:
        return []
    return list(trip.checkins.order_by("-at", "-id")[:limit])


def traveller_steps(*, traveller: Traveller, trip: Trip) -> list[EscalationStep]:
    """Escalation steps of the trip the traveller may see (no silent alert, no all clear)."""
    if trip.traveller_id != traveller.pk:
        return []
    return list(trip.steps.exclude(kind__in=HIDDEN_FROM_TRAVELLER).order_by("scheduled_at", "id"))


# --- the hotline's queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    alert: TravelAlert
    snapshot: dict[str, Any]

    @property
    def public_id(self) -> UUID:
        return self.alert.public_id

    @property
    def traveller_name(self) -> str:
        return str(self.snapshot.get("traveller", {}).get("name") or self.alert.reference)

    @property
    def destination(self) -> str:
        trip = self.snapshot.get("trip", {})
        return ", ".join(
            p for p in (trip.get("destination_city"), trip.get("destination_country")) if p
        )


def _require(actor: Actor) -> None:
    if actor.user is None or actor.organisation is None or not actor.can(Perm.TRAVEL_ALERT_VIEW):
        raise Forbidden()


def travel_alert_list(
    *, actor: Actor, status: str = "open", page_number: int | str = 1, per_page: int = 25
) -> Page[AlertView]:
    """The queue, newest first; 'open' is everything not closed. Names shown are a read of the
    identity group: one audit event per page."""
    _require(actor)
    alerts = travel_alerts_visible_to(actor)
    if status == "open":
        alerts = alerts.exclude(status=TravelAlertStatus.CLOSED)
    elif status == "closed":
        alerts = alerts.filter(status=TravelAlertStatus.CLOSED)
    paginator = Paginator(alerts.order_by("-raised_at", "-id"), per_page)
    page = paginator.get_page(page_number)
    views = [AlertView(a, a.snapshot) for a in page.object_list]
    if views:
        audit_record(
            actor=actor,
            action="travel_alert.list",
            object_type="travel_alert",
            field_groups=[str(FieldGroup.IDENTITY)],
            details={"alerts": [str(v.public_id) for v in views]},
        )
    return Page(views, page.number, paginator)  # type: ignore[arg-type]


def travel_alert_detail(*, actor: Actor, public_id: UUID | str) -> AlertView:
    """One alert with its trip attached: the read of identity, contact and location is audited."""
    _require(actor)
    alert = travel_alert_for_actor(actor, public_id)
    audit_read(
        actor=actor,
        object_type="travel_alert",
        object_id=str(alert.public_id),
        field_groups=[str(g) for g in ALERT_FIELD_GROUPS],
    )
    return AlertView(alert, alert.snapshot)


def open_alert_count(*, actor: Actor) -> int:
    return travel_alerts_visible_to(actor).filter(status=TravelAlertStatus.OPEN).count()
