"""Fixtures for the screening tests: a small instrument of their own, two organisations in
Moldova, and the members who screen, review and investigate, signed in for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.screening import instruments as catalogue
from palermo.testing import OrganisationFactory, member, signed_in_client

TEST_INSTRUMENT = Path(__file__).parent / "data" / "test-border.yaml"


@pytest.fixture
def test_instrument(monkeypatch: pytest.MonkeyPatch) -> Iterator[catalogue.Instrument]:
    """The instruments the app offers are only the tests' own: stable whatever ships."""
    instrument = catalogue.load_instrument(TEST_INSTRUMENT)
    monkeypatch.setattr(catalogue, "all_instruments", lambda: {instrument.id: instrument})
    yield instrument


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory(name="Border post A", country="MD", org_type=OrganisationType.NGO)


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory(name="Org B", country="MD")


@pytest.fixture
def responder_a(org_a: Organisation) -> Membership:
    return member(Role.FIRST_RESPONDER, org_a)


@pytest.fixture
def supervisor_a(org_a: Organisation) -> Membership:
    return member(Role.SUPERVISOR, org_a)


@pytest.fixture
def client_a(responder_a: Membership) -> Client:
    return signed_in_client(responder_a)


@pytest.fixture
def supervisor_client(supervisor_a: Membership) -> Client:
    return signed_in_client(supervisor_a)


@pytest.fixture
def client_b(org_b: Organisation) -> Client:
    return signed_in_client(member(Role.FIRST_RESPONDER, org_b))
