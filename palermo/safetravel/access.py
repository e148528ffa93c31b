"""The choke points: a traveller reaches only their own trips and contacts; an operator only
the travel alerts of their organisation (or unassigned ones). Anything else is NotFound (404).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import NotFound

from .models import TravelAlert, Traveller, Trip, TrustedContact


def public_key(public_id: UUID | str) -> UUID:
    """A UUID from a URL; anything that is not one is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def trip_for_traveller(traveller: Traveller, public_id: UUID | str) -> Trip:
    trip = (
        Trip.objects.select_related("traveller")
        .filter(traveller=traveller, public_id=public_key(public_id))
        .first()
    )
    if trip is None:
        raise NotFound()
    return trip


def contact_for_traveller(traveller: Traveller, public_id: UUID | str) -> TrustedContact:
    contact = (
        TrustedContact.objects.select_related("trip", "trip__traveller")
        .filter(trip__traveller=traveller, public_id=public_key(public_id))
        .first()
    )
    if contact is None:
        raise NotFound()
    return contact


def travel_alerts_visible_to(actor: Actor) -> QuerySet[TravelAlert]:
    """Alerts routed to the actor's organisation, and unrouted ones (no hotline configured),
    for roles holding travel_alert.view; none otherwise."""
    if actor.user is None or actor.organisation is None or not actor.can(Perm.TRAVEL_ALERT_VIEW):
        return TravelAlert.objects.none()
    return TravelAlert.objects.filter(
        Q(organisation=actor.organisation) | Q(organisation__isnull=True)
    )


def travel_alert_for_actor(actor: Actor, public_id: UUID | str) -> TravelAlert:
    alert = (
        travel_alerts_visible_to(actor)
        .select_related("trip", "person", "acknowledged_by", "closed_by")
        .filter(public_id=public_key(public_id))
        .first()
    )
    if alert is None:
        raise NotFound()
    return alert
