"""A stand-in for intake's filing task, at module level as django-tasks requires."""

from __future__ import annotations

from django_tasks import task

filed: list[int] = []


@task()
def file_inbound_message(message_id: int) -> None:
    filed.append(message_id)
