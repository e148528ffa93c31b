"""Background tasks of intake: filing inbound SMS, replaying the tip spool."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from django.db import connection
from django_tasks import task

from . import filing, tip_spool

logger = logging.getLogger(__name__)


@task()
def file_inbound_message(message_id: int) -> str:
    """File one stored inbound SMS into the contact of its thread (idempotent)."""
    return filing.file_message(message_id)


@task()
def replay_tip_spool() -> dict[str, Any]:
    """Periodic: store the tips spooled while the database was unavailable."""
    report = tip_spool.replay()
    if report.stopped_by:
        logger.warning(
            "Tip spool replay stopped: %s (%d left)", report.stopped_by, report.remaining
        )
        if not connection.in_atomic_block:
            connection.close()
    elif report.stored or report.rejected:
        logger.info(
            "Tip spool: stored %d, %d already stored, rejected %d, %d left",
            report.stored,
            report.duplicates,
            report.rejected,
            report.remaining,
        )
    return asdict(report)
