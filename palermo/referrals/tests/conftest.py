"""Fixtures: an owner organisation (a shelter) and a receiving one (a clinic), in Moldova."""

from __future__ import annotations

import pytest

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import Case
from palermo.testing import OrganisationFactory, member

from .records import make_case


@pytest.fixture
def shelter(db: None) -> Organisation:
    return OrganisationFactory(name="Shelter", country="MD")


@pytest.fixture
def clinic(db: None) -> Organisation:
    return OrganisationFactory(name="Clinic", country="MD")


@pytest.fixture
def legal_aid(db: None) -> Organisation:
    return OrganisationFactory(name="Legal aid", country="MD")


@pytest.fixture
def worker(shelter: Organisation) -> Membership:
    return member(Role.CASE_WORKER, shelter)


@pytest.fixture
def supervisor(shelter: Organisation) -> Membership:
    return member(Role.SUPERVISOR, shelter)


@pytest.fixture
def provider(clinic: Organisation) -> Membership:
    return member(Role.SERVICE_PROVIDER, clinic)


@pytest.fixture
def case(worker: Membership) -> Case:
    return make_case(worker)
