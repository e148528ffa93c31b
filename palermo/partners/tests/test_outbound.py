"""Sending: what a referral package holds (only the shared, visible groups), its delivery with
retries, and the partner's answers coming back into the referral's history."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError
from palermo.partners import outbound, packages
from palermo.partners.conf import MAX_ATTEMPTS
from palermo.partners.models import DeliveryState, OutboundPackage, PartnerDeployment
from palermo.partners.tasks import retry_due_packages
from palermo.partners.transport import Answer
from palermo.referrals.models import Referral, ReferralEvent
from palermo.testing import member

from .conftest import OWN, FakeTransport, partner_referral, post_inbox, remote_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _run_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test's transaction never commits: run the after-commit enqueue at once.
    monkeypatch.setattr(outbound.transaction, "on_commit", lambda func, **_kw: func())


def test_a_referral_package_carries_only_the_shared_groups(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    package = outbound.transmit_referral(referral)
    package.refresh_from_db()
    assert package.state == DeliveryState.DELIVERED and package.attempts == 1
    [posted] = transport.posted
    assert posted.url == partner.url
    assert posted.envelope["sender"] == OWN.public.signing_b64
    assert posted.envelope["package_id"] == str(package.package_id)
    payload = posted.opened()
    assert payload["referral_id"] == str(referral.public_id)
    assert payload["shared_groups"] == ["contact", "identity"]
    person = payload["person"]
    assert person["first_name"] == "Olena" and person["mobile_phone"] == "+37369123456"
    assert person["birthdate"] == "1998-05-04"
    assert "mailing_street" not in person and "mailing_city" not in person
    assert payload["case_summary"] == ""  # narrative not shared
    assert payload["sender_organisation"]["name"] == referral.sending_organisation.name
    # Stored encrypted while it waits, and the disclosure is audited with its groups.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM partners_outboundpackage")
        assert "Olena" not in cursor.fetchone()[0]
    sent = AuditEvent.objects.get(action="partner.referral_sent")
    assert sent.field_groups == ["contact", "identity"]
    assert sent.object_id == str(referral.public_id)


def test_the_package_never_carries_more_than_the_sender_may_see(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    # A first responder's role does not see health or legal: even if the referral listed
    # them, only what the sender's role sees travels; narrative brings the case summary.
    sender = member(Role.FIRST_RESPONDER)
    referral = partner_referral(
        partner, groups=["identity", "location", "narrative", "health"], sender=sender
    )
    outbound.transmit_referral(referral)
    payload = transport.posted[0].opened()
    assert payload["shared_groups"] == ["identity", "location", "narrative"]
    assert payload["case_summary"] == "Recruited for farm work."
    assert payload["person"]["mailing_city"] == "Chișinău"
    assert "mobile_phone" not in payload["person"]


def test_transmitting_twice_sends_one_package(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    first = outbound.transmit_referral(referral)
    assert outbound.transmit_referral(referral) == first
    assert len(transport.posted) == 1


def test_a_sender_who_may_no_longer_refer_stops_the_package(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    Membership.objects.filter(user=referral.sent_by).delete()
    with pytest.raises(ApplicationError) as caught:
        outbound.transmit_referral(referral)
    assert caught.value.code == "no_sender"
    assert not OutboundPackage.objects.exists() and not transport.posted


def test_an_inactive_partner_gets_nothing(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    referral = partner_referral(partner)
    partner.active = False
    partner.save()
    with pytest.raises(ApplicationError):
        outbound.transmit_referral(referral)
    assert not transport.posted


def test_failed_deliveries_are_retried_later_with_growing_delays(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    transport.answers = [Answer(None, "ConnectionRefusedError"), Answer(503, "not_configured")]
    package = outbound.transmit_referral(partner_referral(partner))
    package.refresh_from_db()
    assert (package.state, package.attempts, package.last_error) == (
        "pending",
        1,
        "ConnectionRefusedError",
    )
    first_delay = package.next_attempt_at - package.last_attempt_at
    assert first_delay == datetime.timedelta(seconds=30)
    # Not due yet: the periodic job leaves it.
    assert retry_due_packages.call() == 0
    OutboundPackage.objects.filter(pk=package.pk).update(next_attempt_at=timezone.now())
    assert retry_due_packages.call() == 1
    package.refresh_from_db()
    assert (package.state, package.attempts, package.last_status) == ("pending", 2, 503)
    assert package.next_attempt_at - package.last_attempt_at == datetime.timedelta(seconds=60)
    OutboundPackage.objects.filter(pk=package.pk).update(next_attempt_at=timezone.now())
    retry_due_packages.call()
    package.refresh_from_db()
    assert package.state == "delivered" and package.attempts == 3
    # Each attempt is sealed afresh (new ephemeral key), under the same package id.
    envelopes = [p.envelope for p in transport.posted]
    assert len({e["package_id"] for e in envelopes}) == 1
    assert len({e["ephemeral_key"] for e in envelopes}) == 3
    assert AuditEvent.objects.filter(action="partner.package_delivery").count() == 3


def test_a_partner_that_already_has_the_package_counts_as_delivered(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    transport.answers = [Answer(409, "replay")]
    package = outbound.transmit_referral(partner_referral(partner))
    package.refresh_from_db()
    assert package.state == "delivered"


def test_a_permanent_refusal_or_too_many_attempts_gives_up(
    partner: PartnerDeployment, transport: FakeTransport
) -> None:
    transport.answers = [Answer(400, "bad_payload")]
    package = outbound.transmit_referral(partner_referral(partner))
    package.refresh_from_db()
    assert (package.state, package.last_error) == ("failed", "bad_payload")

    other = partner_referral(partner)
    transport.answers = [Answer(None, "TimeoutError")]
    second = outbound.transmit_referral(other)
    OutboundPackage.objects.filter(pk=second.pk).update(attempts=MAX_ATTEMPTS - 1)
    OutboundPackage.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    transport.answers = [Answer(None, "TimeoutError")]
    retry_due_packages.call()
    second.refresh_from_db()
    assert (second.state, second.attempts) == ("failed", MAX_ATTEMPTS)


def _status(referral: Referral, state: str, note: str = "") -> bytes:
    return remote_package(
        "status",
        {
            "payload_version": 1,
            "referral_id": str(referral.public_id),
            "state": state,
            "note": note,
            "at": timezone.now().isoformat(),
        },
    )


def test_the_partners_answers_move_the_referral_and_name_the_partner(
    partner: PartnerDeployment, transport: FakeTransport, inbox_client: Client
) -> None:
    referral = partner_referral(partner)
    outbound.transmit_referral(referral)
    for state in ("accepted", "in_progress", "done"):
        response = post_inbox(inbox_client, _status(referral, state))
        assert response.status_code == 202, response.content
        referral.refresh_from_db()
        assert referral.state == state
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "id"))
    assert [(e.from_state, e.to_state, e.actor_label) for e in events] == [
        ("pending", "accepted", partner.name),
        ("accepted", "in_progress", partner.name),
        ("in_progress", "done", partner.name),
    ]
    # The same answer again changes nothing (a retry of a lost answer).
    assert post_inbox(inbox_client, _status(referral, "done")).status_code == 202
    assert ReferralEvent.objects.filter(referral=referral).count() == 3


def test_a_decline_comes_with_its_reason(
    partner: PartnerDeployment, transport: FakeTransport, inbox_client: Client
) -> None:
    referral = partner_referral(partner)
    response = post_inbox(inbox_client, _status(referral, "declined", "No place this month."))
    assert response.status_code == 202
    referral.refresh_from_db()
    assert referral.state == "declined" and referral.response_note == "No place this month."


def test_answers_about_someone_elses_referral_are_refused(
    partner: PartnerDeployment, transport: FakeTransport, inbox_client: Client
) -> None:
    keys = packages.DeploymentKeys.generate().public
    other = PartnerDeployment.objects.create(
        name="Palermo Ukraine",
        url="https://palermo-ua.example",
        signing_key=keys.signing_b64,
        encryption_key=keys.encryption_b64,
    )
    referral = partner_referral(other)  # sent to another partner
    response = post_inbox(inbox_client, _status(referral, "accepted"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_referral"
    referral.refresh_from_db()
    assert referral.state == "pending"


def test_an_answer_the_state_machine_refuses_is_refused(
    partner: PartnerDeployment, transport: FakeTransport, inbox_client: Client
) -> None:
    referral = partner_referral(partner)
    response = post_inbox(inbox_client, _status(referral, "done"))  # never accepted
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    referral.refresh_from_db()
    assert referral.state == "pending"


def test_transmit_fails_cleanly_without_partner_keys(
    partner: PartnerDeployment, transport: FakeTransport, settings: Any
) -> None:
    settings.PALERMO_PARTNER_SIGNING_KEY = ""
    settings.PALERMO_PARTNER_ENCRYPTION_KEY = ""
    with pytest.raises(ApplicationError) as caught:
        outbound.transmit_referral(partner_referral(partner))
    assert caught.value.code == "partner_keys_missing"
    assert not OutboundPackage.objects.exists()
