"""Proving the audit log intact: recompute every link, report the first broken one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .chain import BrokenLink, first_broken_link
from .models import AuditEvent

BATCH = 2000


def _rows() -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(sequence__gt=last).order_by("sequence")[:BATCH])
        if not batch:
            return
        for event in batch:
            yield event.sequence, event.previous_hash, event.hash, event.chained_content()
        last = batch[-1].sequence


def verify_chain() -> tuple[int, BrokenLink | None]:
    """Returns (events checked, first broken link or None)."""
    count = 0

    def counted() -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        nonlocal count
        for row in _rows():
            count += 1
            yield row

    broken = first_broken_link(counted())
    return count, broken
