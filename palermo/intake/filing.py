"""Filing inbound SMS into the hotline's contacts: one contact per SMS thread.

The channels module stores each inbound message and then enqueues
`palermo.intake.tasks.file_inbound_message(message_id)`. Filing finds (or opens) the contact of
the message's conversation, records the message against it and extracts the identifiers of
its text. Running it twice for one message changes nothing the second time: the message is
filed once (`FiledMessage.message_id` is unique) and the contact of a thread is found by its
`source_key`, never made twice, even by two workers at once.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.audit.services import audit_record

from .field_groups import reporter_indexes
from .models import (
    CallerType,
    Campaign,
    Category,
    Contact,
    ContactChannel,
    FiledMessage,
    IdentifierSource,
)
from .services import campaign_for, identifiers_record
from .statuses import Status

logger = logging.getLogger(__name__)

SYSTEM_ACTOR_LABEL = "sms-intake"


def _tel(urn: str) -> str:
    return urn[4:] if urn.startswith("tel:") else ""


def _organisation_for(channel: object) -> Organisation | None:
    """The channel's organisation; a channel without one files to the tip form's recipient."""
    organisation = getattr(channel, "organisation", None)
    if organisation is not None:
        return organisation  # type: ignore[no-any-return]
    campaign = Campaign.objects.filter(receives_web_tips=True, active=True).first()
    return campaign.owner_organisation if campaign is not None else None


def file_message(message_id: int) -> str:
    """File one inbound message; returns what happened (for the task's result and logs)."""
    from palermo.channels.models import Direction, Message

    message = (
        Message.objects.select_related("channel__organisation", "conversation")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return "missing"
    if message.direction != Direction.INBOUND:
        return "outbound"
    if FiledMessage.objects.filter(message_id=message.pk).exists():
        return "already_filed"
    channel = message.channel
    organisation = _organisation_for(channel)
    if organisation is None:
        logger.error(
            "SMS %s cannot be filed: channel %s has no organisation and no campaign receives "
            "tips; it stays stored in the channel.",
            message.public_id,
            channel.public_id,
        )
        return "unrouted"
    return _file(message, channel, organisation)


@transaction.atomic
def _file(message: object, channel: object, organisation: Organisation) -> str:
    actor = Actor.system(SYSTEM_ACTOR_LABEL)
    conversation = message.conversation  # type: ignore[attr-defined]
    received_at = message.received_at or timezone.now()  # type: ignore[attr-defined]
    region = channel.country or organisation.country  # type: ignore[attr-defined]
    address = str(channel.address)  # type: ignore[attr-defined]
    phone = _tel(str(conversation.urn))
    campaign = campaign_for(organisation, number=address) or (
        Campaign.objects.filter(
            owner_organisation=organisation,
            active=True,
            name=channel.label,  # type: ignore[attr-defined]
        ).first()
        if getattr(channel, "label", "")
        else None
    )
    contact, created = Contact.objects.get_or_create(
        source_key=f"sms:{conversation.public_id}",
        defaults={
            "owner_organisation": organisation,
            "channel": ContactChannel.SMS,
            "via_number": address,
            "campaign": campaign,
            "caller_type": CallerType.UNKNOWN,
            "category": Category.TO_TRIAGE,
            "language": conversation.language or message.language or "",  # type: ignore[attr-defined]
            "reporter_phone": phone or None,
            "received_at": received_at,
            "last_activity_at": received_at,
            **reporter_indexes(phone, None, region),
        },
    )
    filed, new = FiledMessage.objects.get_or_create(
        message_id=message.pk,  # type: ignore[attr-defined]
        defaults={
            "contact": contact,
            "message_public_id": message.public_id,  # type: ignore[attr-defined]
            "received_at": received_at,
        },
    )
    if not new:
        return "already_filed"
    if created:
        audit_record(
            actor=actor,
            action="contact.create",
            object_type="contact",
            object_id=str(contact.public_id),
            field_groups=["contact"] if phone else [],
            details={"channel": ContactChannel.SMS.value, "category": contact.category},
        )
    else:
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        contact.last_activity_at = max(contact.last_activity_at, received_at)
        update = ["last_activity_at", "updated_at"]
        if not contact.language and (conversation.language or message.language):  # type: ignore[attr-defined]
            contact.language = conversation.language or message.language  # type: ignore[attr-defined]
            update.append("language")
        if contact.status == Status.CLOSED.value:
            contact.status = Status.NEW.value
            contact.closed_at = None
            contact.assigned_to = None
            contact.claimed_at = None
            update += ["status", "closed_at", "assigned_to", "claimed_at"]
            audit_record(
                actor=actor,
                action="contact.status",
                object_type="contact",
                object_id=str(contact.public_id),
                details={"from": Status.CLOSED.value, "to": Status.NEW.value, "by": "message"},
            )
        contact.save(update_fields=update)
    found = identifiers_record(
        contact=contact,
        source=IdentifierSource.MESSAGE,
        source_ref=str(message.public_id),  # type: ignore[attr-defined]
        text=str(message.text or ""),  # type: ignore[attr-defined]
        region=region,
    )
    audit_record(
        actor=actor,
        action="contact.message_filed",
        object_type="contact",
        object_id=str(contact.public_id),
        details={"message": str(message.public_id), "identifiers": found},  # type: ignore[attr-defined]
    )
    return "filed_new_contact" if created else "filed"
