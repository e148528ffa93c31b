"""Background checks of the audit log; the worker schedules them."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from .anchors import AnchorError, anchor_file, anchor_head
from .append_only import missing_triggers
from .verification import verify_chain

logger = logging.getLogger(__name__)


@task()
def verify_chain_task() -> dict[str, Any]:
    """Verify the whole chain, its anchors and the append-only triggers; log an error when any
    fails. Then anchor the head as it is now (when anchoring is on).

    The checkpoint is written even when verification failed: it only records what the log
    holds now, earlier checkpoints keep reporting what was lost, and skipping it would leave
    every later event unanchored.

    Returns a JSON-able summary, kept by the task backend as the result.
    """
    result = verify_chain()
    missing = missing_triggers()
    if result.broken is not None:
        logger.error(
            "Audit log BROKEN at event #%s: %s", result.broken.sequence, result.broken.reason
        )
    anchor_problems = result.anchors.problems if result.anchors is not None else []
    for problem in anchor_problems:
        logger.error("Audit log BROKEN: %s", problem)
    if missing:
        logger.error("Audit log UNPROTECTED: triggers missing or disabled: %s", ", ".join(missing))
    if result.intact and not missing:
        logger.info("Audit log intact: %s events verified.", result.verified)
    checkpoint: dict[str, Any] | None = None
    if anchor_file() is None:
        logger.warning("Audit anchoring is off (PALERMO_AUDIT_ANCHOR_FILE is empty).")
    else:
        try:
            written = anchor_head()
        except AnchorError as exc:
            logger.error("Audit checkpoint not written: %s", exc)
        else:
            checkpoint = {"sequence": written.sequence, "hash": written.hash}
    return {
        "intact": result.intact and not missing,
        "verified": result.verified,
        "broken_at": result.broken.sequence if result.broken is not None else None,
        "reason": result.broken.reason if result.broken is not None else "",
        "anchors_checked": result.anchors.checked if result.anchors is not None else 0,
        "anchor_problems": anchor_problems,
        "missing_triggers": missing,
        "checkpoint": checkpoint,
    }
