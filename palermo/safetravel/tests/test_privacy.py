"""Privacy: data encrypted at rest, export, deletion, and the purge of ended trips."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from palermo.audit.models import AuditEvent
from palermo.safetravel import services
from palermo.safetravel.models import (
    CheckIn,
    Notification,
    TravelAlert,
    Traveller,
    Trip,
    TrustedContact,
)

from .factories import T0, armed_trip
from .test_scheduler import minutes, tick

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return json.dumps(cursor.fetchall(), default=str)


def test_trip_and_contact_data_are_encrypted_at_rest() -> None:
    trip = armed_trip()
    services.checkin_record(trip=trip, channel="web", pin_kind="normal", at=T0, ip="81.180.64.1")
    tick(minutes(121))
    stored = "".join(
        raw_rows(model._meta.db_table)
        for model in (Traveller, Trip, TrustedContact, CheckIn, Notification)
    )
    for secret in (
        "Olena",
        "Wrocław",
        "Agro Fields",
        "Fast Jobs",
        "Polna",
        "+380671234567",
        "+380501112200",
        "81.180.64.1",
        "Kovalenko",
    ):
        assert secret not in stored


def test_export_holds_the_travellers_own_data() -> None:
    trip = armed_trip()
    services.checkin_record(trip=trip, channel="web", pin_kind="normal", at=T0, ip="81.180.64.1")
    export = services.traveller_export(traveller=trip.traveller)
    json.dumps(export)  # JSON-able
    assert export["traveller"]["name"] == "Olena Kovalenko"
    [exported] = export["trips"]
    assert (
        exported["destination_city"] == "Wrocław"
        and exported["contacts"][0]["status"] == "confirmed"
    )
    assert exported["checkins"][0]["ip"] == "81.180.64.1"
    assert AuditEvent.objects.filter(action="traveller.export").exists()


def test_delete_ends_trips_with_an_all_clear_and_erases_everything() -> None:
    trip = armed_trip()
    tick(minutes(361))  # contacts and the hotline alerted
    traveller = trip.traveller
    services.traveller_delete(traveller=traveller, at=minutes(370))
    assert not Traveller.objects.exists() and not Trip.objects.exists()
    assert not TrustedContact.objects.exists() and not Notification.objects.exists()
    # The hotline keeps its record of a possible emergency, detached from the deleted trip.
    alert = TravelAlert.objects.get()
    assert alert.trip is None and alert.cleared_at == minutes(370)
    assert AuditEvent.objects.filter(action="traveller.delete").exists()


def test_ended_trips_are_purged_after_the_configured_time(settings: object) -> None:
    trip = armed_trip()
    keep = armed_trip(traveller=trip.traveller)
    services.trip_end(traveller=trip.traveller, trip=trip, at=T0)
    out = io.StringIO()
    call_command(
        "travel", "purge", "--now", (T0 + datetime.timedelta(days=29)).isoformat(), stdout=out
    )
    assert "Purged 0 trip(s)" in out.getvalue()
    call_command(
        "travel", "purge", "--now", (T0 + datetime.timedelta(days=31)).isoformat(), stdout=out
    )
    assert "Purged 1 trip(s)" in out.getvalue()
    assert list(Trip.objects.all()) == [keep]
    event = AuditEvent.objects.filter(action="trip.purge").last()
    assert event is not None and event.details["trips"] == 1
