"""Periodic jobs: a registry apps add to, and the scheduler step the worker runs each tick.

Apps register in their AppConfig.ready()::

    register_periodic("audit-verify", every=86400,
                      task_path="palermo.audit.tasks.verify_chain_task")

The task is named by dotted path and imported only when due, so registering never imports the
app's tasks early (nor fails when they are not written yet).

At most once per interval, however many workers run: each due job is claimed with
``UPDATE … SET last_enqueued_at = now WHERE name = … AND (last_enqueued_at IS NULL OR
last_enqueued_at <= now - every)``; the database lets one UPDATE match, and only that worker
enqueues. Claim and enqueue share a transaction, so with the database task backend a failed
enqueue also gives the claim back.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.utils import is_locked_database_exception

from .models import PeriodicJobRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A task to enqueue every `every`, with no arguments."""

    name: str
    every: datetime.timedelta
    task_path: str

    def task(self) -> Task:  # type: ignore[type-arg]
        """The task, imported now; ImportError or TypeError if the path is wrong."""
        task = import_string(self.task_path)
        if not isinstance(task, Task):
            raise TypeError(f"{self.task_path} is not a task (decorate it with @task()).")
        return task


_REGISTRY: dict[str, PeriodicJob] = {}
_warned: set[str] = set()


def register_periodic(
    name: str, *, every: float | datetime.timedelta, task_path: str
) -> PeriodicJob:
    """Add a periodic job; registering the same job again is harmless, a different one under
    the same name is a configuration error."""
    if not isinstance(every, datetime.timedelta):
        every = datetime.timedelta(seconds=every)
    if every <= datetime.timedelta(0):
        raise ImproperlyConfigured(f"Periodic job {name!r}: the interval must be positive.")
    max_length = PeriodicJobRun._meta.get_field("name").max_length or 0
    if not name or len(name) > max_length:
        raise ImproperlyConfigured(f"Periodic job name {name!r} must be 1-{max_length} chars.")
    job = PeriodicJob(name=name, every=every, task_path=task_path)
    existing = _REGISTRY.get(name)
    if existing is not None and existing != job:
        raise ImproperlyConfigured(f"Periodic job {name!r} is already registered as {existing}.")
    _REGISTRY[name] = job
    return job


def registered_jobs() -> list[PeriodicJob]:
    """Every registered periodic job, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def _due(jobs: list[PeriodicJob], now: datetime.datetime) -> list[PeriodicJob]:
    """Jobs that look due from a plain read; the claim decides for sure."""
    last = dict(
        PeriodicJobRun.objects.filter(name__in=[j.name for j in jobs]).values_list(
            "name", "last_enqueued_at"
        )
    )
    return [job for job in jobs if (seen := last.get(job.name)) is None or seen <= now - job.every]


def claim(job: PeriodicJob, now: datetime.datetime) -> bool:
    """Move the job's last-enqueued time to `now` if it is due; True for the one caller that
    did. Call inside a transaction that also enqueues the task."""
    PeriodicJobRun.objects.bulk_create([PeriodicJobRun(name=job.name)], ignore_conflicts=True)
    updated = (
        PeriodicJobRun.objects.filter(name=job.name)
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - job.every))
        .update(last_enqueued_at=now)
    )
    return updated == 1


def _importable_task(job: PeriodicJob) -> Task | None:  # type: ignore[type-arg]
    try:
        return job.task()
    except (ImportError, TypeError) as exc:
        # Warn once per process, not on every tick, and keep the other jobs going.
        if job.name not in _warned:
            _warned.add(job.name)
            logger.warning("Periodic job %s cannot run: %s", job.name, exc)
        return None


def enqueue_due_jobs(
    jobs: list[PeriodicJob] | None = None, now: datetime.datetime | None = None
) -> list[str]:
    """Enqueue each due job whose claim this process wins; returns their names."""
    jobs = registered_jobs() if jobs is None else jobs
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in _due(jobs, now) if jobs else []:
        task = _importable_task(job)
        if task is None:
            continue
        try:
            with transaction.atomic():
                if not claim(job, now):
                    continue
                result = task.enqueue()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            # Another writer holds the database (SQLite); the job stays due for the next tick.
            logger.info("Periodic job %s not claimed this time: %s", job.name, exc)
            continue
        logger.info("Enqueued periodic job %s as task %s", job.name, result.id)
        enqueued.append(job.name)
    return enqueued
