"""Background tasks of the cases app; the worker schedules them (see apps.py)."""

from __future__ import annotations

import logging

from django_tasks import task

from .reminders import send_deadline_notices

logger = logging.getLogger(__name__)

# One run handles at most this many deadlines; the next run continues.
PER_RUN = 5000


@task()
def deadline_notices() -> dict[str, int]:
    """Reminders before case deadlines, overdue notices after, recovery periods that ended."""
    report = send_deadline_notices(limit=PER_RUN)
    counts = report.as_dict()
    if report.reminded or report.overdue or report.periods_ended:
        logger.info("Case deadline notices: %s", counts)
    return counts
