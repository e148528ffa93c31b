"""Background tasks of the worker itself."""

from __future__ import annotations

from django_tasks import task


@task()
def ping(message: str = "pong") -> str:
    """Answer with `message`: proves that tasks are enqueued, picked up and recorded."""
    return message
