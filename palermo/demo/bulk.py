"""Fast inserts for demo loads of a million rows: COPY on PostgreSQL, executemany elsewhere.

Rows are plain dicts by attribute name (``owner_organisation_id``, not ``owner_organisation``).
Every value goes through the model field's own ``get_db_prep_save``, so encrypted fields are
encrypted and JSON is dumped exactly as the ORM would; what the ORM would fill in on save is
filled in here: defaults (``public_id``), ``auto_now``/``auto_now_add`` timestamps (unless the
row gives them: demo registrations are spread over years). Ids are given explicitly, from a
block reserved in one statement (`reserve_ids`), so rows of several tables that point at each
other can be written in one pass, without reading anything back.

Not for concurrent writers: a block is reserved by moving the table's sequence on, which is
safe while the demo loader is the only writer that inserts into these tables.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import DateField, DateTimeField
from django.utils import timezone

from palermo.vault.fields import EncryptedField

_NO_DEFAULT = object()


# Field types whose Python values psycopg adapts exactly as the ORM would prepare them
# (aware datetimes, dates, UUIDs, numbers, text, booleans): on PostgreSQL they skip
# get_db_prep_save, which is a third of the time of a million-row load.
_AS_IS_ON_POSTGRESQL = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "UUIDField",
    }
)


@dataclass(frozen=True)
class _Column:
    field: models.Field[Any, Any]
    attname: str
    default: Callable[[], Any] | None
    now: bool  # auto_now or auto_now_add: stamp the time of the insert when the row has none
    as_is: bool  # the value needs no preparing on this database


def _columns(model: type[models.Model], postgresql: bool) -> list[_Column]:
    columns = []
    for field in model._meta.concrete_fields:
        now = isinstance(field, DateField | DateTimeField) and bool(
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        )
        default = field.get_default if field.has_default() else None
        as_is = (
            postgresql
            and not isinstance(field, EncryptedField)
            and field.get_internal_type() in _AS_IS_ON_POSTGRESQL
        )
        columns.append(_Column(field, field.attname, default, now, as_is))
    return columns


class BulkWriter:
    """Writes rows of any model through the default connection, a batch at a time.

    Use inside ``transaction.atomic()``: one transaction per batch makes a load restartable
    batch by batch.
    """

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"
        self._columns: dict[type[models.Model], list[_Column]] = {}

    def columns(self, model: type[models.Model]) -> list[_Column]:
        if model not in self._columns:
            self._columns[model] = _columns(model, self.postgresql)
        return self._columns[model]

    def reserve_ids(self, model: type[models.Model], count: int) -> range:
        """`count` fresh primary keys for `model`, in order."""
        if count <= 0:
            return range(0)
        table = model._meta.db_table
        pk = model._meta.pk
        assert pk is not None  # noqa: S101 - every concrete model has one
        with connection.cursor() as cursor:
            if self.postgresql:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                    [table, pk.column, table, pk.column, count],
                )
                last = int(cursor.fetchone()[0])
                return range(last - count + 1, last + 1)
            # SQLite and others: the highest id so far (AUTOINCREMENT remembers explicit ids).
            quoted_table = connection.ops.quote_name(table)
            quoted_pk = connection.ops.quote_name(pk.column)
            cursor.execute(f"SELECT MAX({quoted_pk}) FROM {quoted_table}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            if connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                highest = max(highest, int(row[0]) if row else 0)
            return range(highest + 1, highest + 1 + count)

    def prepared(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> list[tuple]:
        """The rows as database values, in the order of `columns(model)`."""
        columns = self.columns(model)
        now = timezone.now()
        out = []
        for row in rows:
            values = []
            for column in columns:
                value = row.get(column.attname, _NO_DEFAULT)
                if value is _NO_DEFAULT:
                    if column.now:
                        value = now
                    elif column.default is not None:
                        value = column.default()
                    else:
                        value = None
                if column.as_is:
                    if isinstance(value, enum.Enum):  # choices: psycopg would dump the name
                        value = value.value
                    elif isinstance(value, datetime.datetime) and timezone.is_naive(value):
                        raise ValueError(f"{column.attname}: a naive datetime")
                    values.append(value)
                else:
                    values.append(column.field.get_db_prep_save(value, connection))
            out.append(tuple(values))
        return out

    def insert(self, model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows (each with its id); return how many."""
        if not rows:
            return 0
        columns = self.columns(model)
        names = [connection.ops.quote_name(column.field.column) for column in columns]
        table = connection.ops.quote_name(model._meta.db_table)
        prepared = self.prepared(model, rows)
        with connection.cursor() as cursor:
            if self.postgresql:
                raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
                with raw.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for values in prepared:
                        copy.write_row(values)
            else:
                placeholders = ", ".join(["%s"] * len(names))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
                    prepared,
                )
        return len(prepared)
