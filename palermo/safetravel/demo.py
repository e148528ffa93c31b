"""Demo safe-travel records: travellers abroad, their contacts, check-ins, and the hotline's alerts.

Deterministic from the seed (names, places, times relative to the load). Made through the real
services and one real scheduler run per missed check-in, so the alerts queue shows what the
ladder really produces: an urgent alert (check-ins stopped), a silent alarm (duress PIN) and a
worrying welfare check, routed to the demo hotline. Every demo traveller's PIN is DEMO_PIN.
Messages are recorded, not sent (the demo has no real SMS gateway).
"""

from __future__ import annotations

import datetime
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import scheduler, services
from .models import Notification, NotificationStatus, TravelAlert, Traveller, Trip
from .pins import hash_pin

DEMO_PIN = "246810"
DEMO_DURESS_PIN = "975312"
_NAMESPACE = uuid.UUID("5b1f6a3e-8f0c-4d52-9a51-7e7cf0d5a001")
MAX_TRAVELLERS = 50

# name, phone, language, time zone, destination (country, city), employer, recruiter, story
TRAVELLERS: tuple[tuple[str, str, str, str, str, str, str, str, str], ...] = (
    (
        "Ana Rusu",
        "+37369100201",
        "ro",
        "Europe/Chisinau",
        "IT",
        "Foggia",
        "Azienda Agricola Sole",
        "Muncă Peste Hotare SRL",
        "missed",
    ),
    (
        "Olena Kovalenko",
        "+380671000202",
        "uk",
        "Europe/Kyiv",
        "PL",
        "Wrocław",
        "Agro Fields Sp. z o.o.",
        "Fast Jobs Abroad",
        "duress",
    ),
    (
        "Ion Ceban",
        "+37369100203",
        "ro",
        "Europe/Chisinau",
        "DE",
        "Leipzig",
        "Logistik Ost GmbH",
        "EuroWork Agency",
        "welfare",
    ),
    (
        "Mariana Lungu",
        "+37369100204",
        "ro",
        "Europe/Chisinau",
        "IL",
        "Tel Aviv",
        "Home Care Ltd",
        "Caregivers International",
        "armed",
    ),
    (
        "Dmytro Shevchuk",
        "+380671000205",
        "uk",
        "Europe/Kyiv",
        "CZ",
        "Plzeň",
        "Auto Parts s.r.o.",
        "Job Bridge",
        "armed",
    ),
    (
        "Elena Popa",
        "+37369100206",
        "ro",
        "Europe/Chisinau",
        "ES",
        "Huelva",
        "Fresas del Sur S.L.",
        "Muncă Peste Hotare SRL",
        "ended",
    ),
    (
        "Victor Moraru",
        "+37369100207",
        "ro",
        "Europe/Chisinau",
        "GB",
        "Peterborough",
        "Fenland Packers Ltd",
        "UK Seasonal Recruit",
        "draft",
    ),
)
CONTACTS = (
    ("Maria Rusu", "+37369200301", "ro"),
    ("Petro Kovalenko", "+380501000302", "uk"),
    ("Sofia Ceban", "+37369200303", "ro"),
)


def _public_id(kind: str, n: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}-{n}")


def load_demo(context: Any) -> dict[str, int]:
    """Travellers, trips, contacts, check-ins, and alerts in the hotline's queue."""
    rng = random.Random(context.seed + 9)  # noqa: S311 - demo data, not secrets
    now = timezone.now().replace(microsecond=0)
    hotline = context.organisations.get("hotline")
    made = {"travellers": 0, "trips": 0, "alerts": 0}
    for n, (name, phone, language, tz, country, city, employer, recruiter, story) in enumerate(
        TRAVELLERS
    ):
        with transaction.atomic():
            traveller = Traveller.objects.create(
                public_id=_public_id("traveller", n),
                display_name=name,
                phone=phone,
                bidx_phone=services.phone_index(phone),
                phone_verified_at=now - datetime.timedelta(days=20),
                pin_hash=hash_pin(DEMO_PIN),
                duress_pin_hash=hash_pin(DEMO_DURESS_PIN),
                language=language,
                time_zone=tz,
                welfare_consent=story == "welfare" or rng.random() < 0.5,
                usual_activity_opt_in=rng.random() < 0.5,
            )
            made["travellers"] += 1
            start = (now - datetime.timedelta(days=rng.randint(5, 40))).date()
            trip = services.trip_create(
                traveller=traveller,
                data={
                    "destination_country": country,
                    "destination_city": city,
                    "start_date": start.isoformat(),
                    "end_date": (start + datetime.timedelta(days=180)).isoformat(),
                    "employer": employer,
                    "recruiter": recruiter,
                    "travel_mode": rng.choice(["bus", "plane", "car"]),
                    "schedule_kind": "interval",
                    "interval_hours": str(rng.choice([12, 24])),
                },
            )
            Trip.objects.filter(pk=trip.pk).update(public_id=_public_id("trip", n))
            trip.refresh_from_db()
            made["trips"] += 1
            contact_name, contact_phone, contact_language = CONTACTS[n % len(CONTACTS)]
            contact = services.contact_add(
                traveller=traveller,
                trip=trip,
                data={"name": contact_name, "phone": contact_phone, "language": contact_language},
            )
            if story == "draft":
                continue
            contact.invited_at = contact.confirmed_at = now - datetime.timedelta(days=19)
            contact.save(update_fields=["invited_at", "confirmed_at"])
            armed_at = now - datetime.timedelta(days=2)
            services.trip_arm(traveller=traveller, trip=trip, at=armed_at)
            services.access_point_record(
                traveller=traveller, ip=_demo_ip(country, rng), at=now - datetime.timedelta(hours=9)
            )
        if story == "missed":
            # The last check-in 20 hours ago; due 8 hours ago: the ladder ran to the end.
            _check_in(trip, now - datetime.timedelta(hours=20), hours=12)
            due = now - datetime.timedelta(hours=8)
            for offset in (0, 30, 120, 360):
                scheduler.run_cycle(
                    now=due + datetime.timedelta(minutes=offset, seconds=20), deliver=False
                )
        elif story == "duress":
            services.checkin_record(
                trip=trip, channel="sms", pin_kind="duress", at=now - datetime.timedelta(hours=3)
            )
        elif story == "welfare":
            services.checkin_record(
                trip=trip,
                channel="web",
                pin_kind="normal",
                at=now - datetime.timedelta(hours=5),
                ip=_demo_ip(country, rng),
                welfare_answers={
                    "holds_passport": "no",
                    "paid_as_promised": "no",
                    "free_to_leave": "yes",
                },
            )
        elif story in ("armed", "ended"):
            _check_in(trip, now - datetime.timedelta(hours=rng.randint(1, 6)), hours=None)
            if story == "ended":
                services.trip_end(
                    traveller=traveller, trip=trip, at=now - datetime.timedelta(hours=1)
                )
    # Demo messages are recorded as handed over: there is no real gateway to send them to.
    Notification.objects.filter(
        trip__public_id__in=[_public_id("trip", n) for n in range(len(TRAVELLERS))],
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING],
    ).update(status=NotificationStatus.SENT, sent_at=now, provider_message_id="demo")
    alerts = TravelAlert.objects.filter(trip__public_id__in=_trip_ids())
    if hotline is not None:
        alerts.update(organisation=hotline)
    made["alerts"] = alerts.count()
    return made


def _check_in(trip: Trip, at: datetime.datetime, hours: int | None) -> None:
    services.checkin_record(
        trip=trip,
        channel="web",
        pin_kind="normal",
        at=at,
        next_due_in=datetime.timedelta(hours=hours) if hours else None,
    )


def _demo_ip(country: str, rng: random.Random) -> str:
    # Addresses from ranges the packaged database places in each country (documentation
    # examples would resolve to nowhere).
    prefixes = {
        "IT": "151.38.", "PL": "83.24.", "DE": "91.64.", "IL": "79.176.", "CZ": "89.24.",
        "ES": "83.32.", "GB": "86.128.",
    }  # fmt: skip
    return prefixes.get(country, "81.180.") + f"{rng.randint(1, 250)}.{rng.randint(1, 250)}"


def _trip_ids() -> list[uuid.UUID]:
    return [_public_id("trip", n) for n in range(MAX_TRAVELLERS)]


def reset_demo() -> None:
    """Remove the demo travellers (their trips, contacts and messages go with them) and the
    alerts their trips raised."""
    with transaction.atomic():
        TravelAlert.objects.filter(trip__public_id__in=_trip_ids()).delete()
        Traveller.objects.filter(
            public_id__in=[_public_id("traveller", n) for n in range(MAX_TRAVELLERS)]
        ).delete()
