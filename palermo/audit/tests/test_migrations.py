"""The audit migrations: in step with the models, and reversible."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from palermo.accounts.models import Membership
from palermo.audit.append_only import PROTECTING_TRIGGERS, missing_triggers

from .events import record
from .test_verify_command import verify


@pytest.mark.django_db
def test_the_models_need_no_new_migration() -> None:
    call_command("makemigrations", "audit", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_trigger_migration_is_reversible() -> None:
    call_command("migrate", "audit", "0001", verbosity=0)
    try:
        assert missing_triggers() == list(PROTECTING_TRIGGERS[connection.vendor])
    finally:
        call_command("migrate", "audit", verbosity=0)
    assert missing_triggers() == []


@pytest.mark.django_db(transaction=True)
def test_the_subject_organisation_migration_keeps_the_triggers_both_ways(
    worker_a: Membership,
) -> None:
    """SQLite rebuilds the table to drop a foreign-key column, which drops its triggers:
    0004 puts them back, and verify's trigger check passes at every step."""
    record(worker_a, 3)  # rows to carry through the rebuild
    call_command("migrate", "audit", "0003", verbosity=0)
    try:
        assert missing_triggers() == []
        columns = [
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), "audit_auditevent"
            )
        ]
        assert "subject_organisation_id" not in columns
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
            assert cursor.fetchone() == (3,)
    finally:
        call_command("migrate", "audit", verbosity=0)
    assert missing_triggers() == []
    # Events written before the column existed still verify, and the triggers still refuse.
    code, out, err = verify()
    assert (code, err) == (0, "") and out.startswith("Audit log intact: 3 events verified")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
