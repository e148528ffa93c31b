"""Encrypted model fields: ciphertext at rest, plaintext in Python, no lookups on ciphertext."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.testing import actor_for, member
from palermo.vault.fields import encrypted_field_names

pytestmark = pytest.mark.django_db


def raw_column(person: Person, column: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM people_person WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()[0]


def make_person() -> Person:
    return person_create(
        actor=actor_for(member()),
        data={
            "first_name": "Олена",
            "second_name": "Коваленко",
            "birthdate": "1999-04-02",
            "mailing_latitude": "47.010452",
        },
    )


def test_values_are_encrypted_at_rest_and_read_back_typed() -> None:
    person = make_person()
    stored = raw_column(person, "first_name")
    assert stored is not None and stored.startswith("pv1:t1:")
    assert "Олена" not in stored
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.first_name == "Олена"
    assert fresh.birthdate == datetime.date(1999, 4, 2)
    assert fresh.mailing_latitude == Decimal("47.010452")
    assert fresh.middle_name is None
    assert raw_column(person, "middle_name") is None


@pytest.mark.parametrize(
    "lookup",
    [
        {"first_name": "Олена"},
        {"first_name__iexact": "олена"},
        {"first_name__contains": "Оле"},
        {"first_name__startswith": "pv1:"},
        {"first_name__in": ["Олена"]},
        {"first_name__lower": "олена"},
        {"birthdate__year": 1999},
    ],
)
def test_lookups_on_ciphertext_are_refused(lookup: dict[str, object]) -> None:
    with pytest.raises(FieldError, match="Unsupported lookup"):
        list(Person.objects.filter(**lookup))


def test_null_checks_are_allowed() -> None:
    person = make_person()
    assert list(Person.objects.filter(middle_name__isnull=True)) == [person]
    assert not Person.objects.filter(first_name__isnull=True).exists()


def test_encrypted_field_names() -> None:
    names = encrypted_field_names(Person)
    assert "first_name" in names and "birthdate" in names
    assert "gender" not in names and "bidx_first_name" not in names
