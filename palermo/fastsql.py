"""Reads that every signed-in request makes, in SQL built once per process.

The ORM builds and compiles a query anew each time it runs: about a millisecond of CPU for a
lookup that PostgreSQL answers in a tenth of that, and a signed-in page makes several before
it does anything of its own (session, user, second-factor device, membership, unread count).
Those few reads are written with these helpers instead: the SQL is made from the models'
metadata (table and column names are never spelled by hand, so they follow the models), built
once per model and database vendor, and what comes back goes through the same converters the
ORM applies (encrypted fields included) and `Model.from_db`, so the instances are the ones the
ORM would have made.

Only for plain, hot, access-neutral reads; anything that filters by what an actor may see
stays in the ORM and the selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return quoted(model._meta.db_table)


def column(model: type[Model], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field)  # noqa: S101 - a concrete field, not a relation's other side
    return quoted(field.column)


@dataclass(frozen=True)
class Selected:
    """One model's concrete columns in a SELECT, under an alias, and how to turn a row's slice
    of values back into an instance (None when the row has no such record: a LEFT JOIN that
    found nothing)."""

    model: type[Model]
    alias: str
    fields: tuple[Field[Any, Any], ...]
    # Per field: the column expression and the converters the ORM would apply to it.
    expressions: tuple[Any, ...]
    converters: tuple[tuple[Callable[..., Any], ...], ...]
    pk_index: int  # where the primary key is among the fields
    attnames: list[str]

    @property
    def width(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        alias = quoted(self.alias)
        return ", ".join(f"{alias}.{quoted(f.column)}" for f in self.fields)

    def values(self, row: Sequence[Any], start: int) -> list[Any]:
        """This part of the row, converted as the ORM converts it (decrypted, typed)."""
        values = list(row[start : start + self.width])
        for index, converters in enumerate(self.converters):
            if converters:
                value = values[index]
                for converter in converters:
                    value = converter(value, self.expressions[index], connection)
                values[index] = value
        return values

    def build(self, row: Sequence[Any], start: int) -> Model | None:
        """The instance (only the selected fields loaded, the others deferred as with
        `only()`), or None when its primary key is NULL."""
        if row[start + self.pk_index] is None:
            return None
        return self.model.from_db(connection.alias, self.attnames, self.values(row, start))


def selected(model: type[Model], alias: str, only: tuple[str, ...] = ()) -> Selected:
    """`model`'s columns under `alias` (every concrete field, or the primary key and the
    fields named in `only`), for the database in use (converters differ by vendor)."""
    return _selected(model, alias, only, connection.vendor)


@cache
def _selected(model: type[Model], alias: str, only: tuple[str, ...], vendor: str) -> Selected:
    pk = model._meta.pk
    assert pk is not None  # noqa: S101 - every concrete model has one
    chosen = [model._meta.get_field(name) for name in only]
    wanted = [f for f in chosen if isinstance(f, Field) and f.concrete]
    if len(wanted) != len(only):
        raise ValueError(f"not concrete fields of {model.__name__}: {only}")
    # In the model's own order, which Model.from_db expects of a subset's values.
    fields = tuple(f for f in model._meta.concrete_fields if not wanted or f is pk or f in wanted)
    expressions = tuple(f.get_col(alias) for f in fields)
    converters = tuple(
        tuple(connection.ops.get_db_converters(e) + f.get_db_converters(connection))  # type: ignore[attr-defined]
        for f, e in zip(fields, expressions, strict=True)
    )
    pk_index = next(i for i, f in enumerate(fields) if f.primary_key)
    attnames = [f.attname for f in fields]
    return Selected(model, alias, fields, expressions, converters, pk_index, attnames)


def build_row(parts: Sequence[Selected], row: Sequence[Any]) -> list[Model | None]:
    """One instance (or None) per part, for a row that selected the parts one after the other
    (`SELECT {parts[0].sql()}, {parts[1].sql()}, …`)."""
    built = []
    start = 0
    for part in parts:
        built.append(part.build(row, start))
        start += part.width
    return built


def placeholders(count: int) -> str:
    """`%s, %s, …` for an IN list of `count` values."""
    return ", ".join(["%s"] * count)


def rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
