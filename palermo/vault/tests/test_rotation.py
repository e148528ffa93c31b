"""`palermo rotate-keys` end to end: real persons, raw columns read through the cursor."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from palermo.audit.models import AuditEvent
from palermo.people.field_groups import PERSONAL_FIELDS
from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.testing import actor_for, member
from palermo.vault import ciphers
from palermo.vault.fields import encrypted_field_names
from palermo.vault.keys import keyring
from palermo.vault.rotation import encrypted_tables

pytestmark = pytest.mark.django_db

T2_ONLY = next(item for item in settings.PALERMO_KEYS.split(",") if item.startswith("t2:"))
PEOPLE = [
    {
        "first_name": "Олена",
        "second_name": "Коваленко",
        "birthdate": "1999-04-02",
        "mobile_phone": "+380 67 123 4567",
        "mailing_city": "Chișinău",
        "mailing_latitude": "47.010452",
    },
    {"first_name": "Ion", "second_name": "Popescu", "email": "ion@example.org"},
    {"first_name": "María", "identity_number": "AB 123456"},
]


def raw_rows() -> dict[int, dict[str, str | None]]:
    columns = encrypted_field_names(Person)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {', '.join(qn(c) for c in columns)} FROM people_person"  # noqa: S608
        )
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}


def stored_values() -> list[str]:
    return [v for row in raw_rows().values() for v in row.values() if v]


def plaintexts() -> dict[int, dict[str, object]]:
    return {p.pk: {f: getattr(p, f) for f in PERSONAL_FIELDS} for p in Person.objects.all()}


@pytest.fixture
def persons() -> list[Person]:
    actor = actor_for(member())
    return [person_create(actor=actor, data=data) for data in PEOPLE]


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate-keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_person_table_is_discovered() -> None:
    tables = {t.table: t for t in encrypted_tables()}
    assert {f.name for f in tables["people_person"].fields} == set(encrypted_field_names(Person))


@pytest.mark.parametrize("batch_size", ["1", "2", "500"])
def test_rotation_moves_every_value_to_the_active_key(
    persons: list[Person], batch_size: str
) -> None:
    before = plaintexts()
    assert keyring().active_id == "t1"
    assert all(v.startswith("pv1:t1:") for v in stored_values())

    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        output = rotate("--batch-size", batch_size)
        assert "re-encrypted 3 row(s)" in output
        assert "older keys may be retired" in output
        values = stored_values()
        assert len(values) >= 3 * 2 and all(v.startswith("pv1:t2:") for v in values)
        assert plaintexts() == before

    # Without t1 at all, everything still reads.
    with override_settings(PALERMO_KEYS=T2_ONLY, PALERMO_ACTIVE_KEY_ID="t2"):
        assert plaintexts() == before

    event = AuditEvent.objects.filter(action="vault.rotate_keys").get()
    assert event.actor_label == "rotate-keys"
    assert event.details["active_key_id"] == "t2"
    assert event.details["completed"] is True
    assert event.details["tables"]["people_person"] == {
        "rotated": 3,
        "skipped": 0,
        "failed": 0,
        "remaining": 0,
    }


def test_rotation_is_idempotent(persons: list[Person]) -> None:
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        rotate()
        after_first = raw_rows()
        assert "re-encrypted 0 row(s)" in rotate()
        assert raw_rows() == after_first  # nothing rewritten the second time


def test_rotation_resumes_after_an_interruption(
    persons: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the first batch leaves old-key and new-key rows, all readable."""
    from palermo.vault import rotation

    before = plaintexts()
    real_rotate_row: Callable[..., str] = rotation._rotate_row
    calls = {"n": 0}

    def crash_on_second_row(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_rotate_row(*args, **kwargs)

    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        monkeypatch.setattr(rotation, "_rotate_row", crash_on_second_row)
        with pytest.raises(RuntimeError):
            rotate("--batch-size", "1")
        monkeypatch.undo()
        prefixes = sorted({v[:7] for v in stored_values()})
        assert prefixes == ["pv1:t1:", "pv1:t2:"]
        assert plaintexts() == before
        interrupted = AuditEvent.objects.get(action="vault.rotate_keys")
        assert interrupted.details["completed"] is False
        assert interrupted.details["tables"]["people_person"]["rotated"] == 1

        assert "re-encrypted 2 row(s)" in rotate()
        assert all(v.startswith("pv1:t2:") for v in stored_values())
        assert plaintexts() == before


def test_dry_run_changes_nothing(persons: list[Person]) -> None:
    before = raw_rows()
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        output = rotate("--dry-run", "--batch-size", "1")
    assert "would re-encrypt 3 row(s)" in output
    assert "3 not yet under the active key" in output
    assert raw_rows() == before
    assert not AuditEvent.objects.filter(action="vault.rotate_keys").exists()


def test_row_changed_meanwhile_is_skipped_not_overwritten(
    persons: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compare-and-set guard: a concurrent write between read and update wins."""
    from palermo.vault import rotation

    target = persons[0]
    real_rotate_row: Callable[..., str] = rotation._rotate_row

    def someone_writes_first(
        conn: object, table: object, ring: object, row: tuple, *rest: object
    ) -> str:
        if row[0] == target.pk:
            Person.objects.filter(pk=target.pk).update(first_name="Olena")  # under t2 now
        return real_rotate_row(conn, table, ring, row, *rest)

    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        monkeypatch.setattr(rotation, "_rotate_row", someone_writes_first)
        output = rotate()
        monkeypatch.undo()
        assert "skipped 1 changed meanwhile" in output
        assert Person.objects.get(pk=target.pk).first_name == "Olena"
        assert "1 row(s) still hold values" in output  # its other columns are still t1
        rotate()
        assert all(v.startswith("pv1:t2:") for v in stored_values())
        assert Person.objects.get(pk=target.pk).first_name == "Olena"


def test_undecryptable_values_are_reported_and_the_rest_rotated(persons: list[Person]) -> None:
    # A value sealed with a key that is no longer configured.
    lost = ciphers.Keyring(keys={"lost": b"\x01" * 32}, active_id="lost")
    envelope = ciphers.encrypt(lost, "SECRET-PLAINTEXT", "people_person.first_name")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_person SET first_name = %s WHERE id = %s", [envelope, persons[1].pk]
        )
    err = io.StringIO()
    with (
        override_settings(PALERMO_ACTIVE_KEY_ID="t2"),
        pytest.raises(CommandError, match="1 value"),
    ):
        call_command("rotate-keys", stdout=io.StringIO(), stderr=err)
    assert "Unknown key id 'lost'" in err.getvalue()
    assert "SECRET" not in err.getvalue()
    event = AuditEvent.objects.get(action="vault.rotate_keys")
    assert event.details["tables"]["people_person"]["failed"] == 1
    assert event.details["tables"]["people_person"]["rotated"] == 2


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(CommandError):
        call_command("rotate-keys", "--batch-size", "0")
