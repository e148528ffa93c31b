"""Fixtures for the intake tests: a Moldovan hotline, another organisation, their people."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.intake.models import Campaign
from palermo.testing import OrganisationFactory, member, signed_in_client


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Each test starts with empty rate-limit windows (they live in the cache)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hotline(db: None) -> Organisation:
    return OrganisationFactory(name="Drum Sigur Hotline", country="MD")


@pytest.fixture
def other_org(db: None) -> Organisation:
    return OrganisationFactory(name="Another NGO", country="MD")


@pytest.fixture
def police(db: None) -> Organisation:
    return OrganisationFactory(
        name="Police Anti-Trafficking Section",
        country="MD",
        org_type=OrganisationType.LAW_ENFORCEMENT,
    )


@pytest.fixture
def operator(hotline: Organisation) -> Membership:
    return member(Role.HOTLINE_OPERATOR, hotline, first_name="Mariana", last_name="Ceban")


@pytest.fixture
def colleague(hotline: Organisation) -> Membership:
    return member(Role.HOTLINE_OPERATOR, hotline, first_name="Cristina", last_name="Popa")


@pytest.fixture
def operator_client(operator: Membership) -> Client:
    return signed_in_client(operator)


@pytest.fixture
def outsider(other_org: Organisation) -> Membership:
    return member(Role.HOTLINE_OPERATOR, other_org)


@pytest.fixture
def outsider_client(outsider: Membership) -> Client:
    return signed_in_client(outsider)


@pytest.fixture
def tip_campaign(hotline: Organisation) -> Campaign:
    """The hotline receives the public tip form, and has a poster campaign with a code."""
    Campaign.objects.create(
        owner_organisation=hotline, name="Bus station posters", codes=["BUS24"], numbers=["527"]
    )
    return Campaign.objects.create(
        owner_organisation=hotline, name="Public tip form", receives_web_tips=True
    )


def form_of(contact_data: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in contact_data.items()}
