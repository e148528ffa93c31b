"""Inbound SMS filed into contacts: one contact per thread, idempotent, identifiers extracted.

The messages arrive through the channels module's real webhook (a signed generic one), whose
ingestion enqueues `palermo.intake.tasks.file_inbound_message`; the tests' immediate task
backend runs it when the message's transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, TestCase

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation
from palermo.audit.models import AuditEvent
from palermo.channels import ingestion
from palermo.channels.models import Channel, Direction, Message
from palermo.channels.services import channel_create
from palermo.channels.signatures import generic_signature_header
from palermo.intake import filing, services
from palermo.intake.models import Campaign, Contact, FiledMessage, Identifier
from palermo.intake.tasks import file_inbound_message
from palermo.testing import actor_for

pytestmark = pytest.mark.django_db

SECRET = "generic-hmac-key-for-intake-tests-0123"


@pytest.fixture(autouse=True)
def channel_spool(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.PALERMO_CHANNELS = {"SPOOL_DIR": tmp_path / "spool", "PUBLIC_URL": ""}
    settings.PALERMO_SMS_PROVIDER = "palermo.channels.providers.RecordingProvider"
    ingestion.forget_cached_channels()
    yield
    ingestion.forget_cached_channels()


@pytest.fixture
def channel(hotline: Organisation) -> Channel:
    Campaign.objects.create(owner_organisation=hotline, name="Short number 527", numbers=["527"])
    return channel_create(
        actor=Actor.system("test"),
        data={
            "type": "generic",
            "address": "527",
            "country": "MD",
            "secret": SECRET,
            "language": "ro",
        },
        organisation=hotline,
    )


def send(
    client: Client, channel: Channel, message_id: str, text: str, sender: str = "+37369000111"
) -> Any:
    """POST a signed generic webhook, running what its commit hands on (the filing task)."""
    body = json.dumps({"id": message_id, "from": sender, "to": "527", "text": text}).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/c/generic/{channel.public_id}/receive",
            data=body,
            content_type="application/json",
            headers={"X-Palermo-Signature": generic_signature_header(SECRET, body)},
        )


def test_an_sms_thread_becomes_one_contact(client: Client, channel: Channel) -> None:
    assert (
        send(client, channel, "m-1", "Ajutor, sora mea e la Iași, sunați 069 123 456").status_code
        == 200
    )
    assert send(client, channel, "m-2", "Microbuzul ABC 123 pleacă azi").status_code == 200
    contact = Contact.objects.get()
    assert (contact.channel, contact.category, contact.via_number) == ("sms", "to_triage", "527")
    assert contact.campaign is not None and contact.campaign.name == "Short number 527"
    assert contact.reporter_phone == "+37369000111"
    assert contact.owner_organisation == channel.organisation
    assert FiledMessage.objects.filter(contact=contact).count() == 2
    kinds = sorted(Identifier.objects.filter(contact=contact).values_list("kind", flat=True))
    assert kinds == ["phone", "place", "plate"]
    assert set(Identifier.objects.values_list("source", flat=True)) == {"message"}
    # Another sender is another thread, another contact.
    send(client, channel, "m-3", "Alt mesaj", sender="+37378000222")
    assert Contact.objects.count() == 2


def test_a_retried_webhook_and_a_repeated_task_file_once(client: Client, channel: Channel) -> None:
    send(client, channel, "m-1", "Sunați 069 123 456")
    send(client, channel, "m-1", "Sunați 069 123 456")  # the gateway retries
    message = Message.objects.get(direction=Direction.INBOUND)
    before = (
        Contact.objects.count(),
        FiledMessage.objects.count(),
        Identifier.objects.count(),
        AuditEvent.objects.count(),
    )
    assert file_inbound_message.call(message.pk) == "already_filed"
    assert filing.file_message(message.pk) == "already_filed"
    after = (
        Contact.objects.count(),
        FiledMessage.objects.count(),
        Identifier.objects.count(),
        AuditEvent.objects.count(),
    )
    assert before == after == (1, 1, 1, before[3])


def test_filing_a_message_whose_record_was_lost_midway_completes_it(
    client: Client, channel: Channel
) -> None:
    """A worker that died after the contact was made but before the message was filed:
    running the task again files it into the same contact."""
    send(client, channel, "m-1", "Primul mesaj")
    message = Message.objects.get(direction=Direction.INBOUND)
    FiledMessage.objects.filter(message_id=message.pk).delete()
    assert filing.file_message(message.pk) == "filed"
    assert Contact.objects.count() == 1 and FiledMessage.objects.count() == 1


def test_a_new_message_reopens_a_closed_thread(
    client: Client, channel: Channel, operator: Membership
) -> None:
    send(client, channel, "m-1", "Primul mesaj")
    contact = Contact.objects.get()
    actor = actor_for(operator)
    services.contact_set_status(actor=actor, contact=contact, status="closed")
    send(client, channel, "m-2", "Încă ceva")
    contact.refresh_from_db()
    assert contact.status == "new" and contact.closed_at is None


def test_outbound_and_unknown_messages_are_not_filed(channel: Channel) -> None:
    assert filing.file_message(987654) == "missing"


def test_the_operator_reads_the_thread(
    client: Client, channel: Channel, operator_client: Client
) -> None:
    send(client, channel, "m-1", "Ajutor <b>acum</b>")
    contact = Contact.objects.get()
    html = operator_client.get(f"/intake/{contact.public_id}/").content.decode()
    assert "Ajutor &lt;b&gt;acum&lt;/b&gt;" in html
