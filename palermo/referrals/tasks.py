"""Background work of referrals, run by `palermo worker`."""

from __future__ import annotations

from django_tasks import task

from .deadlines import send_deadline_notices


@task()
def referral_deadlines() -> dict[str, int]:
    """The periodic job: deadline reminders and overdue notices (each exactly once)."""
    return send_deadline_notices()
