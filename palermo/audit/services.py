"""Writing to the audit log. Every service write calls `audit_record` inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from palermo.vault.keys import audit_chain_key

from .chain import GENESIS_HASH, link_hash
from .context import current_request_id
from .models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from palermo.accounts.actors import Actor


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    field_groups: Iterable[str] = (),
    details: Mapping[str, Any] | None = None,
    purpose: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (or a new one)."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"sequence": 0, "hash": GENESIS_HASH}
        )
        event = AuditEvent(
            sequence=head.sequence + 1,
            occurred_at=timezone.now(),
            actor=actor.user if actor else None,
            actor_label=actor.label if actor else "system",
            organisation=actor.organisation if actor else None,
            action=action,
            purpose=purpose if purpose is not None else (actor.purpose if actor else ""),
            object_type=object_type,
            object_id=str(object_id),
            field_groups=sorted(set(field_groups)),
            details=dict(details or {}),
            request_id=current_request_id(),
            previous_hash=head.hash,
        )
        event.hash = link_hash(audit_chain_key(), head.hash, event.chained_content())
        event.save()
        head.sequence = event.sequence
        head.hash = event.hash
        head.save(update_fields=["sequence", "hash"])
    return event


def audit_read(
    *,
    actor: Actor,
    object_type: str,
    object_id: str,
    field_groups: Iterable[str],
    details: Mapping[str, Any] | None = None,
) -> AuditEvent | None:
    """Record that personal field groups of a record were shown to the actor."""
    groups = sorted(set(field_groups))
    if not groups:
        return None
    return audit_record(
        actor=actor,
        action=f"{object_type}.read",
        object_type=object_type,
        object_id=object_id,
        field_groups=groups,
        details=details,
    )
