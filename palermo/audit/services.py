"""Writing to the audit log. Every service write calls `audit_record` inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from palermo.vault.keys import audit_chain_key

from .chain import GENESIS_HASH, link_hash
from .context import current_request_id
from .models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from palermo.accounts.actors import Actor
    from palermo.accounts.models import Organisation


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    field_groups: Iterable[str] = (),
    details: Mapping[str, Any] | None = None,
    purpose: str | None = None,
    subject_organisation: Organisation | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (or a new one).

    `subject_organisation` is the owner organisation of the record concerned: pass it for
    every event about one organisation's record (a person's owner_organisation), so that
    organisation's supervisors see the event even when another organisation's user caused it.

    Every PALERMO_AUDIT_CHECKPOINT_EVERY events, the event is anchored outside the database
    once the transaction commits (palermo/audit/anchors.py).
    """
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
            subject_organisation=subject_organisation,
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
        every = settings.PALERMO_AUDIT_CHECKPOINT_EVERY
        if every > 0 and event.sequence % every == 0:
            _checkpoint_after_commit(event)
    return event


def _checkpoint_after_commit(event: AuditEvent) -> None:
    # After commit only: an anchor of an event that was rolled back would later read as
    # "removed". robust: a failed write is logged and never fails the request that committed.
    from .anchors import anchor_event

    sequence, digest = event.sequence, event.hash
    transaction.on_commit(lambda: anchor_event(sequence, digest), robust=True)


def audit_read(
    *,
    actor: Actor,
    object_type: str,
    object_id: str,
    field_groups: Iterable[str],
    details: Mapping[str, Any] | None = None,
    subject_organisation: Organisation | None = None,
) -> AuditEvent | None:
    """Record that personal field groups of a record were shown to the actor.

    `subject_organisation`: the record's owner organisation (see `audit_record`).
    """
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
        subject_organisation=subject_organisation,
    )
