"""Fixtures for the people tests: two organisations in Ukraine, members signed in for real."""

from __future__ import annotations

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.testing import OrganisationFactory, member, signed_in_client


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory(name="Org A", country="UA")


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory(name="Org B", country="UA")


@pytest.fixture
def worker_a(org_a: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_a)


@pytest.fixture
def client_a(worker_a: Membership) -> Client:
    """A case worker of organisation A, signed in with password and TOTP."""
    return signed_in_client(worker_a)


@pytest.fixture
def client_b(org_b: Organisation) -> Client:
    """A case worker of organisation B (no access to A's persons)."""
    return signed_in_client(member(Role.CASE_WORKER, org_b))
