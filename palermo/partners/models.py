"""Trusted partner deployments: other countries' Palermo servers that cases may be handed to.

Administrators exchange public keys out of band (`palermo partner keys` here, `palermo partner
add` there); a package is accepted only from a registered, active partner whose Ed25519 key
verifies it, and each package id is accepted once (`ReceivedPackage`). Packages this deployment
sends wait in `OutboundPackage` (payload encrypted at rest) until the partner has taken them;
referrals that arrive become `IncomingReferral`s until someone here accepts or declines them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField


class PartnerDeployment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    # The partner's base URL (https://…); packages are posted to its /partners/inbox/.
    url = models.URLField(_("address"), max_length=300)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # Raw 32-byte public keys, base64url: Ed25519 to verify its signatures, X25519 to encrypt to it.
    signing_key = models.CharField(max_length=64, unique=True)
    encryption_key = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Where referrals from this partner go (else the deployment-wide
    # PALERMO_PARTNER_RECEIVING_ORGANISATION).
    receiving_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("receiving organisation"),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def choice_value(self) -> str:
        """How forms name this partner among organisations (a consent naming a receiver)."""
        return f"partner:{self.public_id}"


class ReceivedPackage(models.Model):
    """A package id accepted once; kept for good so that a replay is refused however late."""

    package_id = models.UUIDField()
    partner = models.ForeignKey(PartnerDeployment, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12)
    created_at = models.DateTimeField()  # as the sender dated it
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["package_id"], name="received_package_once")]

    def __str__(self) -> str:
        return str(self.package_id)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be delivered")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")
    # A referral package not yet taken by the partner when the sender revoked the referral:
    # never sent again (and, if it may have arrived, followed by a revocation package).
    WITHDRAWN = "withdrawn", _("Withdrawn: the referral was revoked")


class OutboundPackage(models.Model):
    """A package for a partner, with its delivery attempts.

    The payload is kept encrypted at rest and sealed afresh for every attempt (a new ephemeral
    key and timestamp, the same package id), so a retry hours later is not refused as expired
    and a retry of a package that did arrive is recognised by the partner as already received.
    """

    package_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        PartnerDeployment, on_delete=models.PROTECT, related_name="outbound_packages"
    )
    kind = models.CharField(max_length=12)
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partner_packages",
    )
    incoming = models.ForeignKey(
        "partners.IncomingReferral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_packages",
    )
    payload = EncryptedTextField()
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The last answer: an HTTP status and the partner's error code, or a transport error's
    # class (never a payload).
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} package {self.package_id}"


class IncomingState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REVOKED = "revoked", _("Revoked by the sender")


class IncomingReferral(models.Model):
    """A referral that came from a partner deployment, until and after it is answered here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        PartnerDeployment, on_delete=models.PROTECT, related_name="incoming_referrals"
    )
    # The sender's Referral.public_id: status packages name it.
    remote_referral_id = models.UUIDField()
    remote_reference = models.CharField(max_length=20)
    remote_case_reference = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=12)
    reason = models.CharField(max_length=40)
    respond_by = models.DateField(null=True, blank=True)
    shared_groups = models.JSONField(default=list)
    consent_basis = models.CharField(max_length=16)
    is_child = models.BooleanField(default=False)
    sender_organisation_name = models.CharField(max_length=200)
    sender_country = models.CharField(max_length=2, blank=True)
    # The person's shared fields (JSON), the sender's message and the case summary: encrypted.
    person_data = EncryptedTextField()
    details = EncryptedTextField(null=True, blank=True)
    case_summary = EncryptedTextField(null=True, blank=True)
    receiving_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_partner_referrals",
    )
    state = models.CharField(
        max_length=12, choices=IncomingState.choices, default=IncomingState.PENDING
    )
    response_note = EncryptedTextField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()
    # When the sender revoked the referral (a revocation package): the shared person fields,
    # details and summary are erased then; the sender's note says why (encrypted).
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_note = EncryptedTextField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["receiving_organisation", "state", "-received_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "remote_referral_id"], name="incoming_referral_once"
            )
        ]

    def __str__(self) -> str:
        return f"Incoming referral {self.reference}"

    @property
    def reference(self) -> str:
        return "T-" + self.public_id.hex[:8].upper()
