"""palermo.fastsql builds the instances the ORM would build: converters applied (encrypted
fields decrypted, dates typed), fields outside `only` deferred and read on access."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palermo.accounts.roles import Role
from palermo.fastsql import build_row, column, placeholders, rows, selected, table
from palermo.people import services as people_services
from palermo.people.models import Person
from palermo.testing import actor_for, member

pytestmark = pytest.mark.django_db


def _person():
    actor = actor_for(member(Role.CASE_WORKER))
    data = {"first_name": "Ana", "second_name": "Popa", "birthdate": "1990-04-02"}
    return people_services.person_create(actor=actor, data=data)


def _select(only=()):
    part = selected(Person, "p", only)
    sql = f'SELECT {part.sql()} FROM {table(Person)} "p" WHERE "p".{column(Person, "id")} = %s'  # noqa: S608
    return part, sql


def test_every_field_as_the_orm_reads_it():
    person = _person()
    part, sql = _select()
    built = part.build(rows(sql, [person.pk])[0], 0)
    expected = Person.objects.get(pk=person.pk)
    for field in Person._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
    assert built.first_name == "Ana"  # decrypted
    assert built.birthdate == datetime.date(1990, 4, 2)  # typed
    assert not built._state.adding


def test_only_the_named_fields_are_loaded_the_rest_on_access():
    person = _person()
    part, sql = _select(("first_name",))
    built = part.build(rows(sql, [person.pk])[0], 0)
    assert built.get_deferred_fields() >= {"second_name", "birthdate"}
    with CaptureQueriesContext(connection) as queries:
        assert built.first_name == "Ana"
    assert len(queries) == 0
    assert built.second_name == "Popa"  # read when asked for, as with only()


def test_fields_named_in_any_order_land_in_their_own_attributes():
    person = _person()
    part, sql = _select(("birthdate", "public_id", "first_name"))
    built = part.build(rows(sql, [person.pk])[0], 0)
    assert built.birthdate == datetime.date(1990, 4, 2)
    assert built.public_id == person.public_id
    assert built.first_name == "Ana"


def test_a_missing_row_of_a_left_join_is_none():
    part = selected(Person, "p", ("first_name",))
    assert part.build((None, None), 0) is None


def test_only_concrete_fields_may_be_named():
    with pytest.raises(ValueError, match="not concrete fields"):
        selected(Person, "p", ("cases",))


def test_placeholders():
    assert placeholders(3) == "%s, %s, %s"


def test_a_row_of_several_parts_is_split_in_order():
    person = _person()
    first, _sql = _select(("first_name",))
    second = selected(Person, "q", ("birthdate",))
    stored = rows(_sql, [person.pk])[0]  # (id, first_name as stored: encrypted)
    # The second part found nothing (a LEFT JOIN's NULLs): None, the first is still built.
    built = build_row([first, second], (*stored, None, None))
    assert built[0].first_name == "Ana"
    assert built[1] is None
