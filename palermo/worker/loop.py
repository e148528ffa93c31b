"""The worker process's loop: enqueue due periodic jobs, run every ready task, wait, repeat.

Built on django-tasks-db's Worker for running a task (signals, success and failure records)
and for claiming one safely between several workers; the loop around it is ours so that
the scheduler runs in the same process and a shutdown signal wakes the wait at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from django.db import connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .periodic import enqueue_due_jobs

logger = logging.getLogger(__name__)


def close_old_connections() -> None:
    """Drop broken or expired database connections, as Django does around each request.

    Unlike django.db.close_old_connections, leaves alone a connection inside a transaction
    (closing it would lose the transaction: the case in tests, which wrap each in one).
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


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
            close_old_connections()
            if self.run_periodic:
                enqueue_due_jobs()
            ran += self.drain()
            close_old_connections()
            if once:
                break
            self._wake.wait(self.interval)
        logger.info("Worker %s stopped after %d task(s).", self.worker_id, ran)
        return ran

    def drain(self) -> int:
        """Run ready tasks one after another until none is left (or we are told to stop)."""
        ran = 0
        while self.running:
            task_result = self._claim_next()
            if task_result is None:
                break
            self.run_task(task_result)
            ran += 1
        return ran

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
