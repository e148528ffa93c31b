"""Reads: exact search through blind indexes, pagination, and the audit of what was shown."""

from __future__ import annotations

import pytest

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError
from palermo.people import selectors
from palermo.testing import actor_for, member

from .records import register

pytestmark = pytest.mark.django_db


def found(membership: Membership, query: str) -> list[str]:
    page = selectors.person_list(actor=actor_for(membership), query=query)
    return [view.reference for view in page.object_list]


@pytest.mark.parametrize(
    "query",
    [
        "Олена",
        "олена",
        "olena",  # across scripts
        "OLENA",
        "Коваленко",
        "kovalenko",
        "Олена Коваленко",
        "olena  kovalenko",
        "1999-04-02",
        "+380 67 123 4567",
        "+380671234567",
        "0671234567",  # national format, with the organisation's region (UA)
        "067 123 45 67",
        "(067) 123-45-67",
        "olena.k@example.org",
        "OLENA.K@EXAMPLE.ORG",
        "AB123456",
        "ab 123 456",
        "AB-123-456",
    ],
)
def test_exact_search_finds_the_person_by_any_identifier(worker_a: Membership, query: str) -> None:
    person = register(worker_a)
    register(worker_a, first_name="Ivan", second_name="Petrenko", mobile_phone="+380501112233")
    assert found(worker_a, query) == [person.reference]


@pytest.mark.parametrize(
    "query", ["olen", "Kovalenko Olena", "1999-04-03", "+380671234568", "olena@example.org", "zzz"]
)
def test_search_is_exact_not_fuzzy(worker_a: Membership, query: str) -> None:
    register(worker_a)
    assert found(worker_a, query) == []


def test_search_never_crosses_organisations(worker_a: Membership, org_b: Organisation) -> None:
    register(worker_a)
    other = member(Role.CASE_WORKER, org_b)
    assert found(other, "olena") == []
    assert found(other, "") == []


def test_pagination_is_newest_first_and_complete(worker_a: Membership) -> None:
    references = [register(worker_a, first_name=f"Person {i}").reference for i in range(30)]
    actor = actor_for(worker_a)
    first = selectors.person_list(actor=actor, page_number=1)
    second = selectors.person_list(actor=actor, page_number=2)
    assert (first.paginator.count, first.paginator.num_pages) == (30, 2)
    assert len(first.object_list) == 25 and len(second.object_list) == 5
    shown = [v.reference for v in [*first.object_list, *second.object_list]]
    assert shown == list(reversed(references))
    # Out of range pages give the last page rather than an error.
    assert selectors.person_list(actor=actor, page_number="99").number == 2
    assert selectors.person_list(actor=actor, page_number="abc").number == 1


def test_list_audits_the_ids_shown_and_the_identity_group(worker_a: Membership) -> None:
    persons = [register(worker_a, first_name=f"P{i}") for i in range(3)]
    selectors.person_list(actor=actor_for(worker_a))
    event = AuditEvent.objects.get(action="person.list")
    assert set(event.details["persons"]) == {str(p.public_id) for p in persons}
    assert event.details["searched"] is False
    assert event.field_groups == ["identity"]
    assert event.actor == worker_a.user


def test_a_search_that_finds_no_one_writes_nothing(worker_a: Membership) -> None:
    register(worker_a)
    before = AuditEvent.objects.count()
    assert found(worker_a, "nobody") == []
    assert AuditEvent.objects.count() == before


def test_a_search_audits_only_what_it_found(worker_a: Membership) -> None:
    olena = register(worker_a)
    register(worker_a, first_name="Ivan")
    found(worker_a, "olena")
    event = AuditEvent.objects.get(action="person.list")
    assert event.details == {
        "persons": [str(olena.public_id)],
        "searched": True,
        "searched_groups": ["contact", "identity"],
    }
    # The search terms themselves are personal data: they are not in the log.
    assert "olena" not in str(event.details).lower()


def test_detail_audits_a_read_of_the_groups_shown(
    worker_a: Membership, org_a: Organisation
) -> None:
    person = register(worker_a)
    provider = member(Role.SERVICE_PROVIDER, org_a)
    view = selectors.person_detail(actor=actor_for(provider), public_id=person.public_id)
    assert view.visible_groups == frozenset({"identity", "contact"})
    assert view.get("mailing_city") is None
    assert "mailing_city" not in view.as_dict()
    assert view.as_dict()["first_name"] == "Олена"
    event = AuditEvent.objects.get(action="person.read")
    assert event.object_id == str(person.public_id)
    assert event.field_groups == ["contact", "identity"]
    assert event.actor == provider.user


def test_person_for_change_checks_access_without_auditing_a_read(worker_a: Membership) -> None:
    person = register(worker_a)
    before = AuditEvent.objects.count()
    view = selectors.person_for_change(actor=actor_for(worker_a), public_id=str(person.public_id))
    assert view.person.pk == person.pk
    assert AuditEvent.objects.count() == before


def test_listing_is_forbidden_to_a_role_that_may_not_view_persons(org_a: Organisation) -> None:
    for role in (Role.RESEARCHER, Role.NATIONAL_COORDINATOR, Role.ADMINISTRATOR):
        with pytest.raises(ApplicationError) as caught:
            selectors.person_list(actor=actor_for(member(role, org_a)))
        assert caught.value.status == 403


def test_a_role_without_the_contact_group_cannot_search_by_phone_or_email(
    worker_a: Membership,
) -> None:
    """Security review M1: a search by phone would confirm who owns the number."""
    person = register(worker_a)
    authority = member(Role.COMPETENT_AUTHORITY, organisation=worker_a.organisation)
    assert found(authority, "+380671234567") == []
    assert found(authority, "olena.k@example.org") == []
    assert found(authority, "Олена") == [person.reference]
    event = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert event.details["searched_groups"] == ["identity"]
