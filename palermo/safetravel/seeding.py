"""Synthetic armed test trips in bulk, for load tests and the benchmark (`palermo travel seed`).

Rows go in with raw SQL (COPY on PostgreSQL, executemany on SQLite) because a million trips
through the ORM would spend its time encrypting the same words a million times: each encrypted
column gets one ciphertext (valid for that column, since the associated data names the column)
reused on every row. Every trip is a test trip (`is_test`), owned by its own traveller, with
one or more confirmed trusted contacts reachable by SMS, and its first check-in due at
`due_from + i × spread / count`.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, models, transaction

from .models import Traveller, Trip, TrustedContact

BATCH = 20_000


def _prep(model: type[models.Model], name: str, value: Any) -> Any:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 - for the type checker
    return field.get_prep_value(value)


def _adapt_dt(value: datetime.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def _bool(value: bool) -> Any:
    return value if connection.vendor == "postgresql" else int(value)


def _next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) + 1 if row else 1


def _reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def _insert(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Insert rows fast; returns how many."""
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= BATCH:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def seed_trips(
    *,
    count: int,
    due_from: datetime.datetime,
    spread: datetime.timedelta,
    contacts_per_trip: int = 1,
    interval_hours: int = 24,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Insert `count` armed test trips (one traveller each) due from `due_from` over `spread`."""
    now = datetime.datetime.now(datetime.UTC)
    first_traveller = _next_id(Traveller)
    first_trip = _next_id(Trip)
    cipher = {
        "t.display_name": _prep(Traveller, "display_name", "Test Traveller"),
        "t.phone": _prep(Traveller, "phone", "+37360000000"),
        "trip.destination_country": _prep(Trip, "destination_country", "PL"),
        "trip.destination_city": _prep(Trip, "destination_city", "Wrocław"),
        "trip.employer": _prep(Trip, "employer", "Test Employer Sp. z o.o."),
        "trip.recruiter": _prep(Trip, "recruiter", "Test Recruitment SRL"),
        "trip.last_access_ip": _prep(Trip, "last_access_ip", "81.180.64.1"),
        "trip.last_access_country": _prep(Trip, "last_access_country", "MD"),
        "trip.last_access_city": _prep(Trip, "last_access_city", "Chisinau"),
        "c.name": _prep(TrustedContact, "name", "Test Contact"),
        "c.phone": _prep(TrustedContact, "phone", "+37369000000"),
    }
    stamp = _adapt_dt(now)
    step = spread / max(count, 1)

    traveller_columns = [
        "id", "public_id", "display_name", "phone", "bidx_phone", "phone_verified_at", "email",
        "bidx_email", "email_verified_at", "pin_hash", "duress_pin_hash", "failed_pin_count",
        "locked_until", "totp_key", "totp_confirmed_at", "totp_last_counter", "language",
        "time_zone", "usual_activity_opt_in", "welfare_consent", "created_at", "last_seen_at",
    ]  # fmt: skip

    def travellers() -> Iterator[tuple[Any, ...]]:
        for i in range(count):
            yield (
                first_traveller + i, _uuid(), cipher["t.display_name"], cipher["t.phone"], "",
                stamp, None, "", None, "", "", 0, None, None, None, None, "en",
                "Europe/Chisinau", _bool(False), _bool(False), stamp, None,
            )  # fmt: skip

    trip_columns = [
        "id", "public_id", "traveller_id", "status", "is_test", "destination_country",
        "destination_city", "start_date", "end_date", "employer", "recruiter", "address_abroad",
        "travel_mode", "notes", "schedule_kind", "interval_hours", "fixed_times", "grace_minutes",
        "next_due_at", "next_action_at", "episode_due_at", "ladder_stage", "episode_shift_seconds",
        "last_checkin_at", "last_access_ip", "last_access_country", "last_access_city",
        "last_access_at", "created_at", "updated_at", "armed_at", "paused_at", "ended_at",
    ]  # fmt: skip

    def trips() -> Iterator[tuple[Any, ...]]:
        for i in range(count):
            due = _adapt_dt(due_from + step * i)
            yield (
                first_trip + i, _uuid(), first_traveller + i, "armed", _bool(True),
                cipher["trip.destination_country"], cipher["trip.destination_city"], None, None,
                cipher["trip.employer"], cipher["trip.recruiter"], None, None, None, "interval",
                interval_hours, json.dumps([]), None, due, due, None, 0, 0, stamp,
                cipher["trip.last_access_ip"], cipher["trip.last_access_country"],
                cipher["trip.last_access_city"], stamp, stamp, stamp, stamp, None, None,
            )  # fmt: skip

    contact_columns = [
        "public_id", "trip_id", "name", "phone", "bidx_phone", "email", "bidx_email", "language",
        "confirmation_token_hash", "invited_at", "confirmed_at", "declined_at", "created_at",
    ]  # fmt: skip

    def contacts() -> Iterator[tuple[Any, ...]]:
        for i in range(count):
            for _n in range(contacts_per_trip):
                yield (
                    _uuid(), first_trip + i, cipher["c.name"], cipher["c.phone"], "", None, "",
                    "en", "", stamp, stamp, None, stamp,
                )  # fmt: skip

    with transaction.atomic():
        made = {
            "travellers": _insert(Traveller._meta.db_table, traveller_columns, travellers()),
        }
        if progress:
            progress("travellers", made["travellers"])
        made["trips"] = _insert(Trip._meta.db_table, trip_columns, trips())
        if progress:
            progress("trips", made["trips"])
        made["contacts"] = _insert(TrustedContact._meta.db_table, contact_columns, contacts())
        if progress:
            progress("contacts", made["contacts"])
        for model in (Traveller, Trip, TrustedContact):
            _reset_sequence(model)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Traveller, Trip, TrustedContact):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return made


def _uuid() -> str:
    value = uuid.uuid4()
    return str(value) if connection.vendor == "postgresql" else value.hex
