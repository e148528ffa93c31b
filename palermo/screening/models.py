"""Screenings, their reviews, and the identification status of a person.

The answers describe a person and are encrypted (`EncryptedJSONField`), and so is the stored
assessment with its explanation trail (it quotes the answers). The outcome, the Palermo
elements, the indicator ids and the HTCDS types stay in clear: statistics need them, and
alone they name no one.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField

from .decisions import DecisionMakingOrg, ReviewDecision, TraffickingStatus
from .fields import EncryptedJSONField


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")
    REVIEWED = "reviewed", _("Reviewed")


# The allowed transitions, in one place: a draft is completed once; a completed screening is
# reviewed; a reviewed one may be reviewed again (a later decision, the history kept).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ScreeningStatus.DRAFT: frozenset({ScreeningStatus.COMPLETED}),
    ScreeningStatus.COMPLETED: frozenset({ScreeningStatus.REVIEWED}),
    ScreeningStatus.REVIEWED: frozenset({ScreeningStatus.REVIEWED}),
}


def can_transition(current: str, target: str) -> bool:
    return target in STATUS_TRANSITIONS.get(current, frozenset())


class Outcome(models.TextChoices):
    PRESUMED_TRAFFICKED = "presumed_trafficked", _("Presumed trafficked person")
    NOT_INDICATED = "not_indicated", _("Not indicated")
    INSUFFICIENT_INFORMATION = "insufficient_information", _("Insufficient information")


TRAFFICKING_STATUS_CHOICES = [
    (TraffickingStatus.POSSIBLE.value, _("Possible victim of trafficking")),
    (TraffickingStatus.ACTUAL.value, _("Actual victim of trafficking")),
    (TraffickingStatus.NOT_A_VICTIM.value, _("Not a victim of trafficking")),
]
DECISION_MAKING_ORG_CHOICES = [
    (DecisionMakingOrg.POLICE.value, _("Police")),
    (DecisionMakingOrg.NGO.value, _("NGO")),
    (DecisionMakingOrg.COURT_OR_PROSECUTION.value, _("Court or prosecution")),
    (DecisionMakingOrg.NON_POLICE_GOVERNMENTAL.value, _("Non-police governmental organisation")),
    (DecisionMakingOrg.OTHER.value, _("Other")),
]
REVIEW_DECISION_CHOICES = [
    (ReviewDecision.CONFIRM.value, _("Confirm the outcome")),
    (ReviewDecision.OVERRIDE.value, _("Override the outcome")),
]


class Screening(models.Model):
    """One interview with one instrument: a draft while it goes on, then its assessment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=32)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="screenings",
    )
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="screenings"
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="screenings_conducted",
    )
    interviewer_language = models.CharField(max_length=8)
    interviewee_language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=12, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT
    )
    # The step (question group) shown last: a draft resumes there.
    current_step = models.PositiveSmallIntegerField(default=0)
    # Question id → answer (a value, a list for several choices, "not_asked" or "declined").
    answers = EncryptedJSONField(default=dict)
    # The assessment as computed at completion, explanation trail in every UI language.
    assessment = EncryptedJSONField(null=True, blank=True)
    # In clear, for statistics: the outcome and what produced it (ids and codes only).
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    elements = models.JSONField(default=dict, blank=True)
    indicator_ids = models.JSONField(default=list, blank=True)
    exploitation_types = models.JSONField(default=list, blank=True)
    control_methods = models.JSONField(default=list, blank=True)
    age_group = models.CharField(max_length=12, blank=True)
    # After a review: the outcome the reviewer confirmed or set.
    reviewed_outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner_organisation", "status", "-created_at"]),
            models.Index(fields=["interviewer", "status"]),
        ]

    def __str__(self) -> str:
        return f"Screening {self.reference}"

    @property
    def reference(self) -> str:
        """A short, non-identifying label: 'S-1A2B3C4D'."""
        return "S-" + self.public_id.hex[:8].upper()

    @property
    def final_outcome(self) -> str:
        return self.reviewed_outcome or self.outcome


class ScreeningReview(models.Model):
    """A reviewer's confirmation or override of a screening's outcome; each one is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=REVIEW_DECISION_CHOICES)
    original_outcome = models.CharField(max_length=32, choices=Outcome.choices)
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    reason = EncryptedTextField()
    trafficking_status = models.CharField(
        max_length=32, choices=TRAFFICKING_STATUS_CHOICES, blank=True
    )
    decision_making_org = models.CharField(max_length=40, choices=DECISION_MAKING_ORG_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["screening", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} {self.outcome}"


class VictimStatus(models.Model):
    """A person's current HTCDS identification status, and the review it comes from.

    A table of the screening app rather than columns on Person: the status is a decision of
    identification with its own provenance (which review, which organisation, when), and the
    reviews keep its history.
    """

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="victim_status"
    )
    trafficking_status = models.CharField(max_length=32, choices=TRAFFICKING_STATUS_CHOICES)
    decision_making_org = models.CharField(max_length=40, choices=DECISION_MAKING_ORG_CHOICES)
    decided_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    review = models.ForeignKey(ScreeningReview, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "victim statuses"

    def __str__(self) -> str:
        return self.trafficking_status
