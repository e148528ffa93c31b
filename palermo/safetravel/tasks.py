"""Background tasks of safe travel; the worker schedules the periodic ones (see apps.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django_tasks import task

from . import scheduler, services

logger = logging.getLogger(__name__)


@task()
def travel_tick() -> dict[str, Any]:
    """One scheduler cycle as of now: advance due trips, send what is waiting.

    Bounded in time so a huge backlog does not hold the worker: the next tick continues.
    """
    budget = max(float(settings.PALERMO_TRAVEL_TICK_SECONDS) * 4, 30.0)
    report = scheduler.run_cycle(budget_seconds=budget)
    if report.sent or report.outages:
        logger.info("Safe travel: %s", report.as_dict())
    return report.as_dict()


@task()
def deliver_messages() -> dict[str, Any]:
    """Send messages queued by check-ins and invitations right away (the tick sweeps too)."""
    report = scheduler.CycleReport(scheduler.timezone.now())
    scheduler.deliver_pending(worker_id=scheduler.default_worker_id(), report=report)
    return report.as_dict()


@task()
def purge_trips() -> dict[str, int]:
    """Delete trips ended longer ago than PALERMO_TRAVEL_PURGE_AFTER_DAYS."""
    counts = services.trips_purge()
    if counts["trips"]:
        logger.info("Safe travel purge: %s", counts)
    return counts


@task()
def expire_sms_conversations() -> int:
    """Delete the SMS conversations (sign-ups, set-up questions) that expired unanswered."""
    from .sms_conversation import expire_conversations

    return expire_conversations()
