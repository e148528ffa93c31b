"""Contacts made through the real services, and snapshots to prove nothing changed."""

from __future__ import annotations

from typing import Any

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.intake import services
from palermo.intake.models import Contact, Escalation, Identifier
from palermo.testing import actor_for

CALL: dict[str, Any] = {
    "channel": "phone",
    "category": "tip",
    "urgency": 2,
    "caller_type": "community",
    "language": "ro",
    "narrative": (
        "Un șofer a văzut microbuzul ABC 123 lăsând fete la camioane lângă Ungheni. "
        "Recrutorul sună de pe 069 123 456 și scrie la recrutor.bun@mail.md."
    ),
    "reporter_phone": "+373 79 555 123",
}


def record(membership: Membership, **fields: Any) -> Contact:
    data = dict(CALL)
    data.update(fields)
    return services.contact_create(actor=actor_for(membership), data=data)


def snapshot() -> tuple[Any, ...]:
    """Everything a refused write must leave alone."""
    rows = tuple(
        Contact.objects.order_by("pk").values_list(
            "pk", "status", "category", "urgency", "assigned_to", "updated_at"
        )
    )
    return (
        rows,
        Identifier.objects.count(),
        Escalation.objects.count(),
        AuditEvent.objects.count(),
    )


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
