"""Consent decisions and legal bases, as an append-only history per person.

A decision is never changed: a withdrawal, or a new decision, is a new record, and the one in
force is worked out by `rules.ConsentState.effective`. What names or describes someone (a
guardian's name, who took a best-interest decision and why, a court order's reference) is
encrypted; the purpose, the decision and who decided stay in clear, for the access rules and
for statistics.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField

from .rules import ConsentPurpose, Decision, GivenBy

CONSENT_PURPOSE_LABELS = {
    ConsentPurpose.ASSISTANCE: _("Assistance"),
    ConsentPurpose.REFERRAL: _("Referral to a named organisation"),
    ConsentPurpose.LAW_ENFORCEMENT: _("Sharing with law enforcement"),
    ConsentPurpose.EVIDENCE: _("Use of the interview as evidence"),
    ConsentPurpose.RESEARCH: _("Research"),
}
CONSENT_PURPOSE_HINTS = {
    ConsentPurpose.ASSISTANCE: _("Help from the organisation that registers the person."),
    ConsentPurpose.REFERRAL: _("Passing the person's details to the organisation named."),
    ConsentPurpose.LAW_ENFORCEMENT: _("Police, border police or prosecutors may see the record."),
    ConsentPurpose.EVIDENCE: _("What was said in the interview may be used in court."),
    ConsentPurpose.RESEARCH: _("De-identified use in studies that improve help for others."),
}
DECISION_LABELS = {
    Decision.GIVEN: _("Given"),
    Decision.REFUSED: _("Refused"),
    Decision.WITHDRAWN: _("Withdrawn"),
}
GIVEN_BY_LABELS = {
    GivenBy.PERSON: _("The person"),
    GivenBy.GUARDIAN: _("A parent or guardian"),
    GivenBy.BEST_INTEREST: _("A best-interest decision for a child"),
}


class LegalBasisKind(models.TextChoices):
    COURT_ORDER = "court_order", _("Court order")
    PROSECUTOR_ORDER = "prosecutor_order", _("Prosecutor's order")
    LEGAL_PROVISION = "legal_provision", _("Provision of law")


class ConsentSource(models.TextChoices):
    SCREENING = "screening", _("At the end of a screening")
    PERSON_PAGE = "person_page", _("From the person's page")
    API = "api", _("Through the API")


PURPOSE_CHOICES = [(str(p), CONSENT_PURPOSE_LABELS[p]) for p in ConsentPurpose]
DECISION_CHOICES = [(str(d), DECISION_LABELS[d]) for d in Decision]
GIVEN_BY_CHOICES = [(str(g), GIVEN_BY_LABELS[g]) for g in GivenBy]


class ConsentRecord(models.Model):
    """One decision about one purpose: given, refused or withdrawn."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSE_CHOICES)
    decision = models.CharField(_("decision"), max_length=12, choices=DECISION_CHOICES)
    given_by = models.CharField(_("decided by"), max_length=16, choices=GIVEN_BY_CHOICES)
    # For a referral: the organisation the person agrees (or not) to be referred to.
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents_naming",
    )
    # A referral to a receiver that is not an organisation of this deployment: a trusted
    # partner deployment abroad, or an organisation outside Palermo named in words.
    partner = models.ForeignKey(
        "partners.PartnerDeployment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents_naming",
    )
    external_receiver = models.CharField(max_length=200, blank=True)
    language = models.CharField(_("language of the explanation"), max_length=3)
    guardian_name = EncryptedTextField(_("guardian's name"), null=True, blank=True)
    decided_by = EncryptedTextField(_("who took the best-interest decision"), null=True, blank=True)
    reason = EncryptedTextField(_("reasons"), null=True, blank=True)
    source = models.CharField(max_length=16, choices=ConsentSource.choices)
    # The screening at whose end the decision was taken (its public id), if any.
    source_reference = models.CharField(max_length=36, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recording_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["person", "recorded_at", "id"]
        indexes = [models.Index(fields=["person", "purpose", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.decision} ({self.given_by})"


class LegalBasis(models.Model):
    """A legal basis that stands in for consent (law enforcement, evidence), until revoked."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="legal_bases"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSE_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=LegalBasisKind.choices)
    reference = EncryptedTextField(_("reference"))
    reason = EncryptedTextField(_("reason"))
    # The organisation it allows; none means any organisation that has access to the record.
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_bases_allowing",
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recording_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revocation_reason = EncryptedTextField(null=True, blank=True)

    class Meta:
        ordering = ["person", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.purpose}"

    def in_force(self, today: datetime.date | None = None) -> bool:
        day = today or timezone.localdate()
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= day)
