"""Two writers appending at once still make one unbroken chain.

PostgreSQL serialises appends by locking the chain head row; SQLite by BEGIN IMMEDIATE
(settings), with writers queueing on the busy timeout.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from palermo.accounts.actors import Actor
from palermo.audit.models import AuditEvent
from palermo.audit.services import audit_record
from palermo.audit.verification import VerificationResult, verify_chain

WRITERS = 2
APPENDS_PER_WRITER = 30

ConnectionFactory = Callable[[], BaseDatabaseWrapper | None]


@pytest.fixture
def writer_connection(transactional_db: None, tmp_path: Path) -> Iterator[ConnectionFactory]:
    """How each thread gets its own database connection, as separate requests would.

    The SQLite test database lives in memory with a shared cache, whose table locks fail
    at once instead of waiting; production SQLite is a WAL file, where BEGIN IMMEDIATE
    makes writers queue. So on SQLite the threads share a file copy of the test database.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        # Django opens one connection per thread by itself. (The root conftest empties
        # the audit log before the flush that ends a transactional test.)
        yield lambda: None
        return
    main = connections["default"]
    copy = tmp_path / "audit.sqlite3"
    main.ensure_connection()
    with sqlite3.connect(copy) as target:
        main.connection.backup(target)
    file_settings: dict[str, Any] = {**main.settings_dict, "NAME": str(copy)}
    yield lambda: type(main)(file_settings, "default")


def _in_thread(writer_connection: ConnectionFactory, work: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        own = writer_connection()
        if own is not None:
            connections["default"] = own
        try:
            return work()
        finally:
            connections.close_all()

    return run


def test_two_threads_appending_give_one_valid_chain(
    writer_connection: ConnectionFactory,
) -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def append(label: str) -> None:
        start.wait()  # both begin together, so their appends really interleave
        for n in range(APPENDS_PER_WRITER):
            audit_record(actor=Actor.system(label), action="test.append", details={"n": n})

    def guarded(label: str) -> None:
        try:
            _in_thread(writer_connection, lambda: append(label))()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(f"writer-{i}",)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    outcome: dict[str, Any] = {}

    def check() -> None:
        outcome["result"] = verify_chain()
        outcome["labels"] = list(
            AuditEvent.objects.order_by("sequence").values_list("actor_label", flat=True)
        )

    checker = threading.Thread(target=_in_thread(writer_connection, check))
    checker.start()
    checker.join(timeout=60)
    result: VerificationResult = outcome["result"]
    assert result.intact, result.broken
    assert result.verified == WRITERS * APPENDS_PER_WRITER
    labels = outcome["labels"]
    assert sorted(set(labels)) == [f"writer-{i}" for i in range(WRITERS)]
