"""The periodic check: verification as a background task that logs an error when broken."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus

from palermo.accounts.models import Membership
from palermo.audit.tasks import verify_chain_task

from .events import record
from .tampering import raw_delete, raw_update, triggers_dropped


def test_an_intact_log_logs_no_error_and_is_anchored(
    worker_a: Membership, caplog: pytest.LogCaptureFixture, anchor_path: Path
) -> None:
    events = record(worker_a, 3)
    with caplog.at_level(logging.INFO, logger="palermo.audit"):
        result = verify_chain_task.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {
        "intact": True,
        "verified": 3,
        "broken_at": None,
        "reason": "",
        "anchors_checked": 0,
        "anchor_problems": [],
        "missing_triggers": [],
        "checkpoint": {"sequence": 3, "hash": events[-1].hash},
    }
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The checkpoint went to the anchor file and to the anchor logger, as the same line.
    (line,) = anchor_path.read_text().splitlines()
    assert json.loads(line)["sequence"] == 3
    logged = [r.getMessage() for r in caplog.records if r.name == "palermo.audit.anchor"]
    assert logged == [f"audit checkpoint {line}"]
    # The next run checks that anchor, and adds its own.
    assert verify_chain_task.call()["anchors_checked"] == 1
    assert len(anchor_path.read_text().splitlines()) == 2


def test_a_broken_log_logs_an_error(worker_a: Membership, caplog: pytest.LogCaptureFixture) -> None:
    record(worker_a, 3)
    with triggers_dropped():
        raw_update(2, "action", "person.list")
    with caplog.at_level(logging.ERROR, logger="palermo.audit"):
        result = verify_chain_task.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value is not None
    assert (result.return_value["intact"], result.return_value["broken_at"]) == (False, 2)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["Audit log BROKEN at event #2: its content does not match its hash"]


def test_a_truncated_log_and_missing_triggers_are_both_logged(
    worker_a: Membership, caplog: pytest.LogCaptureFixture
) -> None:
    record(worker_a, 3)
    with triggers_dropped(), caplog.at_level(logging.ERROR, logger="palermo.audit"):
        raw_delete(3)
        summary = verify_chain_task.call()
    assert summary["broken_at"] == 3 and summary["missing_triggers"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert errors[0].startswith("Audit log BROKEN at event #3: the event is missing")
    assert errors[1].startswith("Audit log UNPROTECTED:")


def test_the_worker_runs_the_check_daily() -> None:
    from datetime import timedelta

    from django.utils.module_loading import import_string

    from palermo.worker.periodic import registered_jobs

    (job,) = [job for job in registered_jobs() if job.name == "audit-verify"]
    assert job.every == timedelta(days=1)
    assert import_string(job.task_path) is verify_chain_task
