"""Handing stored messages on to background tasks, without ever losing the hand-off.

Every stored inbound message is dispatched (``palermo.channels.tasks.dispatch_inbound`` with
the message's id; see dispatch.py), always after the message has committed, in the worker:

* with the database task backend (production) the messages table is the outbox: a message is
  stored with ``handed_off=False`` and the periodic job ``hand_off_pending`` (every 2 s)
  enqueues the dispatch of a batch of them and marks them in one transaction. The webhook
  request writes no task row at all (measured: enqueueing was a quarter of its CPU), and no
  crash can lose a hand-off: it is a column of the message itself;
* with any other backend (tests' immediate backend) the dispatch is enqueued by
  ``transaction.on_commit`` right away.

Dispatching enqueues intake's ``palermo.intake.tasks.file_inbound_message`` (message id).

Other tasks (sending a reply) are enqueued in the caller's transaction with the database
backend (they commit, or roll back, with the data) and by ``on_commit`` otherwise.

Tasks are named by dotted path and imported when first needed: a task another module has not
written yet is logged once and skipped.
"""

from __future__ import annotations

import logging
from functools import lru_cache, partial
from typing import Any

from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.dispatch import receiver
from django.utils.module_loading import import_string
from django_tasks.base import Task

logger = logging.getLogger(__name__)

FILE_INBOUND_MESSAGE = "palermo.intake.tasks.file_inbound_message"
DISPATCH_INBOUND = "palermo.channels.tasks.dispatch_inbound"
DELIVER_OUTBOUND = "palermo.channels.tasks.deliver_outbound"

_missing: set[str] = set()


def load_task(path: str) -> Task | None:  # type: ignore[type-arg]
    """The task at `path`, or None (logged once per process) if it does not exist yet."""
    try:
        task = import_string(path)
    except ImportError as exc:
        if path not in _missing:
            _missing.add(path)
            logger.warning("Task %s is not available, skipping it: %s", path, exc)
        return None
    if not isinstance(task, Task):
        if path not in _missing:
            _missing.add(path)
            logger.warning("%s is not a task (decorate it with @task()); skipping it.", path)
        return None
    return task


def _writes_to_default_database(task: Task) -> bool:  # type: ignore[type-arg]
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )


@lru_cache(maxsize=1)
def dispatch_uses_outbox() -> bool:
    """Whether inbound messages wait in the outbox (database task backend) rather than being
    enqueued one by one on commit. Asked on every webhook: decided once per process."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )


def hand_off_pending(*, batch: int = 500, max_batches: int = 20) -> int:
    """Enqueue the dispatch of messages still in the outbox; returns how many.

    Each batch is one transaction: the tasks and the ``handed_off`` marks commit together.
    Rows another worker is handing off are skipped (PostgreSQL).
    """
    from .models import Message

    task = load_task(DISPATCH_INBOUND)
    if task is None:
        return 0
    handed = 0
    for _ in range(max_batches):
        with transaction.atomic():
            ids = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(handed_off=False)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            for message_id in ids:
                task.enqueue(message_id)
            Message.objects.filter(id__in=ids).update(handed_off=True)
        handed += len(ids)
        if len(ids) < batch:
            break
    return handed


def _enqueue_logged(task: Task, args: tuple[Any, ...]) -> None:  # type: ignore[type-arg]
    try:
        task.enqueue(*args)
    except Exception:
        # The data is committed already; the sweeping jobs pick up what this missed.
        logger.exception("Could not enqueue %s%r after commit", task.module_path, args)


def enqueue_with_transaction(path: str, *args: Any) -> bool:
    """Enqueue the task at `path` so it runs only once the current transaction commits.

    Returns False when the task does not exist (yet).
    """
    task = load_task(path)
    if task is None:
        return False
    connection = transaction.get_connection()
    if connection.in_atomic_block and _writes_to_default_database(task):
        task.enqueue(*args)  # commits, or rolls back, with the caller's data
    else:
        transaction.on_commit(partial(_enqueue_logged, task, args))
    return True


@receiver(setting_changed)
def _tasks_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TASKS", "DATABASE_ROUTERS"):
        dispatch_uses_outbox.cache_clear()
