"""Reminders before deadlines and notices when they pass: once per deadline, however many run.

The worker runs `send_deadline_notices` periodically (see apps.py); `palermo cases remind`
runs it by hand. Each deadline is claimed with a conditional UPDATE (`… WHERE reminded_at IS
NULL`) in the transaction that stores the notification: when two workers race, the database
lets one UPDATE match and the other skips the row; if storing the notification fails, the claim
rolls back with it and the next run tries again.

- A reminder goes `reminder_days` (the lifecycle in force) before the due date.
- An overdue notice goes the day after the due date, for a deadline still unmet.
- The end of a minimum period (the recovery period) is not missed, it arrives: on the day, the
  deadline is marked met and the case team (and the deciders) hear the decision can be taken.

Who hears: the case worker, or the owner organisation's case workers and supervisors when the
case has none; for a decision that is due, also the competent organisation's deciders.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from palermo.notifications.services import notify

from .lifecycle import PERIOD_END, lifecycle_for, lifecycle_in_force
from .models import OPEN_STATUSES, CaseDeadline
from .services import case_team, case_url, deciders_for, sync_next_deadline

BATCH = 500


@dataclass
class NoticeReport:
    reminded: int = 0
    overdue: int = 0
    periods_ended: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "overdue": self.overdue,
            "periods_ended": self.periods_ended,
            "skipped": self.skipped,
        }


def pending_counts(today: datetime.date | None = None) -> tuple[int, int]:
    """How many reminders and overdue (or period-end) notices are waiting now."""
    today = today or timezone.localdate()
    lead = lifecycle_in_force().reminder_days
    base = CaseDeadline.objects.filter(met_at__isnull=True, case__status__in=OPEN_STATUSES)
    reminders = base.filter(
        reminded_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + datetime.timedelta(days=lead),
    ).count()
    overdue = (
        base.filter(overdue_notified_at__isnull=True, due_on__lt=today)
        .exclude(kind=PERIOD_END)
        .count()
        + base.filter(kind=PERIOD_END, due_on__lte=today).count()
    )
    return reminders, overdue


def _recipients(deadline: CaseDeadline) -> list:
    case = deadline.case
    users = case_team(case)
    stage = lifecycle_for(case.country).stage(deadline.stage)
    if stage is not None and stage.decision is not None:
        users += deciders_for(case, stage)
    return users


def _send(deadline: CaseDeadline, kind: str) -> None:
    case = deadline.case
    notify(
        recipients=_recipients(deadline),
        kind=kind,
        object_type="case",
        object_id=str(case.public_id),
        reference=case.reference,
        url=case_url(case),
    )


def _remind(deadline_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = CaseDeadline.objects.filter(
            pk=deadline_id, reminded_at__isnull=True, met_at__isnull=True
        ).update(reminded_at=now)
        if not claimed:
            return False
        deadline = CaseDeadline.objects.select_related(
            "case__owner_organisation", "case__case_worker"
        ).get(pk=deadline_id)
        kind = "case.period_ending" if deadline.kind == PERIOD_END else "case.deadline_soon"
        _send(deadline, kind)
    return True


def _overdue(deadline_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = CaseDeadline.objects.filter(
            pk=deadline_id, overdue_notified_at__isnull=True, met_at__isnull=True
        ).update(overdue_notified_at=now)
        if not claimed:
            return False
        deadline = CaseDeadline.objects.select_related(
            "case__owner_organisation", "case__case_worker"
        ).get(pk=deadline_id)
        if deadline.kind == PERIOD_END:
            # The period is over: the deadline is met by the passing of time.
            CaseDeadline.objects.filter(pk=deadline_id).update(met_at=now)
            sync_next_deadline(deadline.case)
            _send(deadline, "case.period_ended")
        else:
            _send(deadline, "case.deadline_overdue")
    return True


def send_deadline_notices(
    *,
    now: datetime.datetime | None = None,
    batch: int = BATCH,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> NoticeReport:
    """Send what is due now: reminders, overdue notices, period ends. Returns the counts.

    `limit`: at most this many deadlines in this run (None: all that are due); `progress` is
    called with the number handled after each batch.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    lead = lifecycle_in_force().reminder_days
    report = NoticeReport()
    handled = 0

    def budget() -> int:
        return batch if limit is None else max(0, min(batch, limit - handled))

    # Reminders: due within the lead time (not yet passed), not reminded.
    last_id = 0
    while budget():
        ids = list(
            CaseDeadline.objects.filter(
                met_at__isnull=True,
                case__status__in=OPEN_STATUSES,
                reminded_at__isnull=True,
                due_on__gte=today,
                due_on__lte=today + datetime.timedelta(days=lead),
                pk__gt=last_id,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[: budget()]
        )
        if not ids:
            break
        for deadline_id in ids:
            if _remind(deadline_id, now):
                report.reminded += 1
            else:
                report.skipped += 1
        handled += len(ids)
        last_id = ids[-1]
        if progress:
            progress(len(ids))
    # Overdue notices (a decision or step past its day) and period ends (on the day).
    last_id = 0
    while budget():
        rows = list(
            CaseDeadline.objects.filter(
                met_at__isnull=True,
                case__status__in=OPEN_STATUSES,
                overdue_notified_at__isnull=True,
                due_on__lte=today,
                pk__gt=last_id,
            )
            .order_by("pk")
            .values_list("pk", "kind", "due_on")[: budget()]
        )
        if not rows:
            break
        for deadline_id, kind, due_on in rows:
            if kind != PERIOD_END and due_on >= today:
                continue  # due today: not overdue yet
            if _overdue(deadline_id, now):
                if kind == PERIOD_END:
                    report.periods_ended += 1
                else:
                    report.overdue += 1
            else:
                report.skipped += 1
        handled += len(rows)
        last_id = rows[-1][0]
        if progress:
            progress(len(rows))
    return report
