"""`palermo audit verify` against a log tampered with directly in the database.

The attacker here can run SQL: drops the append-only triggers, changes or deletes rows, and
puts the triggers back. The chain (and its head) must still name the first bad event.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from palermo.accounts.models import Membership
from palermo.audit.models import AuditChainHead, AuditEvent

from .events import record
from .tampering import raw_delete, raw_update, triggers_dropped


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def verify(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `audit verify`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def five_events(worker_a: Membership) -> None:
    record(worker_a, 5)


@pytest.mark.django_db
def test_an_empty_log_is_intact() -> None:
    assert verify() == (0, "Audit log intact: 0 events verified against 0 anchors.\n", "")


@pytest.mark.usefixtures("five_events")
def test_an_untouched_log_is_intact() -> None:
    assert verify() == (0, "Audit log intact: 5 events verified against 0 anchors.\n", "")


@pytest.mark.usefixtures("five_events")
def test_the_progress_bar_goes_to_a_terminal_on_stderr() -> None:
    err = TerminalStream()
    call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert "Verifying" in err.getvalue() and "/5 " in err.getvalue()
    quiet = TerminalStream()
    call_command("audit", "verify", "--no-progress", stdout=io.StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


@pytest.mark.usefixtures("five_events")
@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("action", "person.list", "its content does not match its hash"),
        ("actor_label", "someone_else", "its content does not match its hash"),
        ("object_id", "another-person", "its content does not match its hash"),
        ("purpose", "research", "its content does not match its hash"),
        ("request_id", "forged", "its content does not match its hash"),
        ("occurred_at", datetime(2020, 1, 1, tzinfo=UTC), "its content does not match its hash"),
        ("hash", "f" * 64, "its content does not match its hash"),
        ("previous_hash", "f" * 64, "its link to the previous event does not match"),
    ],
)
def test_an_edited_row_is_named(column: str, value: object, reason: str) -> None:
    with triggers_dropped():
        raw_update(3, column, value)
    code, out, err = verify()
    assert (code, out) == (1, "")
    # The chain names the event first. (Backdated to 2020, the event is also older than any
    # anchor could be missing for: the anchor check adds its own line after this one.)
    assert err.splitlines()[0] == f"Audit log BROKEN at event #3: {reason}"
    assert len(err.splitlines()) == (2 if column == "occurred_at" else 1)


@pytest.mark.usefixtures("five_events")
def test_an_edited_json_column_is_named() -> None:
    # jsonb on PostgreSQL, text on SQLite: both take a JSON document written as text.
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET field_groups = %s{cast} WHERE sequence = 2",  # noqa: S608
            ['["contact"]'],
        )
    code, _out, err = verify()
    assert (code, err) == (1, "Audit log BROKEN at event #2: its content does not match its hash\n")


@pytest.mark.usefixtures("five_events")
def test_a_row_deleted_in_the_middle_is_named() -> None:
    with triggers_dropped():
        raw_delete(3)
    assert verify() == (1, "", "Audit log BROKEN at event #3: the event is missing\n")


@pytest.mark.usefixtures("five_events")
def test_rows_deleted_from_the_end_are_caught_by_the_head() -> None:
    with triggers_dropped():
        raw_delete(4, 5)
    assert verify() == (
        1,
        "",
        "Audit log BROKEN at event #4: events 4 to 5 are missing "
        "(the chain head records 5 events)\n",
    )


@pytest.mark.usefixtures("five_events")
def test_the_last_row_deleted_is_caught_by_the_head() -> None:
    with triggers_dropped():
        raw_delete(5)
    code, _out, err = verify()
    assert (code, err) == (
        1,
        "Audit log BROKEN at event #5: the event is missing (the chain head records 5 events)\n",
    )


@pytest.mark.usefixtures("five_events")
def test_a_deleted_head_is_reported() -> None:
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead")
    code, _out, err = verify()
    assert (code, err) == (1, "Audit log BROKEN at event #1: the chain head is missing\n")


@pytest.mark.usefixtures("five_events")
def test_a_head_wound_back_leaves_events_beyond_it() -> None:
    third = AuditEvent.objects.get(sequence=3)
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET sequence = %s, hash = %s", [3, third.hash])
    code, _out, err = verify()
    assert (code, err) == (
        1,
        "Audit log BROKEN at event #4: the event is beyond the chain head (which ends at 3)\n",
    )


@pytest.mark.usefixtures("five_events")
def test_a_forged_head_hash_is_reported() -> None:
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET hash = %s", ["e" * 64])
    code, _out, err = verify()
    assert (code, err) == (
        1,
        "Audit log BROKEN at event #5: its hash does not match the chain head\n",
    )


@pytest.mark.usefixtures("five_events")
def test_missing_triggers_are_reported_even_when_the_chain_is_intact() -> None:
    with triggers_dropped():
        code, out, err = verify()
    assert code == 1
    assert out == "Audit log intact: 5 events verified against 0 anchors.\n"
    assert err.startswith("Audit log UNPROTECTED:")
    assert "audit_auditevent_no_update" in err and "audit_auditevent_no_delete" in err


@pytest.mark.django_db
def test_appending_after_verification_keeps_the_log_intact(worker_a: Membership) -> None:
    record(worker_a, 2)
    assert verify()[0] == 0
    record(worker_a, 2)
    assert verify() == (0, "Audit log intact: 4 events verified against 0 anchors.\n", "")
    assert AuditChainHead.objects.get().sequence == 4
