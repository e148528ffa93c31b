"""Response deadlines: a reminder before a referral's deadline, a notice when it has passed.

Run by the worker's periodic job (`tasks.referral_deadlines`). Each notice goes out exactly
once, however many workers run the job at the same time: a referral is claimed by setting
`reminded_at` (or `overdue_notified_at`) with a conditional UPDATE, and only the worker whose
UPDATE matched sends, in the same transaction.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from palermo.accounts.models import User
from palermo.accounts.roles import Perm

from .models import Referral, ReferralState
from .services import members_with, notify_about, sender_recipients

DEFAULT_REMINDER_DAYS = 1


def reminder_days() -> int:
    """How many days before the deadline the reminder goes (PALERMO_REFERRAL_REMINDER_DAYS)."""
    return int(getattr(settings, "PALERMO_REFERRAL_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def _answerers(referral: Referral) -> list[User]:
    """Who must answer: the receiving organisation's members, or, for a receiver outside
    Palermo or abroad, the sender who records (or awaits) the answer."""
    if referral.receiving_organisation_id is not None:
        return members_with(referral.receiving_organisation_id, Perm.REFERRAL_RESPOND)
    return sender_recipients(referral)


def _claim(pk: int, column: str, now: datetime.datetime) -> Referral | None:
    claimed = Referral.objects.filter(
        pk=pk, state=ReferralState.PENDING, **{f"{column}__isnull": True}
    ).update(**{column: now})
    if claimed != 1:
        return None
    return Referral.objects.select_related("sent_by").get(pk=pk)


def send_deadline_notices(today: datetime.date | None = None) -> dict[str, int]:
    """Remind about deadlines that are near and announce those that passed; returns counts."""
    today = today or timezone.localdate()
    now = timezone.now()
    pending = Referral.objects.filter(state=ReferralState.PENDING)
    soon = pending.filter(
        reminded_at__isnull=True,
        respond_by__gte=today,
        respond_by__lte=today + datetime.timedelta(days=reminder_days()),
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in list(soon):
        with transaction.atomic():
            referral = _claim(pk, "reminded_at", now)
            if referral is not None:
                notify_about(referral, "referral.due_soon", _answerers(referral))
                reminded += 1
    late = pending.filter(overdue_notified_at__isnull=True, respond_by__lt=today).values_list(
        "pk", flat=True
    )
    overdue = 0
    for pk in list(late):
        with transaction.atomic():
            referral = _claim(pk, "overdue_notified_at", now)
            if referral is not None:
                recipients = _answerers(referral) + sender_recipients(referral)
                notify_about(referral, "referral.overdue", recipients)
                overdue += 1
    return {"reminded": reminded, "overdue": overdue}
