"""Fixtures: this deployment's partner keys, a registered partner abroad (whose private keys the
test holds, to play its part), a case referred to it, and a transport that records posts."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import Case
from palermo.partners import packages
from palermo.partners.keys import clear_cache
from palermo.partners.models import PartnerDeployment
from palermo.partners.transport import Answer
from palermo.people.services import person_create
from palermo.referrals.models import Referral
from palermo.testing import OrganisationFactory, actor_for, member

OWN = packages.DeploymentKeys.generate()
REMOTE = packages.DeploymentKeys.generate()


@pytest.fixture(autouse=True)
def own_keys(settings: Any) -> packages.DeploymentKeys:
    settings.PALERMO_PARTNER_KEY_FILE = ""
    settings.PALERMO_PARTNER_SIGNING_KEY = packages.b64url(packages.raw_private(OWN.signing))
    settings.PALERMO_PARTNER_ENCRYPTION_KEY = packages.b64url(packages.raw_private(OWN.encryption))
    settings.PALERMO_PARTNER_RECEIVING_ORGANISATION = ""
    clear_cache()
    return OWN


@pytest.fixture(autouse=True)
def _fresh_inbox_limits() -> None:
    from palermo.partners import views

    views.refused_packages.clear()


@pytest.fixture
def receiving_organisation(db: None) -> Organisation:
    organisation: Organisation = OrganisationFactory(name="Casa Speranței", country="MD")
    return organisation


@pytest.fixture
def partner(db: None, receiving_organisation: Organisation) -> PartnerDeployment:
    return PartnerDeployment.objects.create(
        name="Palermo Romania",
        url="https://palermo-ro.example",
        country="RO",
        signing_key=REMOTE.public.signing_b64,
        encryption_key=REMOTE.public.encryption_b64,
        receiving_organisation=receiving_organisation,
    )


@dataclass
class Posted:
    url: str
    envelope: dict[str, Any]

    def opened(self, recipient: packages.DeploymentKeys = REMOTE) -> dict[str, Any]:
        """The package as the partner opens it (it knows this deployment's key)."""
        return packages.open_package(
            packages.encode(self.envelope),
            recipient=recipient,
            lookup_sender=lambda key: (
                packages.SenderKey(1, True) if key == OWN.public.signing_b64 else None
            ),
            seen=lambda _id: False,
            now=timezone.now(),
            max_age=datetime.timedelta(minutes=10),
            max_skew=datetime.timedelta(minutes=2),
        ).payload


@dataclass
class FakeTransport:
    """Stands in for the HTTPS client: records each post and answers as told."""

    answers: list[Answer] = field(default_factory=list)
    posted: list[Posted] = field(default_factory=list)

    def __call__(self, base_url: str, body: bytes) -> Answer:
        self.posted.append(Posted(base_url, json.loads(body)))
        return self.answers.pop(0) if self.answers else Answer(202, "accepted")


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> FakeTransport:
    fake = FakeTransport()
    monkeypatch.setattr("palermo.partners.outbound.post_package", fake)
    return fake


def remote_package(
    kind: str,
    payload: dict[str, Any],
    *,
    sender: packages.DeploymentKeys = REMOTE,
    recipient: packages.PublicKeys | None = None,
    now: datetime.datetime | None = None,
    package_id: str | None = None,
) -> bytes:
    """A package the partner would post to this deployment."""
    return packages.encode(
        packages.seal(
            kind=kind,
            payload=payload,
            sender=sender,
            recipient=recipient or OWN.public,
            now=now or timezone.now(),
            package_id=package_id,
        )
    )


def referral_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "payload_version": 1,
        "referral_id": "0b6d2c1e-3a4f-4c5d-8e9f-a0b1c2d3e4f5",
        "reference": "R-0B6D2C1E",
        "case_reference": "C-11223344",
        "kind": "referral",
        "reason": "MigrationOrChangeOfLocation",
        "details": "Needs a shelter place on arrival.",
        "respond_by": "2030-01-10",
        "sender_organisation": {"name": "Centrul Regional Iași", "country": "RO"},
        "shared_groups": ["contact", "identity"],
        "consent_basis": "override",
        "is_child": False,
        "person": {
            "first_name": "Olena",
            "second_name": "Kovalenko",
            "birthdate": "1998-05-04",
            "mobile_phone": "+40721000111",
            "gender": "Feminine",
            "citizenship": ["UA"],
        },
        "case_summary": "",
    }
    payload.update(overrides)
    return payload


def post_inbox(client: Client, body: bytes) -> Any:
    return client.post("/partners/inbox/", data=body, content_type="application/json")


@pytest.fixture
def inbox_client() -> Client:
    # A partner's server: no session, no CSRF token.
    return Client(enforce_csrf_checks=True)


def partner_referral(
    partner: PartnerDeployment,
    *,
    groups: list[str] | None = None,
    sender: Membership | None = None,
    summary: str = "Recruited for farm work.",
) -> Referral:
    """A referral of a new person's case to `partner`, not yet handed to the partners module."""
    sender = sender or member(Role.CASE_WORKER)
    actor = actor_for(sender)
    person = person_create(
        actor=actor,
        data={
            "first_name": "Olena",
            "second_name": "Kovalenko",
            "birthdate": "1998-05-04",
            "mobile_phone": "+37369123456",
            "mailing_street": "Strada Lăpușneanu 12",
            "mailing_city": "Chișinău",
            "gender": "Feminine",
            "citizenship": ["UA"],
        },
    )
    now = timezone.now()
    case = Case.objects.create(
        person=person,
        owner_organisation=sender.organisation,
        case_worker=sender.user,
        country="MD",
        stage="referral",
        stage_entered_at=now,
        summary=summary,
        opened_by=sender.user,
        opened_at=now,
    )
    return Referral.objects.create(
        case=case,
        kind="referral",
        sending_organisation=sender.organisation,
        sent_by=sender.user,
        partner=partner,
        reason="MigrationOrChangeOfLocation",
        details="Needs a shelter place on arrival.",
        shared_groups=groups if groups is not None else ["identity", "contact"],
        consent_basis="override",
        override_reason="Oral consent.",
        respond_by=timezone.localdate() + datetime.timedelta(days=5),
        created_at=now,
    )


MemberFactory = Callable[..., Membership]


@pytest.fixture
def receiver_worker(receiving_organisation: Organisation) -> Membership:
    return member(Role.CASE_WORKER, receiving_organisation)


__all__ = ["actor_for"]
