"""Re-encrypting stored values under the active key (the work behind `palermo rotate-keys`).

Works on raw column values through the cursor, because reading through the ORM would decrypt
them (from_db_value) and lose the key id each one was sealed with. Rows are visited in primary
key order, one batch per transaction, and each row is written with a compare-and-set UPDATE,
so:

- a crash leaves every value sealed with either its old key or the active one, both readable;
- a second run picks up where the first stopped (rows already under the active key are not
  selected again);
- a row changed by someone else between our read and our write is left alone ("skipped"),
  never overwritten with stale data; the next run takes it.

After the columns, the encrypted files the apps registered (files.py: attachments, spools)
are re-sealed the same way: one at a time, each replaced atomically, busy ones left for the
next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from . import ciphers
from .fields import EncryptedField
from .files import CURRENT, GONE, ROTATED, EncryptedFiles, encrypted_file_kinds, stale_files
from .keys import keyring


@dataclass(frozen=True)
class EncryptedTable:
    """One table holding encrypted columns, with what rotation needs to know about it."""

    model: type[Model]
    fields: tuple[EncryptedField, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk_column(self) -> str:
        column = self.model._meta.pk.column if self.model._meta.pk else None
        if not column:
            raise ciphers.VaultError(f"{self.table}: rotation needs a single-column primary key.")
        return column

    @property
    def alias(self) -> str:
        return router.db_for_write(self.model)


@dataclass
class TableReport:
    """What happened to one table's rows: counts only, never values."""

    rotated: int = 0
    skipped: int = 0
    failed: int = 0
    remaining: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "rotated": self.rotated,
            "skipped": self.skipped,
            "failed": self.failed,
            "remaining": self.remaining,
        }


@dataclass
class RotationReport:
    """The outcome of one run, filled in as it goes so a crash still leaves a partial account."""

    active_key_id: str
    dry_run: bool
    tables: dict[str, TableReport] = field(default_factory=dict)
    files: dict[str, TableReport] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    completed: bool = False

    def total(self, attribute: str) -> int:
        reports = [*self.tables.values(), *self.files.values()]
        return sum(getattr(report, attribute) for report in reports)


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with encrypted columns, found from the installed models."""
    found: list[EncryptedTable] = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        # Proxies share their concrete model's table; unmanaged models may be views.
        if opts.proxy or opts.swapped or not opts.managed:
            continue
        # local_concrete_fields: a multi-table child's inherited columns live in the parent's
        # table and are rotated with the parent.
        fields = tuple(f for f in opts.local_concrete_fields if isinstance(f, EncryptedField))
        if fields:
            found.append(EncryptedTable(model=model, fields=fields))
    return sorted(found, key=lambda t: t.table)


def _stale_predicate(qn: Callable[[str], str], table: EncryptedTable, prefix: str) -> str:
    """SQL true for a row where some encrypted column holds a value not under `prefix`."""
    # The length is an int we computed, so it is safe inline (and avoids driver-specific
    # parameter typing of SUBSTR's arguments); the prefix itself goes as a parameter.
    length = int(len(prefix))
    clauses = [
        f"({qn(f.column)} IS NOT NULL AND {qn(f.column)} <> '' "
        f"AND SUBSTR({qn(f.column)}, 1, {length}) <> %s)"
        for f in table.fields
    ]
    return "(" + " OR ".join(clauses) + ")"


def count_stale(table: EncryptedTable, active_key_id: str) -> int:
    """How many rows of the table still hold a value not sealed with the active key."""
    connection = connections[table.alias]
    qn = connection.ops.quote_name
    prefix = f"{ciphers.PREFIX}:{active_key_id}:"
    sql = (
        f"SELECT COUNT(*) FROM {qn(table.table)} "  # noqa: S608 - identifiers quoted, values bound
        f"WHERE {_stale_predicate(qn, table, prefix)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix] * len(table.fields))
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _stale_batches(
    connection: BaseDatabaseWrapper, table: EncryptedTable, prefix: str, batch_size: int
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Yield batches of (pk, *columns) for stale rows, in pk order, each read inside the
    transaction the caller opens for it (so on SQLite the read already holds the write lock)."""
    qn = connection.ops.quote_name
    columns = ", ".join([qn(table.pk_column), *(qn(f.column) for f in table.fields)])
    predicate = _stale_predicate(qn, table, prefix)
    last_pk: Any = None
    while True:
        after = "" if last_pk is None else f" AND {qn(table.pk_column)} > %s"
        params: list[Any] = [prefix] * len(table.fields)
        if last_pk is not None:
            params.append(last_pk)
        sql = (
            f"SELECT {columns} FROM {qn(table.table)} "  # noqa: S608 - quoted identifiers
            f"WHERE {predicate}{after} ORDER BY {qn(table.pk_column)} LIMIT {int(batch_size)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last_pk = rows[-1][0]


def _rotate_row(
    connection: BaseDatabaseWrapper,
    table: EncryptedTable,
    ring: ciphers.Keyring,
    row: tuple[Any, ...],
    prefix: str,
    dry_run: bool,
) -> str:
    """Re-encrypt one row's stale values; returns 'rotated', 'skipped' or raises VaultError."""
    pk, values = row[0], row[1:]
    changes: list[tuple[str, str, str]] = []  # (column, old envelope, new envelope)
    for column_field, old in zip(table.fields, values, strict=True):
        if not old or old.startswith(prefix):
            continue
        associated_data = column_field.associated_data()
        try:
            plaintext = ciphers.decrypt(ring, old, associated_data)
        except ciphers.VaultError as exc:
            raise ciphers.VaultError(f"{table.table} {pk} {column_field.column}: {exc}") from exc
        changes.append(
            (column_field.column, old, ciphers.encrypt(ring, plaintext, associated_data))
        )
    if dry_run or not changes:
        return "rotated"
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(column)} = %s" for column, _, _ in changes)
    guards = " AND ".join(f"{qn(column)} = %s" for column, _, _ in changes)
    sql = (
        f"UPDATE {qn(table.table)} SET {assignments} "  # noqa: S608 - quoted identifiers
        f"WHERE {qn(table.pk_column)} = %s AND {guards}"
    )
    params = [new for _, _, new in changes] + [pk] + [old for _, old, _ in changes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Zero rows: the row was written meanwhile (by a process using the new key, or not);
        # leave it for the next run rather than overwrite someone's change.
        return "rotated" if cursor.rowcount == 1 else "skipped"


def rotate_table(
    table: EncryptedTable,
    report: RotationReport,
    *,
    batch_size: int,
    on_progress: Callable[[int], object] = lambda n: None,
) -> TableReport:
    """Re-encrypt one table's stale values under the active key, one transaction per batch."""
    ring = keyring()
    prefix = f"{ciphers.PREFIX}:{ring.active_id}:"
    connection = connections[table.alias]
    table_report = report.tables.setdefault(table.table, TableReport())
    batches = _stale_batches(connection, table, prefix, batch_size)
    while True:
        with transaction.atomic(using=table.alias):
            rows = next(batches, None)
            if rows is None:
                break
            for row in rows:
                try:
                    outcome = _rotate_row(connection, table, ring, row, prefix, report.dry_run)
                except ciphers.VaultError as exc:
                    table_report.failed += 1
                    report.failures.append(str(exc))
                    continue
                if outcome == "rotated":
                    table_report.rotated += 1
                else:
                    table_report.skipped += 1
        on_progress(len(rows))
    table_report.remaining = count_stale(table, ring.active_id)
    return table_report


def rotate_files(
    kind: EncryptedFiles,
    report: RotationReport,
    *,
    on_progress: Callable[[int], object] = lambda n: None,
) -> TableReport:
    """Re-seal one kind of encrypted files under the active key, one file at a time.

    A dry run opens each stale file with its key (proving it can be rotated) and writes
    nothing.
    """
    ring = keyring()
    file_report = report.files.setdefault(kind.name, TableReport())
    for name in stale_files(kind, ring.active_id):
        try:
            if report.dry_run:
                outcome = _check_file(kind, name, ring)
            else:
                outcome = kind.reseal(name, ring)
        except (ciphers.VaultError, UnicodeDecodeError, ValueError) as exc:
            file_report.failed += 1
            report.failures.append(f"{kind.name} {name}: {exc}")
            on_progress(1)
            continue
        if outcome in (ROTATED, CURRENT):
            file_report.rotated += 1
        elif outcome != GONE:
            file_report.skipped += 1
        on_progress(1)
    file_report.remaining = len(stale_files(kind, ring.active_id))
    return file_report


def _check_file(kind: EncryptedFiles, name: str, ring: ciphers.Keyring) -> str:
    """For a dry run: whether the file's key is in the keyring (the cheap check); opening
    every file would read every attachment."""
    key_id = kind.key_id(name)
    if key_id is None:
        return GONE
    if key_id not in ring.keys:
        raise ciphers.VaultError(f"Unknown key id {key_id!r}: was a key removed before rotation?")
    return ROTATED


def rotate_all(
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    tables: Sequence[EncryptedTable] | None = None,
    file_kinds: Sequence[EncryptedFiles] | None = None,
    report: RotationReport | None = None,
    on_progress: Callable[[int], object] = lambda n: None,
) -> RotationReport:
    """Re-encrypt every encrypted column of every table, then every registered encrypted
    file, under the active key.

    `report` may be passed in so that the caller keeps the partial counts if this raises.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ring = keyring()
    report = report or RotationReport(active_key_id=ring.active_id, dry_run=dry_run)
    for table in encrypted_tables() if tables is None else tables:
        rotate_table(table, report, batch_size=batch_size, on_progress=on_progress)
    for kind in encrypted_file_kinds() if file_kinds is None else file_kinds:
        rotate_files(kind, report, on_progress=on_progress)
    report.completed = True
    return report
