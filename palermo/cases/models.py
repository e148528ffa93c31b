"""Cases of the national referral mechanism: one presumed trafficked person's way through it.

The stages, who decides and the deadlines come from the deployment's per-country lifecycle
configuration (`palermo.cases.lifecycle`); the rows here record where a case is, every decision
with its decision-maker and reason, and every deadline with when it was met. Status and stage
stay in clear for lists, dashboards and statistics; what describes the person's story is
encrypted.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField


class CaseStatus(models.TextChoices):
    """HTCDS `cas_Status`."""

    ACTIVE = "Active", _("Active")
    FOLLOW_UP = "FollowUp", _("Follow-up")
    CLOSED = "Closed", _("Closed")
    CLOSED_REFERRED = "ClosedReferred", _("Closed (referred)")


OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)
# The condition of the partial indexes on open cases; a query must say `status IN` these, in
# this order, for PostgreSQL to use them (selectors._status_condition does).
OPEN_CONDITION = models.Q(status__in=[str(s) for s in OPEN_STATUSES])
# The columns the case's referrals carry copies of, as `case_<column>` (referrals.models).
REFERRAL_CASE_COLUMNS = ("status", "stage", "opened_at", "next_deadline")


class ClosureReason(models.TextChoices):
    """HTCDS `cas_ReasonForCaseClosure`."""

    ASSISTANCE_COMPLETED = "AssistanceCompleted", _("Assistance completed")
    REFERRED = "ReferredToAnotherOrganisation", _("Referred to another organisation")
    PERSON_DECLINED = "PersonDeclinedFurtherAssistance", _("The person declined further help")
    LOST_CONTACT = "LostContact", _("Contact lost")
    NEGATIVE_DECISION = "NegativeDecision", _("Not identified as a victim of trafficking")
    RETURNED = "ReturnedToCountryOfOrigin", _("Returned to the country of origin")
    DECEASED = "Deceased", _("Deceased")
    OTHER = "Other", _("Other")


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    # HTCDS cas_CaseOwner: the organisation responsible; a transfer moves it.
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="owned_cases"
    )
    # The competent authority the person is referred to for the decisions (the organisation
    # the lifecycle's deciders belong to); its deciding members see the case.
    competent_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_to_decide",
    )
    # The primary case worker in the owner organisation.
    case_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_managed",
    )
    # Which country's lifecycle configuration governs the case (the deployment's country).
    country = models.CharField(max_length=2)
    # The lifecycle stage key (e.g. "referral", "reasonable_grounds", "recovery").
    stage = models.CharField(max_length=40, db_index=True)
    stage_entered_at = models.DateTimeField()
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.ACTIVE
    )
    closure_reason = models.CharField(
        _("reason for closure"), max_length=40, choices=ClosureReason.choices, blank=True
    )
    # A child when the case opened (no consent needed to enter; best interest decides).
    is_child = models.BooleanField(default=False)
    # The person's own words about why the case opened; encrypted (narrative group).
    summary = EncryptedTextField(_("summary"), null=True, blank=True)
    # Where the case came from, when it came from a screening or the hotline.
    screening = models.ForeignKey(
        "screening.Screening",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    situation = models.ForeignKey(
        "intake.Situation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # The earliest unmet deadline, kept in step with CaseDeadline for lists and dashboards.
    next_deadline = models.DateField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["owner_organisation", "status", "-opened_at"]),
            models.Index(fields=["owner_organisation", "-opened_at"]),
            models.Index(fields=["case_worker", "status", "next_deadline"]),
            models.Index(fields=["owner_organisation", "status", "next_deadline"]),
            # The case list's other branches and filters (see selectors.case_list).
            models.Index(fields=["owner_organisation", "stage", "status", "-opened_at"]),
            models.Index(fields=["case_worker", "status", "-opened_at"]),
            models.Index(fields=["competent_organisation", "status", "-opened_at"]),
            models.Index(fields=["competent_organisation", "status", "next_deadline"]),
            # status=all: every branch walks its own index newest first (no sequential scan).
            models.Index(fields=["competent_organisation", "-opened_at"]),
            models.Index(fields=["case_worker", "-opened_at"]),
            # Every case newest first, whoever owns it (the case list's referral branch reads
            # the referrals' own indexes instead: referrals.models.Referral).
            models.Index(fields=["-opened_at"], name="case_opened"),
            # The default "open" list: one query per branch over both open statuses, served in
            # order by partial indexes on open cases only.
            models.Index(
                fields=["owner_organisation", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_owner_opened",
            ),
            models.Index(
                fields=["competent_organisation", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_competent_opened",
            ),
            models.Index(
                fields=["case_worker", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_worker_opened",
            ),
            models.Index(fields=["-opened_at"], condition=OPEN_CONDITION, name="case_open_opened"),
            # Open cases at one stage (the stage filter), newest first, per branch.
            models.Index(
                fields=["owner_organisation", "stage", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_owner_stage",
            ),
            models.Index(
                fields=["competent_organisation", "stage", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_competent_stage",
            ),
            models.Index(
                fields=["case_worker", "stage", "-opened_at"],
                condition=OPEN_CONDITION,
                name="case_open_worker_stage",
            ),
            # Open cases by deadline (the overdue filter, the dashboard's "due").
            models.Index(
                fields=["owner_organisation", "next_deadline"],
                condition=OPEN_CONDITION,
                name="case_open_owner_deadline",
            ),
            models.Index(
                fields=["competent_organisation", "next_deadline"],
                condition=OPEN_CONDITION,
                name="case_open_competent_deadline",
            ),
            models.Index(
                fields=["case_worker", "next_deadline"],
                condition=OPEN_CONDITION,
                name="case_open_worker_deadline",
            ),
            models.Index(
                fields=["next_deadline"], condition=OPEN_CONDITION, name="case_open_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if not adding and (fields is None or set(fields) & set(REFERRAL_CASE_COLUMNS)):
            # The referrals carry copies of the list columns (REFERRAL_CASE_COLUMNS).
            from palermo.referrals.models import sync_case_columns

            sync_case_columns(self)

    @property
    def reference(self) -> str:
        """A short, non-identifying label: 'C-1A2B3C4D'."""
        return "C-" + self.public_id.hex[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DecisionOutcome(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")


class CaseDecision(models.Model):
    """A decision on a case (reasonable grounds, conclusive grounds, reconsideration, …)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    # The lifecycle stage the decision was taken at (its key in the configuration).
    stage = models.CharField(max_length=40)
    outcome = models.CharField(max_length=12, choices=DecisionOutcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    # Why: it can name people and events, so it is encrypted.
    reason = EncryptedTextField(_("reason"))
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.stage} decision on case {self.case_id}"


class DeadlineKind(models.TextChoices):
    DUE = "due", _("Due")
    PERIOD_END = "period_end", _("Period ends")


class CaseDeadline(models.Model):
    """A deadline the lifecycle sets (a decision due, the end of the recovery period, …)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    # The lifecycle stage whose deadline this is.
    stage = models.CharField(max_length=40)
    # "due": a decision or step is due; "period_end": a minimum period (recovery) ends.
    kind = models.CharField(max_length=12, choices=DeadlineKind.choices, default="due")
    due_on = models.DateField()
    met_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["met_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.stage} due {self.due_on}"


class AnonymousNotification(models.Model):
    """An adult who refused to enter the mechanism, counted without naming them.

    Only gender, nationality and, if the person wished, a way to reach them.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    gender = models.CharField(max_length=24)
    nationality = models.CharField(max_length=2, blank=True)
    contact = EncryptedTextField(null=True, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_at = models.DateTimeField()

    class Meta:
        ordering = ["-notified_at", "-id"]

    def __str__(self) -> str:
        return f"Anonymous notification {self.public_id}"
