"""Referrals and transfers of cases between organisations.

A referral gives the receiving organisation access to the case for a service while the owner
stays; a transfer moves ownership when the receiver accepts. The sender picks the personal
field groups to share and the receiver sees only those, and only while the referral is live
(`LIVE_STATES`). Every transition is a `ReferralEvent`, with the consent basis it relied on.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.cases.models import OPEN_STATUSES
from palermo.cases.models import REFERRAL_CASE_COLUMNS as CASE_COLUMNS
from palermo.vault.fields import EncryptedTextField


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral for a service")
    TRANSFER = "transfer", _("Transfer of the case")


class ReferralState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REVOKED = "revoked", _("Revoked")


# While a referral is in one of these states the receiver may see what was shared.
LIVE_STATES = (ReferralState.PENDING, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)


# Live referrals to an organisation in this deployment, and those of them whose case is open
# (the condition of the receiver's case-list indexes; a query must say it in this form).
RECEIVED_LIVE = models.Q(
    state__in=[str(s) for s in LIVE_STATES], receiving_organisation__isnull=False
)
RECEIVED_LIVE_OPEN = RECEIVED_LIVE & models.Q(case_status__in=[str(s) for s in OPEN_STATUSES])


class ReferralReason(models.TextChoices):
    """HTCDS referral reason."""

    ADDITIONAL_SERVICES = "AdditionalServicesRequired", _("Additional services required")
    MIGRATION = "MigrationOrChangeOfLocation", _("Migration or change of location")
    OTHER = "Other", _("Other")


class ConsentBasis(models.TextChoices):
    """What allowed the person's details to be shared."""

    CONSENT = "consent", _("The person's consent")
    BEST_INTEREST = "best_interest", _("A best-interest decision for a child")
    OVERRIDE = "override", _("An override, with its reason recorded")


class Referral(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(max_length=12, choices=ReferralKind.choices)
    state = models.CharField(
        max_length=12, choices=ReferralState.choices, default=ReferralState.PENDING
    )
    sending_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One of: an organisation in this deployment, a trusted partner deployment abroad
    # (transnational), or an organisation outside Palermo (a printed document).
    receiving_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    partner = models.ForeignKey(
        "partners.PartnerDeployment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    external_organisation_name = models.CharField(max_length=200, blank=True)
    service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    reason = models.CharField(max_length=40, choices=ReferralReason.choices)
    # What the sender says to the receiver; may describe the person, so encrypted.
    details = EncryptedTextField(null=True, blank=True)
    # The personal field groups the receiver may see (see accounts.roles.FieldGroup).
    shared_groups = models.JSONField(default=list)
    consent_basis = models.CharField(max_length=16, choices=ConsentBasis.choices)
    override_reason = EncryptedTextField(null=True, blank=True)
    respond_by = models.DateField()
    # The receiver's primary case worker, once accepted.
    receiving_case_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals_handled",
    )
    response_note = EncryptedTextField(null=True, blank=True)
    created_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    # When the response-deadline reminder and the overdue notice went out (each exactly once:
    # the deadline job claims a referral by setting these with a conditional update).
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Copies of the case's list columns, kept equal to the case's (`sync_case_columns`, called
    # by Case.save and by every other write of these columns): the receiving organisation's
    # case list reads the cases referred to it from these indexes, in the list's order, instead
    # of walking every case and probing its referrals.
    case_status = models.CharField(max_length=16, blank=True)
    case_stage = models.CharField(max_length=40, blank=True)
    case_opened_at = models.DateTimeField(null=True, blank=True)
    case_next_deadline = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["receiving_organisation", "state", "respond_by"]),
            models.Index(fields=["sending_organisation", "state", "-created_at"]),
            models.Index(fields=["case", "state"]),
            # The receiver's case list (cases.selectors): one index per filter, each serving
            # the live referrals to one organisation in the list's order.
            models.Index(
                fields=["receiving_organisation", "-case_opened_at"],
                condition=RECEIVED_LIVE,
                name="referral_live_opened",
            ),
            models.Index(
                fields=["receiving_organisation", "case_status", "-case_opened_at"],
                condition=RECEIVED_LIVE,
                name="referral_live_status_opened",
            ),
            models.Index(
                fields=["receiving_organisation", "case_status", "case_next_deadline"],
                condition=RECEIVED_LIVE,
                name="referral_live_status_deadline",
            ),
            models.Index(
                fields=["receiving_organisation", "-case_opened_at"],
                condition=RECEIVED_LIVE_OPEN,
                name="referral_live_open_opened",
            ),
            models.Index(
                fields=["receiving_organisation", "case_stage", "-case_opened_at"],
                condition=RECEIVED_LIVE_OPEN,
                name="referral_live_open_stage",
            ),
            models.Index(
                fields=["receiving_organisation", "case_next_deadline"],
                condition=RECEIVED_LIVE_OPEN,
                name="referral_live_open_deadline",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(receiving_organisation__isnull=False, partner__isnull=True)
                    | models.Q(receiving_organisation__isnull=True, partner__isnull=False)
                    | models.Q(
                        receiving_organisation__isnull=True,
                        partner__isnull=True,
                    )
                    & ~models.Q(external_organisation_name="")
                ),
                name="referral_one_receiver",
            ),
            # A double click, or two colleagues at once, cannot refer a case twice to the same
            # organisation (or partner) while one referral to it is still live.
            models.UniqueConstraint(
                fields=["case", "receiving_organisation"],
                condition=models.Q(
                    state__in=[str(s) for s in LIVE_STATES],
                    receiving_organisation__isnull=False,
                ),
                name="referral_one_live_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["case", "partner"],
                condition=models.Q(state__in=[str(s) for s in LIVE_STATES], partner__isnull=False),
                name="referral_one_live_per_partner",
            ),
            # At most one transfer of a case waits for an answer at a time.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(kind="transfer", state="pending"),
                name="referral_one_pending_transfer",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.reference}"

    @property
    def reference(self) -> str:
        return "R-" + self.public_id.hex[:8].upper()

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def copy_case_columns(self, case: Any) -> None:
        """Set the copies of the case's list columns (for a referral being made)."""
        for name, value in case_column_copies(case).items():
            setattr(self, name, value)


def case_column_copies(case: Any) -> dict[str, Any]:
    """The referral columns that copy the case's list columns, with the case's values."""
    return {f"case_{name}": getattr(case, name) for name in CASE_COLUMNS}


def sync_case_columns(case: Any) -> None:
    """Make every referral of the case carry the case's current list columns."""
    Referral.objects.filter(case_id=case.pk).update(**case_column_copies(case))


class ReferralEvent(models.Model):
    """One transition of a referral, with who made it and what it relied on."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    # For events that came from a partner deployment: its name, as registered.
    actor_label = models.CharField(max_length=150, blank=True)
    consent_basis = models.CharField(max_length=16, choices=ConsentBasis.choices, blank=True)
    shared_groups = models.JSONField(default=list)
    note = EncryptedTextField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"
