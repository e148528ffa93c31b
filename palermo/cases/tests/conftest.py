"""Fixtures for the cases tests: a shelter (NGO) that refers, a ministry unit that decides.

The deployment country is unset (the default lifecycle, weekends only) unless a test sets
PALERMO_COUNTRY; the lifecycle cache is cleared around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.cases import lifecycle
from palermo.cases.models import Case
from palermo.cases.services import case_open
from palermo.consent import services as consent_services
from palermo.people import services as people_services
from palermo.people.models import Person
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client


@pytest.fixture(autouse=True)
def _fresh_lifecycle(settings: Any) -> Iterator[None]:
    settings.PALERMO_COUNTRY = ""
    lifecycle.clear_cache()
    yield
    lifecycle.clear_cache()


@pytest.fixture
def shelter(db: None) -> Organisation:
    return OrganisationFactory(name="Shelter", country="MD", org_type=OrganisationType.NGO)


@pytest.fixture
def other_ngo(db: None) -> Organisation:
    return OrganisationFactory(name="Other NGO", country="MD", org_type=OrganisationType.NGO)


@pytest.fixture
def ministry(db: None) -> Organisation:
    return OrganisationFactory(
        name="Ministry unit", country="MD", org_type=OrganisationType.CENTRAL_GOVERNMENT
    )


@pytest.fixture
def worker(shelter: Organisation) -> Membership:
    return member(Role.CASE_WORKER, shelter, first_name="Elena", last_name="Rusu")


@pytest.fixture
def supervisor(shelter: Organisation) -> Membership:
    return member(Role.SUPERVISOR, shelter)


@pytest.fixture
def authority(ministry: Organisation) -> Membership:
    return member(Role.COMPETENT_AUTHORITY, ministry)


@pytest.fixture
def worker_client(worker: Membership) -> Client:
    return signed_in_client(worker)


@pytest.fixture
def authority_client(authority: Membership) -> Client:
    return signed_in_client(authority)


def register(membership: Membership, birthdate: str = "1990-05-01", **extra: Any) -> Person:
    data = {
        "first_name": "Olena",
        "second_name": "Kovalenko",
        "birthdate": birthdate,
        "gender": "Feminine",
        "citizenship": ["UA"],
        **extra,
    }
    return people_services.person_create(actor=actor_for(membership), data=data)


def consent(membership: Membership, person: Person, decision: str = "given") -> None:
    consent_services.consent_record(
        actor=actor_for(membership),
        person=person,
        data={"language": "ro", "given_by": "person", "decisions": {"assistance": decision}},
    )


def open_for(membership: Membership, person: Person | None = None, **extra: Any) -> Case:
    """An adult with consent (new unless given), referred into the mechanism by `membership`."""
    if person is None:
        person = register(membership)
        consent(membership, person)
    return case_open(actor=actor_for(membership), person_id=person.public_id, **extra)


@pytest.fixture
def adult(worker: Membership) -> Person:
    person = register(worker)
    consent(worker, person)
    return person


@pytest.fixture
def child(worker: Membership) -> Person:
    today = timezone.localdate()
    birth = today.replace(year=today.year - 12, day=1)
    return register(worker, birthdate=birth.isoformat(), first_name="Ana")


@pytest.fixture
def case(worker: Membership, adult: Person, authority: Membership) -> Case:
    return open_for(worker, adult)
