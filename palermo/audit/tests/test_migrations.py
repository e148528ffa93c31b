"""The audit migrations: in step with the models, and reversible."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from palermo.audit.append_only import PROTECTING_TRIGGERS, missing_triggers


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
