"""Test helpers that act as an attacker with database access.

They drop and recreate the append-only triggers with migration 0002's own SQL, so the
triggers put back are exactly the migrated ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from palermo.audit.models import AuditEvent

_triggers = importlib.import_module("palermo.audit.migrations.0002_append_only_triggers")


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_triggers() -> None:
    _run(_triggers.BACKWARD[connection.vendor])


def create_triggers() -> None:
    _run(_triggers.FORWARD[connection.vendor])


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """Like an attacker who can run DDL: the triggers are gone inside, back afterwards."""
    drop_triggers()
    try:
        yield
    finally:
        create_triggers()


def raw_update(sequence: int, column: str, value: object) -> None:
    """UPDATE one audit row behind the application's back (call inside triggers_dropped)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s "  # noqa: S608
            "WHERE sequence = %s",
            [value, sequence],
        )


def raw_delete(*sequences: int) -> None:
    """DELETE audit rows behind the application's back (call inside triggers_dropped)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        for sequence in sequences:
            cursor.execute(f"DELETE FROM {table} WHERE sequence = %s", [sequence])  # noqa: S608
