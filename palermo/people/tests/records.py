"""Persons registered through the real service, and snapshots to prove nothing changed."""

from __future__ import annotations

from typing import Any

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.people import services
from palermo.people.models import Person
from palermo.testing import actor_for

OLENA: dict[str, Any] = {
    "first_name": "Олена",
    "second_name": "Коваленко",
    "birthdate": "1999-04-02",
    "gender": "Feminine",
    "identity_number": "AB 123-456",
    "email": "Olena.K@Example.org",
    "mobile_phone": "+380 67 123 4567",
    "mailing_city": "Kyiv",
    "mailing_country": "UA",
}


def register(membership: Membership, **fields: Any) -> Person:
    """A person registered by `membership`'s actor through `services.person_create`."""
    return services.person_create(actor=actor_for(membership), data=fields or dict(OLENA))


def snapshot() -> tuple[Any, ...]:
    """Everything a refused write must leave alone: the persons as stored, and the audit log."""
    rows = tuple(
        Person.objects.order_by("pk").values_list(
            "pk", "updated_at", "bidx_first_name", "bidx_full_name", "gender", "citizenship"
        )
    )
    decrypted = tuple(
        (p.first_name, p.second_name, p.birthdate, p.mobile_phone, p.mailing_city)
        for p in Person.objects.order_by("pk")
    )
    return rows, decrypted, AuditEvent.objects.count()


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
