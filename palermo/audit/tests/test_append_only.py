"""The database itself refuses to change or delete audit events, or to wind the head back."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from palermo.accounts.models import Membership
from palermo.audit.append_only import PROTECTING_TRIGGERS, missing_triggers
from palermo.audit.models import AuditChainHead, AuditEvent

from .events import record


def refused(sql: str, params: list[object] | None = None) -> None:
    """Run `sql` and expect the trigger's refusal; the savepoint keeps the test usable."""
    with pytest.raises(DatabaseError, match="append-only|only moves forward"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.fixture
def events(worker_a: Membership) -> list[AuditEvent]:
    return record(worker_a, 3)


@pytest.mark.django_db
def test_the_migrated_database_has_every_trigger() -> None:
    assert connection.vendor in PROTECTING_TRIGGERS
    assert missing_triggers() == []


@pytest.mark.usefixtures("events")
def test_update_and_delete_of_events_are_refused() -> None:
    refused("UPDATE audit_auditevent SET action = 'person.list' WHERE sequence = 2")
    refused("DELETE FROM audit_auditevent WHERE sequence = 3")
    refused("DELETE FROM audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(purpose="research")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).delete()  # a queryset skips Model.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(sequence=1)._raw_delete(connection.alias)
    assert list(AuditEvent.objects.values_list("sequence", "action")) == [
        (1, "person.read"),
        (2, "person.read"),
        (3, "person.read"),
    ]


@pytest.mark.usefixtures("events")
def test_truncate_is_refused_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    # The test's own inserts leave deferred foreign-key checks, which TRUNCATE refuses first.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused("TRUNCATE audit_auditevent")
    refused("TRUNCATE audit_auditchainhead")


@pytest.mark.usefixtures("events")
def test_the_head_only_moves_forward() -> None:
    refused("UPDATE audit_auditchainhead SET sequence = 2")
    refused("UPDATE audit_auditchainhead SET hash = 'x'")
    refused("UPDATE audit_auditchainhead SET id = 2")
    refused("DELETE FROM audit_auditchainhead")
    assert AuditChainHead.objects.get().sequence == 3


def test_appending_still_works_under_the_triggers(events: list[AuditEvent]) -> None:
    (event,) = record(Membership.objects.get(user__username="worker_a"))
    assert event.sequence == 4 and event.previous_hash == events[-1].hash
