"""Audit events written through the real service, for the audit tests."""

from __future__ import annotations

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.audit.services import audit_record
from palermo.testing import actor_for


def record(membership: Membership, count: int = 1, **fields: object) -> list[AuditEvent]:
    """`count` events by `membership`'s actor, through the real service."""
    defaults: dict[str, object] = {
        "action": "person.read",
        "object_type": "person",
        "field_groups": ["identity"],
    }
    return [
        audit_record(actor=actor_for(membership), **{**defaults, **fields})  # type: ignore[arg-type]
        for _ in range(count)
    ]
