"""Background checks of the audit log; the worker schedules them."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from .append_only import missing_triggers
from .verification import verify_chain

logger = logging.getLogger(__name__)


@task()
def verify_chain_task() -> dict[str, Any]:
    """Verify the whole chain and the append-only triggers; log an error when either fails.

    Returns a JSON-able summary, kept by the task backend as the result.
    """
    result = verify_chain()
    missing = missing_triggers()
    if result.broken is not None:
        logger.error(
            "Audit log BROKEN at event #%s: %s", result.broken.sequence, result.broken.reason
        )
    if missing:
        logger.error("Audit log UNPROTECTED: triggers missing or disabled: %s", ", ".join(missing))
    if result.intact and not missing:
        logger.info("Audit log intact: %s events verified.", result.verified)
    return {
        "intact": result.intact and not missing,
        "verified": result.verified,
        "broken_at": result.broken.sequence if result.broken is not None else None,
        "reason": result.broken.reason if result.broken is not None else "",
        "missing_triggers": missing,
    }
