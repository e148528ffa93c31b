"""Answering referrals from abroad, through the pages and the API: who sees them, what they
see, and what accepting, declining and reporting do here and tell the partner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case
from palermo.partners import outbound
from palermo.partners.models import IncomingReferral, OutboundPackage, PartnerDeployment
from palermo.people.models import Person
from palermo.testing import member, signed_in_client

from .conftest import FakeTransport, post_inbox, referral_payload, remote_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _run_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound.transaction, "on_commit", lambda func, **_kw: func())


@pytest.fixture
def incoming(partner: PartnerDeployment, inbox_client: Client) -> IncomingReferral:
    payload = referral_payload(
        shared_groups=["contact", "identity", "narrative"],
        case_summary="Recruited for farm work.",
    )
    assert post_inbox(inbox_client, remote_package("referral", payload)).status_code == 202
    return IncomingReferral.objects.get()


def test_the_receiving_organisation_sees_the_referral_and_what_was_shared(
    incoming: IncomingReferral, receiver_worker: Membership
) -> None:
    client = signed_in_client(receiver_worker)
    listing = client.get("/partners/incoming/")
    assert listing.status_code == 200
    assert incoming.reference in listing.content.decode()
    page = client.get(f"/partners/incoming/{incoming.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Olena" in html and "+40721000111" in html and "Recruited for farm work." in html
    assert "Migration or change of location" in html  # the HTCDS reason by its label
    assert 'id="form-accept"' in html and 'id="form-decline"' in html
    read = AuditEvent.objects.get(action="incoming_referral.read")
    assert read.field_groups == ["contact", "identity", "narrative"]
    assert read.subject_organisation == incoming.receiving_organisation


def test_a_role_sees_only_its_own_groups_and_may_decline_but_not_accept(
    incoming: IncomingReferral, receiving_organisation: Organisation
) -> None:
    provider = member(Role.SERVICE_PROVIDER, receiving_organisation)  # no narrative, no create
    client = signed_in_client(provider)
    html = client.get(f"/partners/incoming/{incoming.public_id}/").content.decode()
    assert "Olena" in html and "Recruited for farm work." not in html
    assert 'id="form-accept"' not in html and 'id="form-decline"' in html
    response = client.post(f"/partners/incoming/{incoming.public_id}/accept/")
    assert response.status_code == 403
    incoming.refresh_from_db()
    assert incoming.state == "pending" and not Person.objects.exists()


def test_other_organisations_and_roles_get_not_found(incoming: IncomingReferral) -> None:
    outsider = member(Role.CASE_WORKER)  # another organisation
    client = signed_in_client(outsider)
    assert client.get(f"/partners/incoming/{incoming.public_id}/").status_code == 404
    assert client.post(f"/partners/incoming/{incoming.public_id}/accept/").status_code == 404
    assert incoming.reference not in client.get("/partners/incoming/").content.decode()
    admin = member(Role.ADMINISTRATOR, incoming.receiving_organisation)
    assert signed_in_client(admin).get("/partners/incoming/").status_code == 404


def test_accepting_creates_the_person_and_a_case_and_tells_the_partner(
    incoming: IncomingReferral, receiver_worker: Membership, transport: FakeTransport
) -> None:
    client = signed_in_client(receiver_worker)
    # An adult: nothing is created until the member confirms the person's consent.
    refused = client.post(f"/partners/incoming/{incoming.public_id}/accept/")
    assert refused.status_code == 400
    assert 'id="consent-error"' in refused.content.decode()
    assert not Person.objects.exists() and not Case.objects.exists() and not transport.posted
    response = client.post(
        f"/partners/incoming/{incoming.public_id}/accept/", {"consent_confirmed": "1"}
    )
    assert response.status_code == 302
    incoming.refresh_from_db()
    assert incoming.state == "accepted" and incoming.responded_by == receiver_worker.user
    person = Person.objects.get()
    assert person.owner_organisation == receiver_worker.organisation
    assert (person.first_name, person.second_name) == ("Olena", "Kovalenko")
    assert person.mobile_phone == "+40721000111" and person.citizenship == ["UA"]
    assert person.mailing_city is None
    case = Case.objects.get()
    assert incoming.person == person and incoming.case == case
    assert case.owner_organisation == receiver_worker.organisation
    assert case.summary == "Recruited for farm work."
    assert case.case_worker == receiver_worker.user
    [posted] = transport.posted
    status = posted.opened()
    assert status["state"] == "accepted"
    assert status["referral_id"] == str(incoming.remote_referral_id)
    assert posted.envelope["kind"] == "status"
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert "person.create" in actions and "case.open" in actions
    assert "consent.record" in actions
    from palermo.consent.models import ConsentRecord

    consent = ConsentRecord.objects.get(person=person)
    assert (consent.purpose, consent.decision) == ("assistance", "given")
    assert consent.source_reference == f"partner referral {incoming.reference}"
    assert "partner.referral_accept" in actions
    # The page now links to the case here; accepting again is refused.
    page = client.get(f"/partners/incoming/{incoming.public_id}/").content.decode()
    assert case.reference in page and 'id="form-start"' in page
    again = client.post(
        f"/partners/incoming/{incoming.public_id}/accept/", {"consent_confirmed": "1"}
    )
    assert again.status_code == 409
    assert Person.objects.count() == 1


def test_declining_needs_a_reason_and_tells_the_partner(
    incoming: IncomingReferral, receiver_worker: Membership, transport: FakeTransport
) -> None:
    client = signed_in_client(receiver_worker)
    response = client.post(f"/partners/incoming/{incoming.public_id}/decline/", {"note": " "})
    assert response.status_code == 400
    incoming.refresh_from_db()
    assert incoming.state == "pending" and not transport.posted
    response = client.post(
        f"/partners/incoming/{incoming.public_id}/decline/", {"note": "No place this month."}
    )
    assert response.status_code == 302
    incoming.refresh_from_db()
    assert incoming.state == "declined" and incoming.response_note == "No place this month."
    assert transport.posted[0].opened()["note"] == "No place this month."
    assert not Person.objects.exists()


def _api(membership: Membership) -> tuple[Client, dict[str, str]]:
    from palermo.accounts.actors import Actor
    from palermo.accounts.services import api_token_create

    _token, secret = api_token_create(
        actor=Actor.operator("test"),
        name="test",
        purpose="assistance" if membership.role != Role.ADMINISTRATOR else "administration",
        expires_in_days=1,
        membership=membership,
    )
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_lists_answers_and_reports_progress(
    incoming: IncomingReferral, receiver_worker: Membership, transport: FakeTransport
) -> None:
    client, auth = _api(receiver_worker)
    listing = client.get("/api/partners/incoming", **auth)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()] == [str(incoming.public_id)]
    detail = client.get(f"/api/partners/incoming/{incoming.public_id}", **auth).json()
    assert detail["person_fields"]["first_name"] == "Olena"
    assert detail["answers"] == ["accept", "decline"]
    accepted = client.post(
        f"/api/partners/incoming/{incoming.public_id}/accept",
        data=json.dumps({"consent_confirmed": True}),
        content_type="application/json",
        **auth,
    )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    early = client.post(
        f"/api/partners/incoming/{incoming.public_id}/done",
        data=json.dumps({"note": ""}),
        content_type="application/json",
        **auth,
    )
    assert early.status_code == 409
    for answer, state in (("start", "in_progress"), ("done", "done")):
        response = client.post(
            f"/api/partners/incoming/{incoming.public_id}/{answer}",
            data=json.dumps({"note": "ok"}),
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 200 and response.json()["state"] == state
    assert [p.opened()["state"] for p in transport.posted] == ["accepted", "in_progress", "done"]
    assert OutboundPackage.objects.filter(kind="status", state="delivered").count() == 3
    outsider_client, outsider_auth = _api(member(Role.CASE_WORKER))
    assert (
        outsider_client.get(
            f"/api/partners/incoming/{incoming.public_id}", **outsider_auth
        ).status_code
        == 404
    )


def test_setting_the_receiving_organisation_assigns_waiting_referrals(
    partner: PartnerDeployment, inbox_client: Client, receiving_organisation: Organisation
) -> None:
    partner.receiving_organisation = None
    partner.save()
    assert (
        post_inbox(inbox_client, remote_package("referral", referral_payload())).status_code == 202
    )
    admin = member(Role.ADMINISTRATOR, receiving_organisation)
    client = signed_in_client(admin)
    response = client.post(
        f"/partners/{partner.public_id}/organisation/",
        {"receiving_organisation": str(receiving_organisation.public_id)},
    )
    assert response.status_code == 302
    assert IncomingReferral.objects.get().receiving_organisation == receiving_organisation


def test_the_person_is_created_without_fields_this_deployment_refuses(
    partner: PartnerDeployment, inbox_client: Client, receiver_worker: Membership, transport: Any
) -> None:
    payload = referral_payload()
    payload["person"]["mobile_phone"] = "not a phone number"
    assert post_inbox(inbox_client, remote_package("referral", payload)).status_code == 202
    incoming = IncomingReferral.objects.get()
    client = signed_in_client(receiver_worker)
    response = client.post(
        f"/partners/incoming/{incoming.public_id}/accept/", {"consent_confirmed": "1"}
    )
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.first_name == "Olena" and person.mobile_phone is None
    accepted = AuditEvent.objects.get(action="partner.referral_accept")
    assert accepted.details["refused"] == ["mobile_phone"]
