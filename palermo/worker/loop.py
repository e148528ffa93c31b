"""The worker process's loop: enqueue due periodic jobs, run every ready task, wait, repeat.

Built on django-tasks-db's Worker for running a task (signals, success and failure records)
and for claiming one safely between several workers; the loop around it is ours so that
the scheduler runs in the same process and a shutdown signal wakes the wait at once.

A database outage does not stop the worker. When the database refuses connections or drops
them (OperationalError, InterfaceError), the worker:

* logs it once per outage (a warning naming the error), not once per attempt;
* closes its broken connections and tries again after a wait that doubles from 1 second up
  to `max_backoff` (30 seconds by default), woken at once by a shutdown signal;
* keeps its state: its id, the scheduler's memory, and the task it was running when the
  database went away. That task could not record its end, so it would stay "running" for
  ever: once the database is back it is put back in the queue (tasks are idempotent: they
  re-check what is already done), and runs again;
* logs the recovery once, with how long the database was gone, and carries on: the periodic
  jobs catch up (the channels' and the tip form's spools are replayed by theirs).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from types import FrameType

from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .periodic import enqueue_due_jobs

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0


def close_old_connections() -> None:
    """Drop broken or expired database connections, as Django does around each request.

    Unlike django.db.close_old_connections, leaves alone a connection inside a transaction
    (closing it would lose the transaction: the case in tests, which wrap each in one).
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            try:
                connection.close_if_unusable_or_obsolete()
            except DATABASE_ERRORS:
                _close_quietly(connection)


def close_broken_connections() -> None:
    """After a database error: close every connection (outside a transaction), so that the
    next attempt connects afresh instead of reusing a dead socket."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            _close_quietly(connection)


def _close_quietly(connection: object) -> None:
    try:
        connection.close()  # type: ignore[attr-defined]
    except DATABASE_ERRORS:
        # The socket is already gone; Django forgets the connection all the same.
        pass


class Outage:
    """What the worker remembers while the database is away: since when, the next wait."""

    def __init__(self, *, max_backoff: float = MAX_BACKOFF) -> None:
        self.max_backoff = max(max_backoff, 0.0)
        self.since: float | None = None
        self.attempts = 0
        self.next_wait = min(FIRST_BACKOFF, self.max_backoff)

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> float:
        """Record a failed attempt; returns how long to wait before the next one."""
        if self.since is None:
            self.since = time.monotonic()
            logger.warning(
                "Database unavailable (%s: %s). The worker keeps running and retries, waiting "
                "up to %g s between attempts; it will log when the database is back.",
                type(exc).__name__,
                str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "no detail",
                self.max_backoff,
            )
        else:
            logger.debug("Database still unavailable: %s", exc)
        self.attempts += 1
        wait = self.next_wait
        self.next_wait = min(max(self.next_wait * 2, FIRST_BACKOFF), self.max_backoff)
        return wait

    def recovered(self) -> None:
        """The database answered again: log it once, and start afresh."""
        if self.since is None:
            return
        logger.warning(
            "Database available again after %.1f s (%d failed attempt(s)); resuming tasks "
            "and periodic jobs.",
            time.monotonic() - self.since,
            self.attempts,
        )
        self.since = None
        self.attempts = 0
        self.next_wait = min(FIRST_BACKOFF, self.max_backoff)


class WorkerLoop(Worker):
    """One worker: a scheduler tick, then drain the ready tasks, then sleep `interval`."""

    def __init__(
        self,
        *,
        queue_names: list[str],
        interval: float,
        backend_name: str,
        worker_id: str,
        run_periodic: bool = True,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=True,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.run_periodic = run_periodic
        self.outage = Outage(max_backoff=max_backoff)
        # The task that was running when the database went away (its end is not recorded).
        self.interrupted: uuid.UUID | None = None
        self._wake = threading.Event()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """First signal: finish the running task, then stop. A second one stops at once."""
        if not self.running:
            super().shutdown(signum, frame)  # resets the handlers and exits
            return
        logger.warning(
            "Received %s: stopping after the current task.", signal.strsignal(signum) or signum
        )
        self.running = False
        self._wake.set()

    def serve(self, *, once: bool = False) -> int:
        """Run until a shutdown signal (or, with `once`, until nothing is left); returns the
        number of tasks run."""
        logger.info(
            "Worker %s started: queues=%s periodic=%s",
            self.worker_id,
            ",".join(self.queue_names),
            self.run_periodic,
        )
        ran = 0
        while self.running:
            try:
                ran += self.tick()
            except DATABASE_ERRORS as exc:
                close_broken_connections()
                if once:
                    raise  # a single pass (cron, tests) reports the failure
                self._wake.wait(self.outage.failed(exc))
                continue
            if once:
                break
            self._wake.wait(self.interval)
        logger.info("Worker %s stopped after %d task(s).", self.worker_id, ran)
        return ran

    def tick(self) -> int:
        """One pass: settle what an outage left, enqueue due periodic jobs, run ready tasks.

        Raises OperationalError or InterfaceError when the database fails.
        """
        close_old_connections()
        if self.interrupted is not None:
            self._requeue_interrupted()
        if self.run_periodic:
            enqueue_due_jobs()
        ran = self.drain()
        close_old_connections()
        return ran

    def drain(self) -> int:
        """Run ready tasks one after another until none is left (or we are told to stop)."""
        ran = 0
        while self.running:
            task_result = self._claim_next()
            self.outage.recovered()  # the database answered (if it had been away)
            if task_result is None:
                break
            try:
                self.run_task(task_result)
            except DATABASE_ERRORS:
                # Neither its success nor its failure could be recorded: remember it.
                self.interrupted = task_result.id
                raise
            ran += 1
        return ran

    def _requeue_interrupted(self) -> None:
        """Put the task an outage interrupted back in the queue, if it is still ours."""
        task_id, self.interrupted = self.interrupted, None
        if task_id is None:
            return
        try:
            requeued = DBTaskResult.objects.filter(
                id=task_id, status=TaskResultStatus.RUNNING
            ).update(status=TaskResultStatus.READY, started_at=None)
        except BaseException:
            self.interrupted = task_id  # try again on the next pass
            raise
        self.outage.recovered()
        if requeued:
            logger.warning(
                "Task %s was interrupted by the database outage; it is back in the queue.",
                task_id,
            )

    def _claim_next(self) -> DBTaskResult | None:
        """Take the next ready task so no other worker runs it (as django-tasks-db does)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None  # busy; try again next tick
            raise
