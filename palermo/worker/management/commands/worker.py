"""`palermo worker`: run background tasks and periodic jobs in one process."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.exceptions import InvalidTaskBackendError
from django_tasks_db.backend import DatabaseBackend

from palermo.worker.loop import DATABASE_ERRORS, MAX_BACKOFF, WorkerLoop


def non_negative_seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError(text)
    return value


def positive_seconds(text: str) -> float:
    value = non_negative_seconds(text)
    if value == 0:
        raise ValueError(text)
    return value


def _default_worker_id() -> str:
    # Readable in task records (which host and process ran it), unique with the suffix.
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"


class Command(BaseCommand):
    help = (
        "Run background tasks from the database queue and enqueue due periodic jobs. "
        "Stops cleanly on SIGTERM or Ctrl+C after the task in hand. Survives a database "
        "outage: logs it once, retries with a growing wait, and carries on when it is back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="enqueue due periodic jobs, run every ready task, then exit (tests, cron)",
        )
        parser.add_argument(
            "--interval",
            type=non_negative_seconds,
            default=2.0,
            help="seconds to wait when there is nothing to do (2)",
        )
        parser.add_argument(
            "--queue-name",
            default="*",
            help="queues to process, comma-separated; '*' for all (the default)",
        )
        parser.add_argument(
            "--backend", default=DEFAULT_TASK_BACKEND_ALIAS, help="task backend alias (default)"
        )
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="run tasks only; leave periodic jobs to other workers",
        )
        parser.add_argument("--worker-id", default="", help="defaults to host-pid-random")
        parser.add_argument(
            "--max-backoff",
            type=positive_seconds,
            default=MAX_BACKOFF,
            help="while the database is unavailable, the longest wait between attempts "
            f"(the wait doubles from 1 second up to this; {MAX_BACKOFF:g})",
        )

    def handle(
        self,
        *args: Any,
        once: bool,
        interval: float,
        queue_name: str,
        backend: str,
        periodic: bool,
        worker_id: str,
        max_backoff: float,
        verbosity: int,
        **options: Any,
    ) -> None:
        try:
            configured = task_backends[backend]
        except InvalidTaskBackendError as exc:
            raise CommandError(str(exc)) from exc
        if not isinstance(configured, DatabaseBackend):
            raise CommandError(
                f"The worker runs tasks of the database backend, but TASKS[{backend!r}] is "
                f"{type(configured).__name__}."
            )
        self._configure_logging(verbosity)
        loop = WorkerLoop(
            queue_names=[q.strip() for q in queue_name.split(",") if q.strip()] or ["*"],
            interval=interval,
            backend_name=backend,
            worker_id=(worker_id or _default_worker_id())[:64],
            run_periodic=periodic,
            max_backoff=max_backoff,
        )
        loop.configure_signals()
        try:
            ran = loop.serve(once=once)
        except DATABASE_ERRORS as exc:  # only with --once: a long-running worker waits
            raise CommandError(f"The database is unavailable: {exc}") from exc
        finally:
            loop.reset_signals()
        if once and verbosity:
            self.stdout.write(f"Ran {ran} task(s).")

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db", "palermo.worker"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler())  # stderr
