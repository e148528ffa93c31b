"""Fixtures for the directory tests: a coalition in Moldova, its administrator, two providers.

Each client is a different user signed in for real (password and TOTP): a TOTP code cannot be
used twice within 30 seconds by the same user.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.directory.models import Provider, Service
from palermo.people.services import person_create
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

CONFIDENTIAL_ADDRESS = "str. Secretă 77, Chișinău"
PUBLIC_ADDRESS = "bd. Dacia 27, Chișinău"


@pytest.fixture
def coordinator_org(db: None) -> Organisation:
    return OrganisationFactory(
        name="National Coordinator", country="MD", org_type=OrganisationType.CENTRAL_GOVERNMENT
    )


@pytest.fixture
def shelter_org(db: None) -> Organisation:
    return OrganisationFactory(name="Shelter NGO", country="MD")


@pytest.fixture
def clinic_org(db: None) -> Organisation:
    return OrganisationFactory(
        name="Clinic", country="MD", org_type=OrganisationType.HEALTH_SERVICE
    )


@pytest.fixture
def caseworker_org(db: None) -> Organisation:
    return OrganisationFactory(name="Case NGO", country="MD")


@pytest.fixture
def admin_md(coordinator_org: Organisation) -> Membership:
    return member(Role.ADMINISTRATOR, coordinator_org)


@pytest.fixture
def shelter_member(shelter_org: Organisation) -> Membership:
    return member(Role.SERVICE_PROVIDER, shelter_org)


@pytest.fixture
def clinic_member(clinic_org: Organisation) -> Membership:
    return member(Role.SERVICE_PROVIDER, clinic_org)


@pytest.fixture
def caseworker(caseworker_org: Organisation) -> Membership:
    return member(Role.CASE_WORKER, caseworker_org)


@pytest.fixture
def shelter_provider(shelter_org: Organisation) -> Provider:
    return Provider.objects.create(
        organisation=shelter_org,
        name="Shelter NGO",
        org_type=OrganisationType.NGO,
        country="MD",
        phone="+373 22 300 410",
    )


@pytest.fixture
def clinic_provider(clinic_org: Organisation) -> Provider:
    return Provider.objects.create(
        organisation=clinic_org,
        name="Clinic",
        org_type=OrganisationType.HEALTH_SERVICE,
        country="MD",
        phone="+373 22 555 016",
    )


def make_service(provider: Provider, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "service_type": "Shelter",
        "languages": ["ro", "ru"],
        "city": "Chișinău",
        "admin_area": "Municipiul Chișinău",
        "latitude": "47.01050",
        "longitude": "28.86380",
        "capacity": 10,
        "available_places": 3,
        "availability_updated_at": timezone.now(),
        **fields,
    }
    return Service.objects.create(provider=provider, **values)


@pytest.fixture
def women_shelter(shelter_provider: Provider) -> Service:
    return make_service(
        shelter_provider,
        description="Safe house for women.",
        genders=["Feminine", "TransgenderFeminine"],
        min_age=18,
        address=CONFIDENTIAL_ADDRESS,
        confidential_address=True,
        open_24_hours=True,
    )


@pytest.fixture
def clinic_service(clinic_provider: Provider) -> Service:
    return make_service(
        clinic_provider,
        service_type="Health",
        description="General health care.",
        address=PUBLIC_ADDRESS,
        capacity=None,
        available_places=None,
        availability_updated_at=None,
        opening_hours={"mon": [["09:00", "17:00"]]},
    )


@pytest.fixture
def admin_client(admin_md: Membership) -> Client:
    return signed_in_client(admin_md)


@pytest.fixture
def shelter_client(shelter_member: Membership) -> Client:
    return signed_in_client(shelter_member)


@pytest.fixture
def clinic_client(clinic_member: Membership) -> Client:
    return signed_in_client(clinic_member)


@pytest.fixture
def caseworker_client(caseworker: Membership) -> Client:
    return signed_in_client(caseworker)


def open_case(membership: Membership, *, consent: bool = True, **person: Any) -> Any:
    """A person registered by `membership`, with consent to assistance, referred into the
    mechanism through the cases app's own service."""
    from palermo.cases.services import case_open
    from palermo.consent.services import consent_record

    data = {
        "first_name": "Ana",
        "second_name": "Rusu",
        "birthdate": "1995-03-02",
        "gender": "Feminine",
        "primary_language": "ro",
        "secondary_language": "ru",
        "citizenship": ["MD"],
        **person,
    }
    actor = actor_for(membership)
    created = person_create(actor=actor, data=data)
    if consent:
        consent_record(
            actor=actor,
            person=created,
            data={"language": "ro", "given_by": "person", "decisions": {"assistance": "given"}},
        )
    return case_open(actor=actor, person_id=created.public_id)
