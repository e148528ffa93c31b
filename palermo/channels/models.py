"""SMS channels, the conversations they carry, and every message in and out.

A *channel* is one number (or short code) at one gateway. A *conversation* is the thread of
one sender on one channel, keyed by the sender's URN (``tel:+E164``); the URN reaches a person,
so it is encrypted, and found again through its blind index. A *message* is one SMS in either
direction; the gateway's message id makes every retry of the same inbound message idempotent
(unique per channel), and the caller's idempotency key does the same for outbound ones.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField


class ChannelType(models.TextChoices):
    TWILIO = "twilio", _("Twilio")
    AFRICASTALKING = "africastalking", _("Africa's Talking")
    GENERIC = "generic", _("Generic JSON webhook")


class Channel(models.Model):
    """One gateway number: where its webhooks come from and how replies go out.

    ``secret`` is the gateway's auth token (Twilio), the URL secret (Africa's Talking) or the
    HMAC-SHA256 key (generic); ``api_key`` the outbound credential where it differs
    (Africa's Talking's API key). ``label`` names the campaign or poster the number was
    published on, for attribution.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=20, choices=ChannelType.choices)
    address = models.CharField(_("number or short code"), max_length=32)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2"))
    secret = EncryptedTextField(_("secret"))
    account = models.CharField(
        _("account"),
        max_length=64,
        blank=True,
        help_text=_("Twilio account SID or Africa's Talking username, for replies"),
    )
    api_key = EncryptedTextField(_("API key"), null=True, blank=True)
    outbound_url = models.URLField(_("outbound URL"), blank=True)
    language = models.CharField(_("default language"), max_length=8, default="en")
    label = models.CharField(_("campaign or number label"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-active", "type", "address", "id"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.address}"


class Conversation(models.Model):
    """One sender's thread on one channel."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: the unique (channel, urn_index) index serves it.
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    urn = EncryptedTextField(_("sender"))
    urn_index = models.CharField(max_length=32)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_auto_reply_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "urn_index"], name="channels_conversation_unique_urn"
            )
        ]

    def __str__(self) -> str:
        return f"Conversation {self.public_id}"


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class MessageStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


# An outbound status only ever moves up this ladder; delivered and failed are both final.
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.FAILED: 3,
}


def statuses_below(status: str) -> list[str]:
    """The outbound statuses a message may leave for `status` (never a step back)."""
    rank = STATUS_RANK[MessageStatus(status)]
    return [str(s) for s, r in STATUS_RANK.items() if r < rank]


class Message(models.Model):
    """One SMS, inbound or outbound. ``text`` is encrypted; ids and statuses are not.

    ``public_id`` names a message outside the database (replies' idempotency keys, intake's
    filing record) but nothing looks messages up by it: it has no index, which spares every
    inbound message one random-order index insertion.
    """

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # Every index costs each inbound message an insertion: these two foreign keys are served
    # by the composite indexes below (channel first, conversation first).
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    provider_message_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    text = EncryptedTextField(_("text"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    error = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Inbound messages not yet handed to intake's filing task (see handoff.py).
    handed_off = models.BooleanField(default=True)
    received_at = models.DateTimeField(
        help_text="When Palermo first received (inbound) or accepted (outbound) the message"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="channels_message_unique_provider_id",
            ),
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="channels_message_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(handed_off=False), name="channels_message_pending"
            ),
            models.Index(fields=["conversation", "received_at"]),
            models.Index(
                fields=["status", "status_changed_at"],
                condition=Q(direction="out"),
                name="channels_message_outbound",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.public_id}"

    @property
    def sender_urn(self) -> str:
        """For inbound messages the conversation's URN; for outbound the channel's number."""
        if self.direction == Direction.INBOUND:
            return str(self.conversation.urn)
        return f"tel:{self.channel.address}"
