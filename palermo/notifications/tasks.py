"""Emailing notifications: each at most once, in the recipient's language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .kinds import text_for
from .models import Notification

logger = logging.getLogger(__name__)


@task()
def email_notifications(ids: list[int]) -> int:
    """Send the emails of these notifications that were not sent yet; returns how many."""
    sent = 0
    for pk in ids:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if row is None or not row.recipient.email:
                continue
            language = row.recipient.preferred_language or settings.LANGUAGE_CODE
            with translation.override(language):
                base = getattr(settings, "PALERMO_BASE_URL", "").rstrip("/")
                body = "\n\n".join(
                    [
                        text_for(row.kind, row.reference),
                        _("Sign in to Palermo to see it: %(url)s") % {"url": base + row.url},
                        _("This message contains no personal details on purpose."),
                    ]
                )
                message = EmailMessage(
                    subject=_("Palermo: %(reference)s") % {"reference": row.reference},
                    body=body,
                    to=[row.recipient.email],
                )
            try:
                message.send(fail_silently=False)
            except (OSError, ValueError):
                # Left unsent: the notification is still in the app; the next run may retry.
                logger.warning("notification email failed", extra={"notification": pk})
                continue
            row.emailed_at = timezone.now()
            row.save(update_fields=["emailed_at"])
            sent += 1
    return sent
