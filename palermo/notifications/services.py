"""Sending notifications: stored for the app, emailed after the transaction commits.

Call `notify` inside the transaction that makes the change: if it rolls back, nobody is told
about something that did not happen. The email says only that something is waiting and links
to it; the details stay behind the sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.models import User

from .kinds import is_registered, register_kind
from .models import Notification

__all__ = ["mark_all_read", "mark_read", "notify", "register_kind"]

MAX_URL_LENGTH = 200


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    object_type: str,
    object_id: str,
    reference: str,
    url: str,
) -> list[Notification]:
    """One notification per distinct active recipient; emails follow after commit."""
    if not is_registered(kind):
        raise ValueError(f"unknown notification kind {kind!r}: register it first")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError("notification url too long")
    now = timezone.now()
    seen: set[int] = set()
    rows: list[Notification] = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                reference=reference,
                url=url,
                created_at=now,
            )
        )
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.recipient.email]
    if ids:
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return created


def _enqueue_emails(ids: list[int]) -> None:
    from .tasks import email_notifications

    email_notifications.enqueue(ids)


def mark_read(*, user: Any, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False when it is not theirs."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())
    return bool(updated) or Notification.objects.filter(pk=notification_id, recipient=user).exists()


def mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
