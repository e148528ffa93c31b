"""Response deadlines: a reminder and an overdue notice, each exactly once; the periodic job."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import Case
from palermo.notifications.models import Notification
from palermo.referrals import services
from palermo.referrals.deadlines import send_deadline_notices
from palermo.referrals.models import Referral
from palermo.referrals.tasks import referral_deadlines
from palermo.testing import actor_for, member
from palermo.worker.periodic import registered_jobs

from .records import consent

pytestmark = pytest.mark.django_db


def _pending(worker: Membership, case: Case, clinic: Organisation, due_in: int) -> Referral:
    consent(case.person, "referral", organisation=clinic)
    referral = services.referral_send(
        actor=actor_for(worker),
        case_public_id=case.public_id,
        data={
            "receiving_organisation": str(clinic.public_id),
            "reason": "Other",
            "shared_groups": ["identity"],
        },
    )
    Referral.objects.filter(pk=referral.pk).update(
        respond_by=timezone.localdate() + datetime.timedelta(days=due_in)
    )
    return referral


def test_reminder_then_overdue_each_once(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    referral = _pending(worker, case, clinic, due_in=1)
    assert send_deadline_notices() == {"reminded": 1, "overdue": 0}
    assert send_deadline_notices() == {"reminded": 0, "overdue": 0}  # a second worker: nothing
    assert list(
        Notification.objects.filter(kind="referral.due_soon").values_list("recipient", flat=True)
    ) == [provider.user_id]
    later = timezone.localdate() + datetime.timedelta(days=3)
    assert send_deadline_notices(today=later) == {"reminded": 0, "overdue": 1}
    assert send_deadline_notices(today=later) == {"reminded": 0, "overdue": 0}
    overdue = set(
        Notification.objects.filter(kind="referral.overdue").values_list("recipient", flat=True)
    )
    assert overdue == {provider.user_id, worker.user_id}
    referral.refresh_from_db()
    assert referral.reminded_at is not None and referral.overdue_notified_at is not None


def test_answered_referrals_are_not_chased(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    referral = _pending(worker, case, clinic, due_in=-1)
    services.referral_transition(
        actor=actor_for(provider), public_id=referral.public_id, action="accept", data={}
    )
    assert send_deadline_notices() == {"reminded": 0, "overdue": 0}


def test_outside_palermo_the_sender_is_reminded(worker: Membership, case: Case) -> None:
    consent(case.person, "referral", external="elsewhere")
    referral = services.referral_send(
        actor=actor_for(worker),
        case_public_id=case.public_id,
        data={
            "external_organisation_name": "Elsewhere",
            "reason": "Other",
            "shared_groups": ["identity"],
        },
    )
    Referral.objects.filter(pk=referral.pk).update(respond_by=timezone.localdate())
    member(Role.CASE_WORKER)  # someone unrelated
    assert referral_deadlines.enqueue().return_value == {"reminded": 1, "overdue": 0}
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (worker.user_id, "referral.due_soon")
    ]


def test_the_job_is_registered() -> None:
    job = next(j for j in registered_jobs() if j.name == "referral-deadlines")
    assert job.task_path == "palermo.referrals.tasks.referral_deadlines"
    assert job.task() is referral_deadlines
