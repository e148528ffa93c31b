from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only, hash-chained entry: a write, or a read of personal field groups.

    Holds no personal data itself: records are referred to by type and public id.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The owner organisation of the record concerned, when it is not (only) the actor's own:
    # its supervisors see who elsewhere read or changed their records.
    subject_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit_event_subject_recent starts with it
    )
    action = models.CharField(max_length=80, db_index=True)
    purpose = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    field_groups = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit event")
        # The audit page: one organisation's events, and those about its records, newest first.
        indexes = [
            models.Index(fields=["organisation", "-sequence"], name="audit_event_org_recent"),
            models.Index(
                fields=["subject_organisation", "-sequence"], name="audit_event_subject_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit events are append-only.")

    def chained_content(self) -> dict[str, Any]:
        """What the hash covers: every column but the hashes themselves.

        subject_organisation (added later) is covered only when set: events without one
        keep the content, and so the hashes, they were written with. Its presence follows
        the column, so setting it on such an event afterwards still breaks the chain.
        """
        content: dict[str, Any] = {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "organisation": self.organisation_id,
            "action": self.action,
            "purpose": self.purpose,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "field_groups": list(self.field_groups),
            "details": dict(self.details),
            "request_id": self.request_id,
        }
        if self.subject_organisation_id is not None:
            content["subject_organisation"] = self.subject_organisation_id
        return content


class AuditChainHead(models.Model):
    """A single row holding the chain's tip; locking it serialises appends."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.sequence}"
