"""Revoking a referral to a partner deployment: on the sending side the package is stopped if it
has not left, and a signed revocation follows it if it may have; on the receiving side the
revocation erases what was shared, stops the answers and tells whoever answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case
from palermo.errors import ApplicationError
from palermo.notifications.models import Notification
from palermo.partners import outbound, packages
from palermo.partners.conf import MAX_ATTEMPTS
from palermo.partners.models import (
    DeliveryState,
    IncomingReferral,
    OutboundPackage,
    PartnerDeployment,
)
from palermo.partners.tasks import retry_due_packages
from palermo.partners.transport import Answer
from palermo.people.models import Person
from palermo.referrals.models import Referral
from palermo.referrals.services import referral_transition
from palermo.testing import actor_for, member, signed_in_client

from .conftest import (
    FakeTransport,
    partner_referral,
    post_inbox,
    referral_payload,
    remote_package,
)

pytestmark = pytest.mark.django_db

REMOTE_REFERRAL = referral_payload()["referral_id"]


@pytest.fixture(autouse=True)
def _run_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test's transaction never commits: run the after-commit enqueue at once.
    monkeypatch.setattr(outbound.transaction, "on_commit", lambda func, **_kw: func())


def _revoke(referral: Referral, note: str = "She withdrew her consent to the hand-over.") -> None:
    sender = Membership.objects.get(
        user=referral.sent_by, organisation=referral.sending_organisation
    )
    referral_transition(
        actor=actor_for(sender), public_id=referral.public_id, action="revoke", data={"note": note}
    )


# --- the sending side ----------------------------------------------------------------------


def test_a_referral_revoked_before_its_package_left_is_never_sent(
    partner: PartnerDeployment, transport: FakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "_enqueue", lambda _package: None)  # the worker is busy
    referral = partner_referral(partner)
    package = outbound.transmit_referral(referral)
    _revoke(referral)
    package.refresh_from_db()
    assert package.state == DeliveryState.WITHDRAWN
    # Nothing could have arrived, so nothing follows it; the retry job leaves it alone.
    assert not OutboundPackage.objects.filter(kind="revocation").exists()
    assert retry_due_packages.call() == 0
    assert not transport.posted
    withdrawn = AuditEvent.objects.get(action="partner.referral_withdrawn")
    assert withdrawn.details["package_state"] == "withdrawn"
    assert withdrawn.details["revocation_package_id"] == ""
    referral.refresh_from_db()
    assert referral.state == "revoked"


def test_revoking_a_delivered_referral_sends_a_signed_revocation_with_the_reason(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    outbound.transmit_referral(referral)
    _revoke(referral)
    referral_package, revocation = OutboundPackage.objects.order_by("created_at", "id")
    assert referral_package.state == DeliveryState.DELIVERED  # it had arrived: it stays so
    assert (revocation.kind, revocation.state) == ("revocation", DeliveryState.DELIVERED)
    posted = transport.posted[-1]
    assert posted.envelope["kind"] == "revocation"
    assert posted.envelope["package_id"] == str(revocation.package_id)
    payload = posted.opened()
    assert payload["referral_id"] == str(referral.public_id)
    assert payload["note"] == "She withdrew her consent to the hand-over."
    # The revocation names the referral and the reason, nothing about the person.
    assert "Olena" not in json.dumps(payload)
    # Revoking again is refused by the state machine: one revocation only.
    with pytest.raises(ApplicationError, match="Revoked") as refused:
        _revoke(referral)
    assert refused.value.status == 409
    assert OutboundPackage.objects.filter(kind="revocation").count() == 1


def test_a_package_that_may_be_in_flight_is_stopped_and_followed_by_a_revocation(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    transport.answers = [Answer(None, "TimeoutError")]  # posted, answer lost: it may be there
    referral = partner_referral(partner)
    package = outbound.transmit_referral(referral)
    package.refresh_from_db()
    assert (package.state, package.attempts) == ("pending", 1)
    _revoke(referral)
    package.refresh_from_db()
    assert package.state == DeliveryState.WITHDRAWN
    revocation = OutboundPackage.objects.get(kind="revocation")
    assert revocation.state == DeliveryState.DELIVERED
    # The referral package is not retried any more.
    OutboundPackage.objects.filter(pk=package.pk).update(next_attempt_at=timezone.now())
    before = len(transport.posted)
    assert retry_due_packages.call() == 0
    assert len(transport.posted) == before


def test_a_revocation_that_finds_no_referral_yet_is_tried_again_until_it_gives_up(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    transport.answers = [Answer(None, "TimeoutError")]
    referral = partner_referral(partner)
    outbound.transmit_referral(referral)
    # The partner does not know the referral yet (the first post may still be on its way).
    transport.answers = [Answer(404, "unknown_referral")]
    _revoke(referral)
    revocation = OutboundPackage.objects.get(kind="revocation")
    assert (revocation.state, revocation.attempts) == ("pending", 1)
    OutboundPackage.objects.filter(pk=revocation.pk).update(
        attempts=MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    transport.answers = [Answer(404, "unknown_referral")]
    assert retry_due_packages.call() == 1
    revocation.refresh_from_db()
    assert (revocation.state, revocation.attempts) == ("failed", MAX_ATTEMPTS)


def test_the_sender_sees_what_became_of_the_packages(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    outbound.transmit_referral(referral)
    sender = Membership.objects.get(user=referral.sent_by)
    client = signed_in_client(sender)
    page = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert 'id="partner-delivery"' in page and "erases what it received" in page
    response = client.post(
        f"/referrals/{referral.public_id}/revoke/", {"note": "Consent withdrawn."}
    )
    assert response.status_code == 302
    page = client.get(f"/referrals/{referral.public_id}/").content.decode()
    delivery = page.split('id="partner-delivery">')[1].split("</dd>")[0]
    assert "Referral: Delivered" in delivery and "Revocation: Delivered" in delivery


# --- the receiving side --------------------------------------------------------------------


def _revocation(
    referral_id: str = REMOTE_REFERRAL, note: str = "Consent withdrawn.", **kw: Any
) -> bytes:
    payload = {
        "payload_version": 1,
        "referral_id": referral_id,
        "note": note,
        "at": timezone.now().isoformat(),
    }
    payload.update(kw)
    return remote_package("revocation", payload)


@pytest.fixture
def incoming(partner: PartnerDeployment, inbox_client: Client) -> IncomingReferral:
    payload = referral_payload(
        shared_groups=["contact", "identity", "narrative"], case_summary="Recruited for farm work."
    )
    assert post_inbox(inbox_client, remote_package("referral", payload)).status_code == 202
    return IncomingReferral.objects.get()


def test_a_revocation_erases_what_was_shared_and_stops_the_answers(
    incoming: IncomingReferral,
    receiver_worker: Membership,
    inbox_client: Client,
    transport: FakeTransport,
) -> None:
    response = post_inbox(inbox_client, _revocation(note="She asked us to stop."))
    assert response.status_code == 202, response.content
    incoming.refresh_from_db()
    assert incoming.state == "revoked" and incoming.revoked_at is not None
    assert incoming.revocation_note == "She asked us to stop."
    assert json.loads(incoming.person_data) == {}
    assert incoming.details is None and incoming.case_summary is None
    notice = Notification.objects.get(kind="partner.referral_revoked")
    assert notice.recipient == receiver_worker.user
    revoked = AuditEvent.objects.get(action="partner.referral_revoked")
    assert revoked.details["from"] == "pending" and revoked.details["case"] == ""
    assert "Olena" not in json.dumps(revoked.details)

    client = signed_in_client(receiver_worker)
    page = client.get(f"/partners/incoming/{incoming.public_id}/").content.decode()
    assert 'id="revoked-notice"' in page and "She asked us to stop." in page
    assert "Olena" not in page and "Recruited for farm work." not in page
    assert 'id="form-accept"' not in page and 'id="form-decline"' not in page
    refused = client.post(
        f"/partners/incoming/{incoming.public_id}/accept/", {"consent_confirmed": "1"}
    )
    assert refused.status_code == 409
    assert "no longer waiting" in refused.content.decode()
    assert not Person.objects.exists() and not transport.posted

    from .test_answers import _api

    api, auth = _api(receiver_worker)
    detail = api.get(f"/api/partners/incoming/{incoming.public_id}", **auth).json()
    assert detail["state"] == "revoked" and detail["revoked_at"]
    assert detail["revocation_note"] == "She asked us to stop."
    assert detail["person_fields"] == {} and detail["answers"] == []
    declined = api.post(
        f"/api/partners/incoming/{incoming.public_id}/decline",
        data=json.dumps({"note": "too late"}),
        content_type="application/json",
        **auth,
    )
    assert declined.status_code == 409


def test_an_accepted_referral_keeps_its_case_here_and_asks_for_a_review(
    incoming: IncomingReferral,
    receiver_worker: Membership,
    inbox_client: Client,
    transport: FakeTransport,
) -> None:
    client = signed_in_client(receiver_worker)
    accepted = client.post(
        f"/partners/incoming/{incoming.public_id}/accept/", {"consent_confirmed": "1"}
    )
    assert accepted.status_code == 302
    case = Case.objects.get()
    assert post_inbox(inbox_client, _revocation()).status_code == 202
    incoming.refresh_from_db()
    assert incoming.state == "revoked" and incoming.case == case
    # The person and the case opened here, with the consent recorded here, stay.
    assert Person.objects.count() == 1 and Case.objects.filter(pk=case.pk).exists()
    page = client.get(f"/partners/incoming/{incoming.public_id}/").content.decode()
    assert "review whether the service goes on" in page and case.reference in page
    assert 'id="form-start"' not in page
    assert AuditEvent.objects.get(action="partner.referral_revoked").details["case"] == str(
        case.public_id
    )
    assert Notification.objects.filter(kind="partner.referral_revoked").count() == 1


def test_a_declined_referral_is_erased_without_a_notice(
    incoming: IncomingReferral,
    receiver_worker: Membership,
    inbox_client: Client,
    transport: FakeTransport,
) -> None:
    client = signed_in_client(receiver_worker)
    client.post(f"/partners/incoming/{incoming.public_id}/decline/", {"note": "No place."})
    assert post_inbox(inbox_client, _revocation()).status_code == 202
    incoming.refresh_from_db()
    assert incoming.state == "revoked" and json.loads(incoming.person_data) == {}
    assert incoming.response_note == "No place."  # our own answer stays
    assert not Notification.objects.filter(kind="partner.referral_revoked").exists()


def test_revocations_that_are_replayed_repeated_unknown_or_malformed_change_nothing(
    incoming: IncomingReferral,
    partner: PartnerDeployment,
    inbox_client: Client,
    receiver_worker: Membership,
) -> None:
    def refused(body: bytes, status: int, reason: str) -> None:
        response = post_inbox(inbox_client, body)
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == reason

    refused(
        _revocation(referral_id="9b6d2c1e-3a4f-4c5d-8e9f-a0b1c2d3e4f5"), 404, "unknown_referral"
    )
    refused(_revocation(referral_id="not-a-uuid"), 400, "bad_payload")
    refused(_revocation(at="yesterday"), 400, "bad_payload")
    refused(_revocation(at="2026-01-01T10:00:00"), 400, "bad_payload")  # no offset
    refused(_revocation(note="x" * 5000), 400, "bad_payload")
    refused(_revocation(payload_version=2), 400, "bad_payload")
    # Another registered partner cannot revoke what this partner sent.
    other_keys = packages.DeploymentKeys.generate()
    PartnerDeployment.objects.create(
        name="Palermo Ukraine",
        url="https://palermo-ua.example",
        signing_key=other_keys.public.signing_b64,
        encryption_key=other_keys.public.encryption_b64,
    )
    foreign = remote_package(
        "revocation",
        {
            "payload_version": 1,
            "referral_id": REMOTE_REFERRAL,
            "note": "",
            "at": timezone.now().isoformat(),
        },
        sender=other_keys,
    )
    refused(foreign, 404, "unknown_referral")
    incoming.refresh_from_db()
    assert incoming.state == "pending" and "Olena" in incoming.person_data
    assert not Notification.objects.filter(kind="partner.referral_revoked").exists()

    body = _revocation()
    assert post_inbox(inbox_client, body).status_code == 202
    refused(body, 409, "replay")
    # The same revocation in a new package (the sender retried): accepted, nothing more.
    assert post_inbox(inbox_client, _revocation(note="again")).status_code == 202
    incoming.refresh_from_db()
    assert incoming.revocation_note == "Consent withdrawn."
    assert Notification.objects.filter(kind="partner.referral_revoked").count() == 1
    assert AuditEvent.objects.filter(action="partner.referral_revoked").count() == 1


def test_other_roles_and_organisations_see_nothing_of_a_revoked_referral(
    incoming: IncomingReferral, inbox_client: Client
) -> None:
    assert post_inbox(inbox_client, _revocation()).status_code == 202
    outsider = signed_in_client(member(Role.CASE_WORKER))
    assert outsider.get(f"/partners/incoming/{incoming.public_id}/").status_code == 404
