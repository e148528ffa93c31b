"""Fixtures for the case-file tests: an owner NGO with a case, another NGO, and a shelter.

Cases and referrals are created with the ORM (their services are built in parallel); persons
through the people service; everyone signs in through the real pages (password + TOTP).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import Case
from palermo.consent.models import ConsentRecord, ConsentSource
from palermo.people import services as people_services
from palermo.referrals.models import ConsentBasis, Referral, ReferralKind, ReferralReason
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client


def open_case(membership: Membership, **person: Any) -> Case:
    """A person registered by `membership` and an open case of theirs, owned by its organisation."""
    actor = actor_for(membership)
    registered = people_services.person_create(
        actor=actor,
        data=person or {"first_name": "Ana", "second_name": "Rusu", "gender": "Feminine"},
    )
    now = timezone.now()
    return Case.objects.create(
        person=registered,
        owner_organisation=membership.organisation,
        case_worker=membership.user,
        country="MD",
        stage="assistance",
        stage_entered_at=now,
        opened_by=membership.user,
        opened_at=now,
    )


def refer(
    case: Case,
    to: Organisation,
    groups: list[str],
    *,
    state: str = "accepted",
    consent: bool = True,
) -> Referral:
    """A referral of `case` to `to`, sharing `groups`, and the person's consent naming `to`."""
    if consent:
        ConsentRecord.objects.create(
            person=case.person,
            purpose="referral",
            decision="given",
            given_by="person",
            organisation=to,
            language="ro",
            source=ConsentSource.PERSON_PAGE,
            recording_organisation=case.owner_organisation,
        )
    return Referral.objects.create(
        case=case,
        kind=ReferralKind.REFERRAL,
        state=state,
        sending_organisation=case.owner_organisation,
        receiving_organisation=to,
        reason=ReferralReason.ADDITIONAL_SERVICES,
        shared_groups=groups,
        consent_basis=ConsentBasis.CONSENT,
        respond_by=timezone.localdate() + datetime.timedelta(days=5),
        created_at=timezone.now(),
    )


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory(name="Owner NGO", country="MD")


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory(name="Other NGO", country="MD")


@pytest.fixture
def shelter(db: None) -> Organisation:
    return OrganisationFactory(name="Shelter Speranta", country="MD")


@pytest.fixture
def worker_a(org_a: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_a)


@pytest.fixture
def case_a(worker_a: Membership) -> Case:
    return open_case(worker_a)


@pytest.fixture
def client_a(worker_a: Membership) -> Client:
    return signed_in_client(worker_a)


@pytest.fixture
def worker_b(org_b: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_b)


@pytest.fixture
def client_b(worker_b: Membership) -> Client:
    return signed_in_client(worker_b)


@pytest.fixture
def provider(shelter: Organisation) -> Membership:
    return member(Role.SERVICE_PROVIDER, shelter)


@pytest.fixture
def client_provider(provider: Membership) -> Client:
    return signed_in_client(provider)
