"""Privacy: data encrypted at rest, export, deletion, and the purge of ended trips."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from palermo.audit.models import AuditEvent
from palermo.safetravel import selectors, services
from palermo.safetravel.delivery import RecordingProvider
from palermo.safetravel.models import (
    CheckIn,
    Notification,
    StepKind,
    TravelAlert,
    Traveller,
    Trip,
    TripEvent,
    TripEventKind,
    TrustedContact,
)

from .factories import PIN, T0, armed_trip, make_traveller
from .public_steps import clear_limits, comparable, sign_in
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
    assert not TrustedContact.objects.exists()
    # Only the all clear to the contacts already alerted is left, detached, to be sent...
    left = list(Notification.objects.all())
    assert left and {(n.trip_id, n.step_id, n.contact_id) for n in left} == {(None, None, None)}
    assert {n.address for n in left} == {"+380501112200"}
    tick(minutes(371))
    assert [m.to for m in RecordingProvider.outbox.values() if ":all_clear:" in m.idempotency_key]
    # ... and purged a day later.
    services.trips_purge(now=timezone.now() + datetime.timedelta(days=1, minutes=1))
    assert not Notification.objects.exists()
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


# --- a duress check-in leaves nothing the traveller's phone can show -------------------------


def _same_story(pin_kind: str, phone: str) -> Trip:
    """An armed trip whose check-in was missed until the contacts were alerted, then a
    check-in with the normal or the duress PIN."""
    traveller = make_traveller(phone=phone, email=None)
    trip = armed_trip(traveller=traveller)
    tick(minutes(121))  # reminders, then the contacts alerted
    services.checkin_record(trip=trip, channel="sms", pin_kind=pin_kind, at=minutes(130))
    # Registered at the same moment too (the services stamp it with the real clock).
    TripEvent.objects.filter(trip=trip, kind=TripEventKind.CREATED).update(at=T0)
    Traveller.objects.filter(pk=traveller.pk).update(created_at=T0)
    Trip.objects.filter(pk=trip.pk).update(created_at=T0)
    trip = Trip.objects.select_related("traveller").get(pk=trip.pk)
    return trip


def _without_identifiers(text: str, *trips: Trip) -> str:
    for trip in trips:
        text = text.replace(trip.public_id.hex, "ID").replace(str(trip.public_id), "ID")
        text = text.replace(trip.reference, "REF").replace(trip.traveller.reference, "TREF")
        text = text.replace(trip.traveller.phone or "", "PHONE")
        for contact in trip.contacts.all():
            text = text.replace(str(contact.public_id), "CONTACT")
    return text


def test_history_export_and_pages_never_tell_a_duress_check_in_from_a_normal_one(
    client: Client,
) -> None:
    """T1/T2: someone holding the traveller's phone reads the history, the export and the trip
    page. After a normal check-in the contacts received an all clear; after a duress one they
    received a silent alert instead. Neither shows, at the source: the selectors and the
    export themselves leave them out."""
    normal = _same_story("normal", "+380671110001")
    duress = _same_story("duress", "+380671110002")

    def history(trip: Trip) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (e.at.isoformat(), e.kind, e.details)
            for e in selectors.traveller_history(traveller=trip.traveller, trip=trip)
        ]

    def steps(trip: Trip) -> list[tuple[str, str, str]]:
        return [
            (s.scheduled_at.isoformat(), s.kind, s.status)
            for s in selectors.traveller_steps(traveller=trip.traveller, trip=trip)
        ]

    def export(trip: Trip) -> str:
        data = services.traveller_export(traveller=trip.traveller)
        data.pop("exported_at")
        return _without_identifiers(json.dumps(data, sort_keys=True), trip)

    assert history(normal) == history(duress)
    assert "all_clear" not in str(history(normal)) and "silent_alert" not in str(history(duress))
    assert steps(normal) == steps(duress)
    assert export(normal) == export(duress)
    assert "all_clear" not in export(normal) and "duress" not in export(duress)

    pages = []
    for trip in (normal, duress):
        browser = Client()
        clear_limits()
        sign_in(browser, trip.traveller.phone or "", PIN)
        for url in ("/travel/home/", f"/travel/trips/{trip.public_id}/"):
            response = browser.get(url)
            assert response.status_code == 200
            pages.append(_without_identifiers(comparable(response.content), trip))
    assert pages[:2] == pages[2:]

    # The hotline and the contacts still have it all.
    assert TripEvent.objects.filter(trip=normal, kind=TripEventKind.ALL_CLEAR).exists()
    assert normal.steps.filter(kind=StepKind.ALL_CLEAR).exists()
    assert Notification.objects.filter(step__trip=normal, step__kind=StepKind.ALL_CLEAR).exists()
    assert duress.steps.filter(kind=StepKind.DURESS_ALERT).exists()
    assert TravelAlert.objects.filter(trip=duress, kind="duress").exists()


def test_all_clear_events_recorded_visible_before_the_fix_stay_hidden() -> None:
    trip = armed_trip()
    TripEvent.objects.create(trip=trip, at=T0, kind=TripEventKind.ALL_CLEAR, traveller_visible=True)
    assert not [
        e
        for e in selectors.traveller_history(traveller=trip.traveller, trip=trip)
        if e.kind == TripEventKind.ALL_CLEAR
    ]
    assert "all_clear" not in json.dumps(services.traveller_export(traveller=trip.traveller))
