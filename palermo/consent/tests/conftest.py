"""Fixtures for the consent tests: an NGO that owns a person, a police unit that investigates."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.people import services as people_services
from palermo.people.models import Person
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

ADULT: dict[str, Any] = {
    "first_name": "Олена",
    "second_name": "Коваленко",
    "birthdate": "1999-04-02",
    "mobile_phone": "+373 69 123 456",
    "mailing_city": "Chișinău",
}
CHILD: dict[str, Any] = {"first_name": "Ion", "second_name": "Rusu", "birthdate": "2015-06-01"}


@pytest.fixture
def ngo(db: None) -> Organisation:
    return OrganisationFactory(name="Casa", country="MD", org_type=OrganisationType.NGO)


@pytest.fixture
def police(db: None) -> Organisation:
    return OrganisationFactory(
        name="Police", country="MD", org_type=OrganisationType.LAW_ENFORCEMENT
    )


@pytest.fixture
def worker(ngo: Organisation) -> Membership:
    return member(Role.CASE_WORKER, ngo)


@pytest.fixture
def supervisor(ngo: Organisation) -> Membership:
    return member(Role.SUPERVISOR, ngo)


@pytest.fixture
def investigator(police: Organisation) -> Membership:
    return member(Role.INVESTIGATOR, police)


@pytest.fixture
def adult(worker: Membership) -> Person:
    return people_services.person_create(actor=actor_for(worker), data=dict(ADULT))


@pytest.fixture
def child(worker: Membership) -> Person:
    return people_services.person_create(actor=actor_for(worker), data=dict(CHILD))


@pytest.fixture
def worker_client(worker: Membership) -> Client:
    return signed_in_client(worker)


@pytest.fixture
def supervisor_client(supervisor: Membership) -> Client:
    return signed_in_client(supervisor)


@pytest.fixture
def investigator_client(investigator: Membership, adult: Person) -> Client:
    """An investigator the adult's record is assigned to: record access, consent still needed."""
    adult.assigned_users.add(investigator.user)
    return signed_in_client(investigator)
