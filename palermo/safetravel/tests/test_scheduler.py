"""The escalation ladder driven by `palermo travel tick --now …`, as an operator or a test would."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from palermo.safetravel import services
from palermo.safetravel.delivery import RecordingProvider
from palermo.safetravel.models import (
    EscalationStep,
    Notification,
    StepKind,
    StepStatus,
    TravelAlert,
    TripEvent,
    TripEventKind,
)

from .factories import T0, add_contact, armed_trip, make_traveller, make_trip

pytestmark = pytest.mark.django_db

DUE = T0 + datetime.timedelta(hours=12)  # armed at 08:00 UTC, every 12 h: due 20:00 UTC


def tick(at: datetime.datetime) -> str:
    """The step lines `palermo travel tick --now` prints (without its closing summary)."""
    out = io.StringIO()
    call_command("travel", "tick", "--now", at.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("Tick at ")
    return "\n".join(lines[:-1])


def minutes(n: float) -> datetime.datetime:
    return DUE + datetime.timedelta(minutes=n)


def sms_to(number: str) -> list[str]:
    """Ladder messages (not invitations) handed to the SMS provider for `number`, in order."""
    records = [r for r in RecordingProvider.sent_to(number) if r.idempotency_key.startswith("st:")]
    return [r.body for r in sorted(records, key=lambda r: r.handed_at)]


def test_the_ladder_step_by_step() -> None:
    trip = armed_trip()
    traveller = trip.traveller
    assert trip.next_due_at == DUE

    assert "sent" not in tick(minutes(-1))
    assert sms_to(traveller.phone) == []

    out = tick(minutes(0.2))
    assert out.startswith(f"sent {trip.reference} reminder due 2025-03-01 20:00:00Z")
    assert len(sms_to(traveller.phone)) == 1
    assert [m.to for m in mail.outbox] == [[traveller.email]]

    assert "sent" not in tick(minutes(10))  # nothing new before the second reminder
    assert f"{trip.reference} second_reminder" in tick(minutes(30.1))
    assert len(sms_to(traveller.phone)) == 2
    assert sms_to("+380501112200") == []  # contacts: nothing yet

    out = tick(minutes(120.5))
    assert f"{trip.reference} contacts_alert" in out
    [alert] = sms_to("+380501112200")
    assert "Olena Kovalenko" in alert
    assert "81.180.64.1" not in alert  # no access point recorded yet
    assert trip.reference in alert and "+373 800 77777" in alert
    assert not TravelAlert.objects.exists()

    assert f"{trip.reference} urgent_alert" in tick(minutes(360.5))
    assert len(sms_to("+380501112200")) == 2
    hotline = TravelAlert.objects.get()
    assert hotline.kind == "urgent" and hotline.episode_due_at == DUE
    assert "sent" not in tick(minutes(400))  # the ladder is done

    kinds = list(EscalationStep.objects.order_by("scheduled_at").values_list("kind", "status"))
    assert kinds == [
        (StepKind.REMINDER, StepStatus.SENT),
        (StepKind.SECOND_REMINDER, StepStatus.SENT),
        (StepKind.CONTACTS_ALERT, StepStatus.SENT),
        (StepKind.URGENT_ALERT, StepStatus.SENT),
    ]
    # Every message went out once: no key was handed over twice.
    assert all(r.calls == 1 for r in RecordingProvider.outbox.values())


def test_a_checkin_stops_the_ladder_and_sends_all_clear() -> None:
    trip = armed_trip()
    services.access_point_record(traveller=trip.traveller, ip="81.180.64.1", at=minutes(-60))
    tick(minutes(0.5))
    tick(minutes(121))
    contact_sms = sms_to("+380501112200")
    assert len(contact_sms) == 1
    assert "81.180.64.1" in contact_sms[0] and "Chisinau" in contact_sms[0]

    result = services.checkin_record(trip=trip, channel="web", pin_kind="normal", at=minutes(150))
    assert result.next_due_at == minutes(150) + datetime.timedelta(hours=12)
    tick(minutes(151))  # delivers the all clear
    contact_sms = sms_to("+380501112200")
    # "all clear", in the contact's language (Ukrainian)
    assert len(contact_sms) == 2 and "відбій тривоги" in contact_sms[1].lower()
    # the traveller gets no all clear (they know), and the ladder does not go on
    assert "sent" not in tick(minutes(361))
    trip.refresh_from_db()
    assert trip.episode_due_at is None and trip.next_action_at == result.next_due_at
    assert TripEvent.objects.filter(trip=trip, kind=TripEventKind.ALL_CLEAR).exists()


def test_a_checkin_before_contacts_were_alerted_sends_no_all_clear() -> None:
    trip = armed_trip()
    tick(minutes(0.5))
    services.checkin_record(trip=trip, channel="sms", pin_kind="normal", at=minutes(20))
    tick(minutes(21))
    assert sms_to("+380501112200") == []
    assert not EscalationStep.objects.filter(kind=StepKind.ALL_CLEAR).exists()


def test_a_contact_who_never_confirmed_receives_nothing() -> None:
    traveller = make_traveller()
    trip = make_trip(traveller)
    add_contact(traveller, trip, name="Confirmed", phone="+380501112200")
    pending = add_contact(
        traveller, trip, name="Never confirmed", phone="+380509998877", confirm=False
    )
    services.trip_arm(traveller=traveller, trip=trip, at=T0)
    for at in (minutes(1), minutes(31), minutes(121), minutes(361)):
        tick(at)
    assert len(sms_to("+380501112200")) == 2
    assert sms_to("+380509998877") == []
    assert not Notification.objects.filter(contact=pending).exists()


def test_after_an_outage_stale_alerts_are_not_fired_blindly() -> None:
    trip = armed_trip()
    tick(minutes(0.5))  # the reminder went out; then the service is down for four hours
    out = tick(minutes(240))
    assert "outage" in out and "contacts_alert" not in out.replace("outage", "")
    assert sms_to("+380501112200") == []
    # the traveller is re-notified and gets a fresh grace period (30 minutes by default)
    assert len(sms_to(trip.traveller.phone)) == 2
    trip.refresh_from_db()
    assert trip.next_action_at == minutes(270)
    event = TripEvent.objects.get(trip=trip, kind=TripEventKind.OUTAGE)
    assert event.details["fresh_grace_until"] == minutes(270).isoformat()
    skipped = EscalationStep.objects.get(kind=StepKind.SECOND_REMINDER)
    assert skipped.status == StepStatus.SKIPPED and skipped.skip_reason == "stale"

    # No check-in within the fresh grace: the contacts are alerted then, not before.
    assert "sent" not in tick(minutes(269))
    assert f"{trip.reference} contacts_alert" in tick(minutes(270.2))
    assert len(sms_to("+380501112200")) == 1
    # The urgent alert keeps its distance from the contacts alert (4 hours by default).
    assert f"{trip.reference} urgent_alert" in tick(minutes(270 + 240.2))


def test_a_late_tick_sends_the_latest_step_and_skips_the_superseded_ones() -> None:
    trip = armed_trip()
    out = tick(minutes(125))  # 5 minutes after the contacts alert fell due: not stale
    assert f"{trip.reference} contacts_alert" in out
    steps = dict(EscalationStep.objects.values_list("kind", "skip_reason"))
    assert steps == {
        StepKind.REMINDER: "superseded",
        StepKind.SECOND_REMINDER: "superseded",
        StepKind.CONTACTS_ALERT: "",
    }


def test_test_trips_are_labelled_as_tests_everywhere() -> None:
    trip = armed_trip(is_test="on")
    assert f"sent [TEST] {trip.reference} reminder" in tick(minutes(0.5))
    tick(minutes(121))
    tick(minutes(361))
    # Traveller and contact read Ukrainian: "[ТЕСТ]" is the label in their language.
    for body in sms_to(trip.traveller.phone) + sms_to("+380501112200"):
        assert body.startswith("[ТЕСТ]")
    assert all(m.subject.startswith(("[TEST]", "[ТЕСТ]")) for m in mail.outbox)
    assert TravelAlert.objects.get().is_test
    assert all(n.is_test for n in Notification.objects.all())


def test_alerts_reach_contacts_in_their_language() -> None:
    traveller = make_traveller(language="uk")
    trip = make_trip(traveller)
    add_contact(traveller, trip, name="Marie", phone="+33612345678", language="fr")
    add_contact(traveller, trip, name="Juan", phone="+34612345678", language="es")
    services.trip_arm(traveller=traveller, trip=trip, at=T0)
    services.access_point_record(traveller=traveller, ip="81.180.64.1", at=T0)
    tick(minutes(121))
    [french] = sms_to("+33612345678")
    [spanish] = sms_to("+34612345678")
    # The offline database names the place in the contact's language.
    assert "Moldavie" in french and "Moldavia" in spanish
    languages = dict(
        Notification.objects.filter(step__kind=StepKind.CONTACTS_ALERT).values_list(
            "address", "language"
        )
    )
    assert languages == {"+33612345678": "fr", "+34612345678": "es"}
