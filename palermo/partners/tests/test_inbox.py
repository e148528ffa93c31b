"""The inbox through HTTP: what a partner's package becomes, and every refusal (with its
reason, its audit event, and nothing stored)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.notifications.models import Notification
from palermo.partners import packages
from palermo.partners.conf import MAX_PACKAGE_BYTES
from palermo.partners.models import IncomingReferral, PartnerDeployment, ReceivedPackage

from .conftest import REMOTE, post_inbox, referral_payload, remote_package

pytestmark = pytest.mark.django_db


def _refusals() -> list[dict[str, Any]]:
    return [
        e.details
        for e in AuditEvent.objects.filter(action="partner.package_refused").order_by("sequence")
    ]


def _nothing_stored() -> None:
    assert IncomingReferral.objects.count() == 0
    assert ReceivedPackage.objects.count() == 0


def test_a_referral_package_becomes_an_incoming_referral(
    inbox_client: Client, partner: PartnerDeployment, receiver_worker: Membership
) -> None:
    response = post_inbox(inbox_client, remote_package("referral", referral_payload()))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "accepted"
    incoming = IncomingReferral.objects.get()
    assert incoming.partner == partner
    assert incoming.receiving_organisation == partner.receiving_organisation
    assert incoming.state == "pending"
    assert incoming.remote_reference == "R-0B6D2C1E"
    assert incoming.shared_groups == ["contact", "identity"]
    assert json.loads(incoming.person_data)["first_name"] == "Olena"
    # Encrypted at rest.
    raw = IncomingReferral.objects.filter(pk=incoming.pk).values_list("person_data", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT person_data, details FROM partners_incomingreferral")
        stored = cursor.fetchone()
    assert "Olena" not in stored[0] and "shelter" not in stored[1]
    assert raw
    assert ReceivedPackage.objects.filter(partner=partner, kind="referral").count() == 1
    events = list(AuditEvent.objects.filter(action__startswith="partner.").order_by("sequence"))
    assert [e.action for e in events] == ["partner.referral_received", "partner.package_received"]
    assert events[0].field_groups == ["contact", "identity"]
    assert "Olena" not in json.dumps(events[0].details)
    # The receiving organisation's members who answer referrals are told, without details.
    notification = Notification.objects.get(recipient=receiver_worker.user)
    assert notification.kind == "partner.referral_received"
    assert notification.reference == incoming.reference


def test_the_inbox_takes_posts_only_and_needs_no_csrf_token(inbox_client: Client) -> None:
    assert inbox_client.get("/partners/inbox/").status_code == 405


def _assert_refused(response: Any, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == reason
    _nothing_stored()
    refusals = _refusals()
    assert refusals and refusals[-1]["reason"] == reason
    return refusals[-1]


def test_an_unknown_sender_is_refused_and_logged(inbox_client: Client, partner: Any) -> None:
    stranger = packages.DeploymentKeys.generate()
    body = remote_package("referral", referral_payload(), sender=stranger)
    logged = _assert_refused(post_inbox(inbox_client, body), 403, "unknown_sender")
    assert logged["sender_key"] == stranger.public.signing_b64
    assert "partner" not in logged


def test_an_inactive_partner_is_refused(inbox_client: Client, partner: PartnerDeployment) -> None:
    partner.active = False
    partner.save()
    body = remote_package("referral", referral_payload())
    logged = _assert_refused(post_inbox(inbox_client, body), 403, "inactive_sender")
    assert logged["partner"] == str(partner.public_id)


def test_a_tampered_package_is_refused_and_nothing_is_stored(
    inbox_client: Client, partner: Any
) -> None:
    envelope = json.loads(remote_package("referral", referral_payload()))
    envelope["ciphertext"] = envelope["ciphertext"][:-4] + (
        "AAAA" if not envelope["ciphertext"].endswith("AAAA") else "BBBB"
    )
    response = post_inbox(inbox_client, packages.encode(envelope))
    logged = _assert_refused(response, 403, "bad_signature")
    assert logged["package_id"] == envelope["package_id"]
    assert "Olena" not in json.dumps(logged)


def test_a_replayed_package_is_refused(inbox_client: Client, partner: Any) -> None:
    body = remote_package("referral", referral_payload())
    assert post_inbox(inbox_client, body).status_code == 202
    response = post_inbox(inbox_client, body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "replay"
    assert IncomingReferral.objects.count() == ReceivedPackage.objects.count() == 1
    assert _refusals()[-1]["reason"] == "replay"


def test_the_same_referral_in_a_new_package_is_refused(inbox_client: Client, partner: Any) -> None:
    assert (
        post_inbox(inbox_client, remote_package("referral", referral_payload())).status_code == 202
    )
    response = post_inbox(inbox_client, remote_package("referral", referral_payload()))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_referral"
    assert IncomingReferral.objects.count() == ReceivedPackage.objects.count() == 1


@pytest.mark.parametrize(
    ("minutes", "reason"),
    [(-11, "expired"), (3, "from_future")],
)
def test_packages_outside_the_time_window_are_refused(
    inbox_client: Client, partner: Any, minutes: int, reason: str
) -> None:
    when = timezone.now() + datetime.timedelta(minutes=minutes)
    body = remote_package("referral", referral_payload(), now=when)
    _assert_refused(post_inbox(inbox_client, body), 400, reason)


def test_a_package_for_another_deployment_is_refused(inbox_client: Client, partner: Any) -> None:
    other = packages.DeploymentKeys.generate().public
    body = remote_package("referral", referral_payload(), recipient=other)
    _assert_refused(post_inbox(inbox_client, body), 403, "wrong_recipient")


def test_an_address_that_keeps_sending_refused_packages_is_throttled(
    inbox_client: Client, partner: PartnerDeployment, settings: Any
) -> None:
    settings.PALERMO_PARTNER_REFUSALS_PER_MINUTE = 3
    for _ in range(3):
        _assert_refused(post_inbox(inbox_client, b"{not json"), 400, "malformed")
    # The fourth is answered without being opened: nothing verified, logged in the audit or
    # stored; even a good package from that address waits (the sender retries later).
    good = remote_package("referral", referral_payload())
    for body in (b"{not json", good):
        response = post_inbox(inbox_client, body)
        assert response.status_code == 429 and response["Retry-After"] == "60"
        assert response.json()["error"]["code"] == "throttled"
    assert len(_refusals()) == 3
    _nothing_stored()
    # Another address is not held back by it.
    response = inbox_client.post(
        "/partners/inbox/", data=good, content_type="application/json", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 202
    assert IncomingReferral.objects.count() == 1


def test_accepted_packages_do_not_count_towards_the_limit(
    inbox_client: Client, partner: PartnerDeployment, settings: Any
) -> None:
    settings.PALERMO_PARTNER_REFUSALS_PER_MINUTE = 1
    for number in range(3):
        referral_id = f"0b6d2c1e-3a4f-4c5d-8e9f-a0b1c2d3e4f{number}"
        body = remote_package("referral", referral_payload(referral_id=referral_id))
        assert post_inbox(inbox_client, body).status_code == 202


def test_malformed_and_oversized_bodies_are_refused(inbox_client: Client, partner: Any) -> None:
    _assert_refused(post_inbox(inbox_client, b"{not json"), 400, "malformed")
    response = post_inbox(inbox_client, b"x" * (MAX_PACKAGE_BYTES + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    _nothing_stored()


@pytest.mark.parametrize(
    "overrides",
    [
        # A person field of a group the package does not declare shared (location).
        {"person": {"first_name": "Olena", "mailing_city": "Iași"}},
        # The case summary without the narrative group.
        {"case_summary": "The story."},
        {"shared_groups": ["identity", "secrets"]},
        {"reason": "Because"},
        {"referral_id": "nope"},
        {"payload_version": 7},
        {"person": {"first_name": 42}},
    ],
)
def test_a_payload_that_says_more_than_it_declares_is_refused(
    inbox_client: Client, partner: Any, overrides: dict[str, Any]
) -> None:
    body = remote_package("referral", referral_payload(**overrides))
    _assert_refused(post_inbox(inbox_client, body), 400, "bad_payload")


def test_without_a_receiving_organisation_the_referral_waits_for_one(
    inbox_client: Client, partner: PartnerDeployment, settings: Any
) -> None:
    partner.receiving_organisation = None
    partner.save()
    assert (
        post_inbox(inbox_client, remote_package("referral", referral_payload())).status_code == 202
    )
    assert IncomingReferral.objects.get().receiving_organisation is None


def test_the_deployment_wide_receiving_organisation_is_used_as_a_default(
    inbox_client: Client, partner: PartnerDeployment, settings: Any
) -> None:
    organisation = partner.receiving_organisation
    assert organisation is not None
    partner.receiving_organisation = None
    partner.save()
    settings.PALERMO_PARTNER_RECEIVING_ORGANISATION = str(organisation.public_id)
    assert (
        post_inbox(inbox_client, remote_package("referral", referral_payload())).status_code == 202
    )
    assert IncomingReferral.objects.get().receiving_organisation == organisation


def test_without_partner_keys_the_inbox_says_it_is_not_ready(
    inbox_client: Client, partner: Any, settings: Any
) -> None:
    settings.PALERMO_PARTNER_SIGNING_KEY = ""
    settings.PALERMO_PARTNER_ENCRYPTION_KEY = ""
    response = post_inbox(inbox_client, remote_package("referral", referral_payload()))
    assert response.status_code == 503
    _nothing_stored()


def test_the_partner_signs_with_its_own_key_only(inbox_client: Client, partner: Any) -> None:
    # Signed by this deployment's partner's key but naming itself: fine. Naming the partner but
    # signed by someone else: refused.
    impostor = packages.DeploymentKeys.generate()
    envelope = json.loads(remote_package("referral", referral_payload()))
    forged = packages.sign_envelope(envelope, impostor)
    assert forged["sender"] == REMOTE.public.signing_b64
    _assert_refused(post_inbox(inbox_client, packages.encode(forged)), 403, "bad_signature")
