"""The hand-off to the hotline: alerts in the operators' queue, and to intake when it exists.

An urgent alert, a duress check-in or (with the traveller's consent) a worrying welfare check
becomes a TravelAlert owned by the hotline organisation
(settings.PALERMO_TRAVEL_HOTLINE_ORGANISATION: its public id or exact name). Without that
setting the alert has no organisation and every role with `travel_alert.view` sees it (a
system check warns).

After the alert commits: the `travel_alert_created` signal is sent, and if the intake module
provides `palermo.intake.services.contact_open_from_travel_alert(*, alert)` it is called; what
it returns (an object with `reference`, or a string) is kept as `intake_reference`. A failure
there is logged and never loses the alert: it stays in the queue.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.accounts.roles import FieldGroup, Purpose
from palermo.audit.services import audit_record

from . import geo
from .models import TravelAlert, TravelAlertKind, Trip
from .signals import travel_alert_created

logger = logging.getLogger(__name__)

INTAKE_HOOK = "palermo.intake.services.contact_open_from_travel_alert"
ALERT_FIELD_GROUPS = (FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.LOCATION)

SCHEDULER = Actor.system("safe-travel scheduler", purpose=Purpose.ASSISTANCE)


def hotline_organisation() -> Organisation | None:
    """The organisation whose operators receive travel alerts (None when not configured)."""
    configured: str = settings.PALERMO_TRAVEL_HOTLINE_ORGANISATION.strip()
    if not configured:
        return None
    try:
        return Organisation.objects.filter(public_id=uuid.UUID(configured)).first()
    except ValueError:
        return Organisation.objects.filter(name=configured).order_by("id").first()


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot_of(trip: Trip, *, welfare: dict[str, str] | None = None) -> dict[str, Any]:
    """What the hotline keeps with an alert: enough to act even if the trip is purged."""
    traveller = trip.traveller
    place = geo.resolve(trip.last_access_ip) if trip.last_access_ip else None
    contacts = [
        {
            "name": c.name,
            "phone": c.phone or "",
            "email": c.email or "",
            "language": c.language,
            "confirmed": c.is_confirmed,
        }
        for c in trip.contacts.all()
    ]
    return {
        "traveller": {
            "reference": traveller.reference,
            "name": traveller.display_name or "",
            "phone": traveller.phone or "",
            "email": traveller.email or "",
            "language": traveller.language,
            "time_zone": traveller.time_zone,
        },
        "trip": {
            "reference": trip.reference,
            "destination_country": trip.destination_country or "",
            "destination_city": trip.destination_city or "",
            "start_date": trip.start_date.isoformat() if trip.start_date else "",
            "end_date": trip.end_date.isoformat() if trip.end_date else "",
            "employer": trip.employer or "",
            "recruiter": trip.recruiter or "",
            "address_abroad": trip.address_abroad or "",
            "travel_mode": trip.travel_mode or "",
            "notes": trip.notes or "",
            "last_checkin_at": _time(trip.last_checkin_at),
            "episode_due_at": _time(trip.episode_due_at),
        },
        "last_access": {
            "ip": trip.last_access_ip or "",
            "country_code": place.country_code if place else "",
            "country": place.country_name if place else "",
            "city": place.city if place else "",
            "at": _time(trip.last_access_at),
        },
        "contacts": contacts,
        "welfare": dict(welfare or {}),
    }


def travel_alert_raise(
    *,
    trip: Trip,
    kind: str,
    at: datetime.datetime,
    episode_due_at: datetime.datetime | None,
    welfare: dict[str, str] | None = None,
) -> TravelAlert | None:
    """Put an alert in the hotline's queue, once per trip, kind and episode.

    Returns the new alert, or None if it exists already. Call inside the transaction of the
    step (or check-in) that raises it; the signal and the intake hook run after commit.
    """
    key_time = episode_due_at or at
    dedupe_key = f"{trip.public_id.hex}:{kind}:{int(key_time.timestamp())}"
    if TravelAlert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    alert = TravelAlert.objects.create(
        kind=kind,
        is_test=trip.is_test,
        trip=trip,
        organisation=hotline_organisation(),
        dedupe_key=dedupe_key,
        episode_due_at=episode_due_at,
        raised_at=at,
        snapshot_text=json.dumps(snapshot_of(trip, welfare=welfare), ensure_ascii=False),
    )
    audit_record(
        actor=SCHEDULER,
        action="travel_alert.raise",
        object_type="travel_alert",
        object_id=str(alert.public_id),
        field_groups=[str(g) for g in ALERT_FIELD_GROUPS],
        details={"kind": kind, "trip": trip.reference, "test": trip.is_test},
    )
    alert_id = alert.pk
    transaction.on_commit(lambda: announce(alert_id))
    return alert


def _intake_hook() -> Any:
    try:
        return import_string(INTAKE_HOOK)
    except ImportError:
        return None


def announce(alert_id: int) -> None:
    """After commit: tell subscribers, and hand the alert to intake if it takes them."""
    alert = TravelAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        return
    try:
        travel_alert_created.send(sender=TravelAlert, alert=alert)
    except Exception:
        logger.exception("A travel_alert_created receiver failed for %s", alert.reference)
    hook = _intake_hook()
    if hook is None:
        return
    try:
        result = hook(alert=alert)
    except Exception:
        logger.exception(
            "Intake could not open a contact from %s; it stays queued.", alert.reference
        )
        return
    reference = getattr(result, "reference", None) or (result if isinstance(result, str) else "")
    if reference:
        TravelAlert.objects.filter(pk=alert.pk).update(intake_reference=str(reference)[:64])


KIND_LABELS = dict(TravelAlertKind.choices)
