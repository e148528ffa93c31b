"""Writing to the audit log. Every service write calls `audit_record` inside its transaction."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from palermo.fastsql import column, table
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
    return _append(
        [
            _pending_event(
                actor,
                action,
                object_type,
                object_id,
                field_groups,
                details,
                purpose,
                subject_organisation,
            )
        ]
    )[0]


def _pending_event(
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str,
    field_groups: Iterable[str],
    details: Mapping[str, Any] | None,
    purpose: str | None,
    subject_organisation: Organisation | None,
) -> AuditEvent:
    """An event not yet in the chain (no sequence, time or hash)."""
    return AuditEvent(
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
    )


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Link the events to the chain, in order, under one lock of the chain head."""
    with transaction.atomic():
        sequence, previous = _locked_head()
        key = audit_chain_key()
        now = timezone.now()
        for event in events:
            sequence += 1
            event.sequence = sequence
            event.occurred_at = now
            event.previous_hash = previous
            event.hash = previous = link_hash(key, previous, event.chained_content())
        AuditEvent.objects.bulk_create(events)
        with connection.cursor() as cursor:
            cursor.execute(_move_head_sql(connection.vendor), [sequence, previous, _HEAD])
        every = settings.PALERMO_AUDIT_CHECKPOINT_EVERY
        if every > 0:
            for event in events:
                if event.sequence % every == 0:
                    _checkpoint_after_commit(event)
    return events


_HEAD = 1  # the chain head's one row


def _locked_head() -> tuple[int, str]:
    """The chain head's sequence and hash, its row locked until the transaction ends (SQLite:
    the IMMEDIATE transaction holds the database's write lock already). SQL built once: every
    page that shows personal data appends to the chain."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_head_sql(connection.vendor), [_HEAD])
        row = cursor.fetchone()
    if row is None:  # the first event ever
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=_HEAD, defaults={"sequence": 0, "hash": GENESIS_HASH}
        )
        return head.sequence, head.hash
    return int(row[0]), str(row[1])


@cache
def _lock_head_sql(vendor: str) -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {column(AuditChainHead, 'sequence')}, {column(AuditChainHead, 'hash')} "  # noqa: S608 - from model metadata
        f"FROM {table(AuditChainHead)} WHERE {column(AuditChainHead, 'id')} = %s{lock}"
    )


@cache
def _move_head_sql(vendor: str) -> str:
    return (
        f"UPDATE {table(AuditChainHead)} SET {column(AuditChainHead, 'sequence')} = %s, "  # noqa: S608 - from model metadata
        f"{column(AuditChainHead, 'hash')} = %s WHERE {column(AuditChainHead, 'id')} = %s"
    )


def _checkpoint_after_commit(event: AuditEvent) -> None:
    # After commit only: an anchor of an event that was rolled back would later read as
    # "removed". robust: a failed write is logged and never fails the request that committed.
    from .anchors import anchor_event

    sequence, digest = event.sequence, event.hash
    transaction.on_commit(lambda: anchor_event(sequence, digest), robust=True)


# The reads of the request in progress, written together when it is answered (see
# `reads_written_together`); None outside such a request.
_deferred_reads: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "palermo_deferred_audit_reads", default=None
)


@contextmanager
def reads_written_together() -> Iterator[None]:
    """Reads audited inside are linked to the chain at the end, in one transaction.

    A page that shows five sections makes five read events; written one by one, each takes
    the chain head's lock and waits for its own commit. Together they take it once. They are
    written before the block is left, so before the response they describe is sent; if the
    write fails, the exception leaves the block (the page is answered with an error and shows
    nothing). A block left by an exception writes nothing: no page was answered.
    Writes (`audit_record`) are never deferred: they belong to their caller's transaction.
    """
    pending: list[AuditEvent] = []
    token = _deferred_reads.set(pending)
    try:
        yield
    finally:
        _deferred_reads.reset(token)
    if pending:
        _append(pending)


def audit_read(
    *,
    actor: Actor,
    object_type: str,
    object_id: str,
    field_groups: Iterable[str],
    details: Mapping[str, Any] | None = None,
    subject_organisation: Organisation | None = None,
    action: str = "",
) -> AuditEvent | None:
    """Record that personal field groups of a record were shown to the actor.

    `subject_organisation`: the record's owner organisation (see `audit_record`). `action`:
    what the read was, when not "<object_type>.read" (a list: "case.list").
    """
    groups = sorted(set(field_groups))
    if not groups:
        return None
    deferred = _deferred_reads.get()
    if deferred is not None:
        name = action or f"{object_type}.read"
        event = _pending_event(actor, name, object_type, object_id, groups, details, None,
                               subject_organisation)  # fmt: skip
        deferred.append(event)
        return event
    return audit_record(
        actor=actor,
        action=action or f"{object_type}.read",
        object_type=object_type,
        object_id=object_id,
        field_groups=groups,
        details=details,
        subject_organisation=subject_organisation,
    )
