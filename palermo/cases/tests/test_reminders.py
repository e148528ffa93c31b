"""Reminders before deadlines and overdue notices: sent once per deadline, to the right people."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.cases import services
from palermo.cases.models import Case, CaseDeadline
from palermo.cases.reminders import pending_counts, send_deadline_notices
from palermo.notifications.models import Notification
from palermo.testing import actor_for, member
from palermo.worker.periodic import registered_jobs

pytestmark = pytest.mark.django_db


def _due_in(case: Case, days: int) -> CaseDeadline:
    deadline = CaseDeadline.objects.get(case=case, met_at__isnull=True)
    deadline.due_on = timezone.localdate() + datetime.timedelta(days=days)
    deadline.save()
    services.sync_next_deadline(case)
    return deadline


def test_the_job_is_registered_with_the_worker() -> None:
    job = next(j for j in registered_jobs() if j.name == "case-deadline-notices")
    assert job.task_path == "palermo.cases.tasks.deadline_notices"
    job.task()  # importable and a task


def test_a_reminder_goes_once_before_the_deadline(
    case: Case, worker: Membership, authority: Membership
) -> None:
    _due_in(case, 5)
    assert send_deadline_notices().reminded == 0  # not yet: the lead time is 2 days
    deadline = _due_in(case, 2)
    assert pending_counts() == (1, 0)
    report = send_deadline_notices()
    assert report.reminded == 1
    deadline.refresh_from_db()
    assert deadline.reminded_at is not None
    soon = Notification.objects.filter(kind="case.deadline_soon", reference=case.reference)
    # The case worker, and the competent authority that must decide.
    assert set(soon.values_list("recipient", flat=True)) == {worker.user.pk, authority.user.pk}
    assert send_deadline_notices().reminded == 0
    assert soon.count() == 2


def test_an_overdue_notice_goes_once_after_the_day(case: Case, worker: Membership) -> None:
    _due_in(case, 0)
    assert send_deadline_notices().overdue == 0  # due today: not overdue yet
    deadline = _due_in(case, -1)
    report = send_deadline_notices()
    assert report.overdue == 1 and report.reminded == 0
    deadline.refresh_from_db()
    assert deadline.overdue_notified_at is not None and deadline.met_at is None
    assert send_deadline_notices().overdue == 0
    assert (
        Notification.objects.filter(
            kind="case.deadline_overdue", recipient=worker.user, reference=case.reference
        ).count()
        == 1
    )


def test_without_a_case_worker_the_case_team_hears(
    case: Case, supervisor: Membership, worker: Membership
) -> None:
    Case.objects.filter(pk=case.pk).update(case_worker=None)
    responder = member(Role.FIRST_RESPONDER, worker.organisation)
    _due_in(case, -3)
    send_deadline_notices()
    told = set(
        Notification.objects.filter(kind="case.deadline_overdue").values_list(
            "recipient", flat=True
        )
    )
    assert {worker.user.pk, supervisor.user.pk} <= told
    assert responder.user.pk not in told


def test_the_end_of_the_recovery_period_is_announced_and_met(
    case: Case, authority: Membership
) -> None:
    services.case_decide(
        actor=actor_for(authority), case_id=case.public_id, outcome="positive", reason="RG."
    )
    period = CaseDeadline.objects.get(case=case, kind="period_end")
    CaseDeadline.objects.filter(pk=period.pk).update(due_on=timezone.localdate())
    report = send_deadline_notices()
    assert report.periods_ended == 1
    period.refresh_from_db()
    assert period.met_at is not None
    case.refresh_from_db()
    assert case.next_deadline is None
    assert Notification.objects.filter(kind="case.period_ended", recipient=authority.user).exists()


def test_closed_cases_get_no_notices(case: Case, supervisor: Membership) -> None:
    _due_in(case, -1)
    services.case_close(actor=actor_for(supervisor), case_id=case.public_id, reason="LostContact")
    report = send_deadline_notices()
    assert report.overdue == 0 and report.reminded == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_notice_once(shelter, worker, adult, authority) -> None:  # type: ignore[no-untyped-def]
    from .conftest import open_for

    case = open_for(worker, adult)
    _due_in(case, -2)
    if connection.vendor == "sqlite":
        # SQLite serialises writers: run the two one after the other; the claim still decides.
        reports = [send_deadline_notices(), send_deadline_notices()]
    else:
        reports = []
        barrier = threading.Barrier(2)

        def run() -> None:
            from django.db import connection as thread_connection

            try:
                barrier.wait()
                reports.append(send_deadline_notices())
            finally:
                thread_connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r.overdue for r in reports) == 1
    told = list(
        Notification.objects.filter(kind="case.deadline_overdue").values_list(
            "recipient", flat=True
        )
    )
    # Once to each: the case worker and the competent authority.
    assert sorted(told) == sorted({worker.user.pk, authority.user.pk})
