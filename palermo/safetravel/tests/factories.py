"""Travellers, trips and contacts for tests, made through the real services."""

from __future__ import annotations

import datetime
from typing import Any

from palermo.safetravel import services
from palermo.safetravel.models import Traveller, Trip, TrustedContact
from palermo.safetravel.pins import hash_pin

PIN = "482915"
DURESS_PIN = "739164"
T0 = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=datetime.UTC)


def make_traveller(
    *,
    name: str = "Olena Kovalenko",
    phone: str | None = "+380671234567",
    email: str | None = "olena@example.org",
    language: str = "uk",
    time_zone: str = "Europe/Kyiv",
    **fields: Any,
) -> Traveller:
    traveller = Traveller.objects.create(
        display_name=name,
        phone=phone,
        bidx_phone=services.phone_index(phone) if phone else "",
        phone_verified_at=T0 if phone else None,
        email=email,
        bidx_email=services.email_index(email) if email else "",
        email_verified_at=T0 if email else None,
        pin_hash=hash_pin(PIN),
        duress_pin_hash=hash_pin(DURESS_PIN),
        language=language,
        time_zone=time_zone,
        **fields,
    )
    return traveller


TRIP = {
    "destination_country": "PL",
    "destination_city": "Wrocław",
    "start_date": "2025-03-01",
    "end_date": "2025-09-30",
    "employer": "Agro Fields Sp. z o.o.",
    "recruiter": "Fast Jobs Abroad SRL",
    "address_abroad": "ul. Polna 3, Wrocław",
    "travel_mode": "bus",
    "schedule_kind": "interval",
    "interval_hours": "12",
}


def make_trip(traveller: Traveller, **overrides: Any) -> Trip:
    return services.trip_create(traveller=traveller, data={**TRIP, **overrides})


def add_contact(
    traveller: Traveller,
    trip: Trip,
    *,
    name: str = "Ivan Kovalenko",
    phone: str = "+380501112233",
    email: str = "",
    language: str = "uk",
    confirm: bool = True,
    at: datetime.datetime = T0,
) -> TrustedContact:
    contact = services.contact_add(
        traveller=traveller,
        trip=trip,
        data={"name": name, "phone": phone, "email": email, "language": language},
    )
    if confirm:
        tokens: list[str] = []

        def url(token: str) -> str:
            tokens.append(token)
            return f"https://palermo.example/travel/c/{token}/"

        services.contact_invite(traveller=traveller, contact=contact, confirm_url_for=url, at=at)
        services.contact_confirm(token=tokens[0], at=at)
        contact.refresh_from_db()
    return contact


def armed_trip(
    *,
    at: datetime.datetime = T0,
    traveller: Traveller | None = None,
    contacts: int = 1,
    **trip_fields: Any,
) -> Trip:
    """An armed trip: due every 12 hours from `at`, with `contacts` confirmed contacts."""
    traveller = traveller or make_traveller()
    trip = make_trip(traveller, **trip_fields)
    for n in range(contacts):
        add_contact(traveller, trip, name=f"Contact {n}", phone=f"+38050111220{n}", at=at)
    return services.trip_arm(traveller=traveller, trip=trip, at=at)
