"""Fixtures for the audit tests: two organisations and their members."""

from __future__ import annotations

import pytest

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.testing import OrganisationFactory, member


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory(name="Org A", country="MD")


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory(name="Org B", country="MD")


@pytest.fixture
def supervisor_a(org_a: Organisation) -> Membership:
    return member(Role.SUPERVISOR, org_a, username="supervisor_a")


@pytest.fixture
def worker_a(org_a: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_a, username="worker_a")


@pytest.fixture
def worker_b(org_b: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_b, username="worker_b")
