"""Background tasks of the partners module: take ids, call `outbound`."""

from __future__ import annotations

from django_tasks import task

from . import outbound


@task()
def deliver_package(package_pk: int) -> str:
    """One delivery attempt of a package to its partner deployment."""
    return outbound.deliver(package_pk)


@task()
def retry_due_packages() -> int:
    """Periodic: attempt every waiting package whose next attempt is due (growing delays)."""
    due = outbound.due_packages()
    for pk in due:
        outbound.deliver(pk)
    return len(due)
