"""Messages in the app to one user, also sent by email when the user has an address.

A notification names a record by its reference and a link, never by a person's name: the text
is built in the recipient's language when shown, and an email passing through mail servers
says only that something is waiting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # A kind key ("referral.received", "case.deadline_due", …; see notifications.kinds).
    kind = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=36)
    reference = models.CharField(max_length=20)
    url = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
