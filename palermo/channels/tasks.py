"""Background tasks of the channels: sending, retrying, replaying the spool."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from django.db import connection
from django_tasks import task

from . import dispatch, handoff, outbound, spool

logger = logging.getLogger(__name__)


@task()
def deliver_outbound(message_id: int) -> str:
    """Hand one queued outbound message to the SMS provider."""
    return outbound.deliver(message_id)


@task()
def dispatch_inbound(message_id: int) -> str:
    """One stored inbound message: Safe Travel's handler, the automatic reply, intake."""
    return dispatch.dispatch_inbound(message_id)


@task()
def hand_off_inbound() -> int:
    """Periodic: enqueue the dispatch of the inbound messages stored since the last run."""
    return handoff.hand_off_pending()


@task()
def retry_outbound() -> dict[str, int]:
    """Periodic: re-enqueue outbound messages whose delivery never ran; settle stuck ones."""
    return outbound.retry_stalled()


# Ahead of the backlog: after an outage the worker has many tasks waiting, and the spool
# holds messages not yet in the database at all.
@task(priority=50)
def replay_spool() -> dict[str, Any]:
    """Periodic: ingest the webhooks spooled while the database was unavailable."""
    report = spool.replay()
    if report.stopped_by:
        logger.warning("Spool replay stopped, database still unavailable: %s", report.stopped_by)
        if not connection.in_atomic_block:
            connection.close()
    elif report.replayed or report.rejected:
        logger.info(
            "Spool replayed %d file(s) (%d already stored), rejected %d, %d left",
            report.replayed,
            report.duplicates,
            report.rejected,
            report.remaining,
        )
    return asdict(report)
