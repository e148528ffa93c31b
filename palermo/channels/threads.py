"""Threading messages into conversations by the sender's URN.

The URN is encrypted; a keyed blind index finds the conversation again. Creating a
conversation is an ``INSERT … ON CONFLICT DO NOTHING`` followed by a read, so two first
messages of one sender arriving at once make one conversation, on PostgreSQL and SQLite
alike, without a savepoint.
"""

from __future__ import annotations

import datetime
import uuid

from palermo.vault.fields import blind_index

from .models import Channel, Conversation

URN_INDEX_DOMAIN = "channels.urn"


def urn_index(urn: str) -> str:
    return blind_index(URN_INDEX_DOMAIN, urn)


def conversation_for(
    channel: Channel,
    urn: str,
    *,
    language: str,
    now: datetime.datetime,
    inbound: bool = True,
) -> tuple[Conversation, bool]:
    """The conversation of `urn` on `channel`, and whether this call created it.

    A new conversation starts with `language`. One opened by an inbound message counts as
    auto-replied at `now` (the caller that created it sends the automatic reply); one opened
    by an outbound message has had its first word from us anyway.
    """
    index = urn_index(urn)
    fields = ("id", "public_id", "language", "last_auto_reply_at", "channel_id", "urn_index")
    existing = Conversation.objects.filter(channel=channel, urn_index=index).only(*fields).first()
    if existing is not None:
        return existing, False
    mine = uuid.uuid4()
    Conversation.objects.bulk_create(
        [
            Conversation(
                public_id=mine,
                channel=channel,
                urn=urn,
                urn_index=index,
                language=language,
                last_auto_reply_at=now if inbound else None,
            )
        ],
        ignore_conflicts=True,
    )
    conversation = Conversation.objects.only(*fields).get(channel=channel, urn_index=index)
    return conversation, conversation.public_id == mine
