"""What happens to an inbound SMS once it is stored: run in the worker, one task per message.

1. **Safe Travel first.** ``palermo.safetravel.sms_commands.handle_inbound_sms`` answers
   travellers' check-ins ("OK 123456") and trusted contacts' YES/NO. If it returns a reply,
   that reply goes back on the same channel and the message stops here: it is not filed with
   the hotline (a check-in carries a PIN, and a traveller is not a hotline contact) and gets no
   hotline auto-reply.
2. **The automatic reply**, for the first message of a conversation and the first after a day
   of silence, in the conversation's language; one conditional UPDATE claims it, so two
   messages dispatched at once cannot both reply.
3. **Intake files it**: ``palermo.intake.tasks.file_inbound_message(message_id)`` is enqueued,
   in the same transaction as the reply.

Dispatching a message twice (a task retried) changes nothing the second time: the replies are
keyed by the message, the claim is taken, and intake's filing is idempotent.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from palermo.errors import ApplicationError

from .conf import channel_settings
from .handoff import FILE_INBOUND_MESSAGE, enqueue_with_transaction
from .models import Channel, Conversation, Direction, Message
from .urns import urn_path

logger = logging.getLogger(__name__)

SAFE_TRAVEL_HANDLER = "palermo.safetravel.sms_commands.handle_inbound_sms"
AUTO_REPLY_KEY = "auto-reply:{}"
SAFE_TRAVEL_REPLY_KEY = "travel-reply:{}"
_missing_handler_logged = False


def auto_reply_text(language: str) -> str:
    """The automatic reply, in `language` (falls back to English where not translated)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _(
            "Thank you. Your message has reached the hotline and a counsellor will answer you "
            "as soon as possible. If you are in danger now, call the emergency services."
        )


def reply_language(conversation_language: str, guessed: str | None, channel: Channel) -> str:
    """The first of the conversation's, the message's and the channel's language that Palermo
    speaks; else the site's."""
    available = {code for code, _name in settings.LANGUAGES}
    for candidate in (conversation_language, guessed, channel.language):
        if candidate and candidate.split("-")[0] in available:
            return candidate.split("-")[0]
    return str(settings.LANGUAGE_CODE)


def _safe_travel_handler() -> Any:
    global _missing_handler_logged
    try:
        return import_string(SAFE_TRAVEL_HANDLER)
    except ImportError:
        if not _missing_handler_logged:
            _missing_handler_logged = True
            logger.info("No Safe Travel SMS handler (%s): skipping it.", SAFE_TRAVEL_HANDLER)
        return None


def _send_reply(message: Message, body: str, key: str, language: str) -> None:
    from .outbound import send_text

    try:
        send_text(
            to=urn_path(str(message.conversation.urn)),
            body=body,
            channel=message.channel,
            idempotency_key=key,
            language=language,
        )
    except ApplicationError as exc:
        # An alphanumeric sender id, or the channel was deactivated meanwhile: no reply.
        logger.info("No reply to message %s: %s", message.public_id, exc.code)


def dispatch_inbound(message_id: int) -> str:
    """Dispatch one stored inbound message; returns what became of it."""
    message = (
        Message.objects.select_related("channel", "conversation")
        .filter(pk=message_id, direction=Direction.INBOUND)
        .first()
    )
    if message is None:
        return "missing"
    conversation = message.conversation
    handler = _safe_travel_handler()
    if handler is not None:
        reply = handler(
            from_number=urn_path(str(conversation.urn)),
            body=str(message.text or ""),
            channel=message.channel,
        )
        if reply:
            _send_reply(
                message,
                str(reply),
                SAFE_TRAVEL_REPLY_KEY.format(message.public_id),
                conversation.language,
            )
            return "safe_travel"
    now = timezone.now()
    cutoff = now - datetime.timedelta(hours=channel_settings().auto_reply_hours)
    with transaction.atomic():
        claimed = (
            Conversation.objects.filter(pk=conversation.pk)
            .filter(Q(last_auto_reply_at__isnull=True) | Q(last_auto_reply_at__lt=cutoff))
            .update(last_auto_reply_at=now)
        )
        if claimed:
            language = reply_language(conversation.language, message.language, message.channel)
            _send_reply(
                message,
                auto_reply_text(language),
                AUTO_REPLY_KEY.format(message.public_id),
                language,
            )
        enqueue_with_transaction(FILE_INBOUND_MESSAGE, message.pk)
    return "auto_replied" if claimed else "filed"
