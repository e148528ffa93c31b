"""Sending SMS: the one entry point other modules use, and the delivery that follows.

    from palermo.channels.outbound import send_text

    message = send_text(to="+380671234567", body=_("…"), idempotency_key=f"checkin:{id}")

``send_text`` records the message (status ``queued``) in the caller's transaction and returns
it; once that transaction commits, the ``deliver_outbound`` task hands it to the provider
(``settings.PALERMO_SMS_PROVIDER``: the recording provider in development and tests, the
gateways in production). Calling again with the same idempotency key returns the message
already recorded and sends nothing more. The provider's delivery reports then move the status
up ``queued → sending → sent → delivered | failed``, never back.

In tests (where each test runs inside a transaction) wrap the call in
``django_capture_on_commit_callbacks(execute=True)`` to have it delivered; the recording
provider's ``RecordingProvider.outbox`` then holds it.
"""

from __future__ import annotations

import datetime
import logging

import phonenumbers
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.errors import ApplicationError, invalid

from .conf import channel_settings
from .handoff import DELIVER_OUTBOUND, enqueue_with_transaction
from .models import Channel, ChannelType, Direction, Message, MessageStatus
from .providers import OutboundSms, ProviderError, get_provider
from .signatures import AFRICASTALKING_SECRET_PARAM
from .threads import conversation_for
from .urns import InvalidAddress, tel_urn, urn_path

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # what the gateways accept in one (multi-part) message
MAX_ATTEMPTS = 5
# A message left "sending" this long had its provider call interrupted: whether it went out is
# unknown, so it is marked failed rather than sent twice.
SENDING_TIMEOUT = datetime.timedelta(minutes=10)
QUEUED_RETRY_AFTER = datetime.timedelta(minutes=1)


def default_channel(to: str = "") -> Channel:
    """The active channel to send through when the caller names none: one in the country of
    the number if there is one, else the oldest active channel."""
    channels = list(Channel.objects.filter(active=True).order_by("created_at", "id"))
    if not channels:
        raise ApplicationError(_("No SMS channel is active."), code="no_channel")
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(to, None))
    except phonenumbers.NumberParseException:
        region = ""
    for channel in channels:
        if region and channel.country.upper() == region:
            return channel
    return channels[0]


def send_text(
    *,
    to: str,
    body: str,
    channel: Channel | None = None,
    idempotency_key: str,
    language: str = "",
) -> Message:
    """Record an outbound SMS to `to` and have it sent once the current transaction commits.

    `idempotency_key` (at most 128 characters, unique per channel) makes retries safe: a key
    already used returns the message recorded under it. Raises ApplicationError for an empty
    or too long body, a number that is not one, no or an inactive channel.
    """
    key = idempotency_key.strip()
    errors: dict[str, list[str]] = {}
    if not key or len(key) > 128:
        errors["idempotency_key"] = [_("Give an idempotency key of 1 to 128 characters.")]
    if not body.strip():
        errors["body"] = [_("The message is empty.")]
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = [_("Use at most %(max)d characters.") % {"max": MAX_BODY_CHARS}]
    if errors:
        raise invalid(errors)
    channel = channel or default_channel(to)
    if not channel.active:
        raise ApplicationError(_("This SMS channel is not active."), code="channel_inactive")
    try:
        urn = tel_urn(to, channel.country, allow_sender_id=False)
    except InvalidAddress as exc:
        raise invalid({"to": [_("Enter a valid phone number.")]}) from exc
    now = timezone.now()
    with transaction.atomic():
        existing = Message.objects.filter(channel=channel, idempotency_key=key).first()
        if existing is not None:
            return existing
        conversation, _created = conversation_for(
            channel, urn, language=language, now=now, inbound=False
        )
        return _record_outbound(
            channel=channel,
            conversation_id=conversation.pk,
            body=body,
            key=key,
            language=language,
            now=now,
        )


def _record_outbound(
    *,
    channel: Channel,
    conversation_id: int,
    body: str,
    key: str,
    language: str,
    now: datetime.datetime,
) -> Message:
    """Insert the queued message unless its key exists (a concurrent caller), and hand it on.
    Call inside a transaction."""
    message = Message(
        channel=channel,
        conversation_id=conversation_id,
        direction=Direction.OUTBOUND,
        idempotency_key=key,
        text=body,
        language=language,
        status=MessageStatus.QUEUED,
        received_at=now,
        status_changed_at=now,
    )
    Message.objects.bulk_create([message], ignore_conflicts=True)
    stored = Message.objects.get(channel=channel, idempotency_key=key)
    if stored.public_id == message.public_id:
        enqueue_with_transaction(DELIVER_OUTBOUND, stored.pk)
    return stored


def status_callback_url(channel: Channel) -> str:
    """Where the gateway should post delivery reports ('' without a configured public URL)."""
    base = channel_settings().public_url
    if not base:
        return ""
    url = base + reverse(
        "channels:status", kwargs={"channel_type": channel.type, "channel_id": channel.public_id}
    )
    if channel.type == ChannelType.AFRICASTALKING:
        url += f"?{AFRICASTALKING_SECRET_PARAM}={channel.secret}"
    return url


def deliver(message_id: int) -> str:
    """Hand one queued outbound message to the provider; returns what became of it.

    The message is claimed first (queued → sending in one conditional UPDATE) so that two
    deliveries of one message cannot both call the gateway.
    """
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED
    ).update(status=MessageStatus.SENDING, status_changed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    message = Message.objects.select_related("channel", "conversation").get(pk=message_id)
    sms = OutboundSms(
        channel=message.channel,
        to=urn_path(str(message.conversation.urn)),
        body=str(message.text),
        reference=str(message.public_id),
        status_callback_url=status_callback_url(message.channel),
    )
    sending = Message.objects.filter(pk=message_id, status=MessageStatus.SENDING)
    try:
        result = get_provider().send(sms)
    except ProviderError as exc:
        give_up = exc.permanent or message.attempts >= MAX_ATTEMPTS
        logger.warning(
            "Outbound SMS %s not sent (attempt %d): %s", message.public_id, message.attempts, exc
        )
        sending.update(
            status=MessageStatus.FAILED if give_up else MessageStatus.QUEUED,
            error=str(exc)[:200],
            status_changed_at=timezone.now(),
        )
        return "failed" if give_up else "retry"
    status = MessageStatus.FAILED if result.status == "failed" else MessageStatus.SENT
    sending.update(
        status=status,
        provider_message_id=result.provider_message_id[:64],
        error=result.error[:200],
        status_changed_at=timezone.now(),
    )
    return str(status)


def retry_stalled(now: datetime.datetime | None = None) -> dict[str, int]:
    """Re-enqueue queued messages whose delivery never ran, and settle interrupted ones."""
    now = now or timezone.now()
    interrupted = Message.objects.filter(
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENDING,
        status_changed_at__lt=now - SENDING_TIMEOUT,
    ).update(
        status=MessageStatus.FAILED,
        error="interrupted while sending: outcome unknown",
        status_changed_at=now,
    )
    stalled = list(
        Message.objects.filter(
            direction=Direction.OUTBOUND,
            status=MessageStatus.QUEUED,
            status_changed_at__lt=now - QUEUED_RETRY_AFTER,
        ).values_list("pk", flat=True)[:500]
    )
    for message_id in stalled:
        with transaction.atomic():
            enqueue_with_transaction(DELIVER_OUTBOUND, message_id)
    return {"requeued": len(stalled), "interrupted": interrupted}
