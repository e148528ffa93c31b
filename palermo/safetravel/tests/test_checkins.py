"""Check-ins, the duress PIN, welfare answers, PINs, extending and arming — through the services
the public pages call."""

from __future__ import annotations

import datetime

import pytest

from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError
from palermo.safetravel import pins, services
from palermo.safetravel.models import (
    CheckIn,
    EscalationStep,
    StepKind,
    TravelAlert,
    TripEvent,
)
from palermo.safetravel.selectors import traveller_history, traveller_steps

from .factories import DURESS_PIN, PIN, T0, add_contact, armed_trip, make_traveller, make_trip
from .test_scheduler import DUE, minutes, sms_to, tick

pytestmark = pytest.mark.django_db


def test_arming_needs_a_confirmed_contact() -> None:
    traveller = make_traveller()
    trip = make_trip(traveller)
    add_contact(traveller, trip, confirm=False)
    with pytest.raises(ApplicationError) as refused:
        services.trip_arm(traveller=traveller, trip=trip, at=T0)
    assert refused.value.code == "no_confirmed_contact"
    trip.refresh_from_db()
    assert trip.status == "draft" and trip.next_action_at is None


def test_fixed_times_follow_the_travellers_time_zone() -> None:
    # 08:00 and 20:00 in Kyiv (UTC+2 in March) are 06:00 and 18:00 UTC.
    trip = armed_trip(schedule_kind="fixed_times", fixed_times="08:00, 20:00", interval_hours="")
    assert trip.next_due_at == datetime.datetime(2025, 3, 1, 18, 0, tzinfo=datetime.UTC)
    # A check-in within the hour before a due time counts for it.
    result = services.checkin_record(
        trip=trip,
        channel="web",
        pin_kind="normal",
        at=datetime.datetime(2025, 3, 1, 17, 30, tzinfo=datetime.UTC),
    )
    assert result.next_due_at == datetime.datetime(2025, 3, 2, 6, 0, tzinfo=datetime.UTC)


def test_duress_looks_like_a_normal_checkin_and_raises_a_silent_alert() -> None:
    normal_trip = armed_trip()
    duress_trip = armed_trip(traveller=make_traveller(phone="+380671234599", email=None))
    at = minutes(-120)
    assert pins.pin_check(traveller=normal_trip.traveller, pin=PIN, at=at) == "normal"
    assert pins.pin_check(traveller=duress_trip.traveller, pin=DURESS_PIN, at=at) == "duress"

    normal = services.checkin_record(trip=normal_trip, channel="web", pin_kind="normal", at=at)
    duress = services.checkin_record(trip=duress_trip, channel="web", pin_kind="duress", at=at)
    # What the traveller's page or SMS reply is built from is the same.
    assert normal.next_due_at == duress.next_due_at
    assert [
        e.kind for e in traveller_history(traveller=duress_trip.traveller, trip=duress_trip)
    ] == [e.kind for e in traveller_history(traveller=normal_trip.traveller, trip=normal_trip)]
    assert traveller_steps(traveller=duress_trip.traveller, trip=duress_trip) == []
    assert services.traveller_export(traveller=duress_trip.traveller)["trips"][0]["checkins"] == [
        {"at": at.isoformat(), "channel": "web", "ip": None, "welfare_answers": {}}
    ]
    # Silently: the hotline and the contact are alerted, the traveller is sent nothing.
    alert = TravelAlert.objects.get()
    assert alert.kind == "duress" and alert.trip == duress_trip
    tick(at + datetime.timedelta(seconds=5))
    [message] = sms_to("+380501112200")
    # The contact reads Ukrainian (their language), as every message to them is.
    assert "тихий сигнал тривоги" in message.lower() and "Olena" in message
    assert sms_to("+380671234599") == []
    assert EscalationStep.objects.get(trip=duress_trip).kind == StepKind.DURESS_ALERT
    assert CheckIn.objects.get(trip=duress_trip).duress
    assert (
        not TripEvent.objects.filter(trip=duress_trip, traveller_visible=False)
        .filter(kind="checked_in")
        .exists()
    )


def test_duress_during_a_missed_checkin_sends_no_all_clear() -> None:
    trip = armed_trip()
    tick(minutes(121))
    services.checkin_record(trip=trip, channel="sms", pin_kind="duress", at=minutes(130))
    tick(minutes(131))
    bodies = sms_to("+380501112200")
    assert len(bodies) == 2
    assert "відбій тривоги" not in bodies[1].lower()  # no all clear, in the contact's Ukrainian
    assert "тихий сигнал тривоги" in bodies[1].lower()


def test_worrying_welfare_answers_warn_the_hotline_only_with_consent() -> None:
    answers = {"holds_passport": "no", "paid_as_promised": "yes", "free_to_leave": "skip"}
    without = armed_trip()
    services.checkin_record(
        trip=without, channel="web", pin_kind="normal", at=minutes(-60), welfare_answers=answers
    )
    assert not TravelAlert.objects.exists()

    consenting = make_traveller(phone="+380671234500", email=None, welfare_consent=True)
    trip = armed_trip(traveller=consenting)
    services.checkin_record(
        trip=trip, channel="web", pin_kind="normal", at=minutes(-60), welfare_answers=answers
    )
    alert = TravelAlert.objects.get()
    assert alert.kind == "welfare" and alert.snapshot["welfare"] == answers
    # An early warning to the hotline only: the contacts hear nothing.
    tick(minutes(-59))
    assert sms_to("+380501112200") == []


def test_a_wrong_pin_locks_after_five_tries() -> None:
    traveller = make_traveller()
    at = T0
    for _n in range(4):
        assert pins.pin_check(traveller=traveller, pin="000111", at=at) == "wrong"
    assert pins.pin_check(traveller=traveller, pin="000111", at=at) == "locked"
    # Locked: even the right PIN (or the duress PIN) is refused for 15 minutes.
    assert (
        pins.pin_check(traveller=traveller, pin=PIN, at=at + datetime.timedelta(minutes=14))
        == "locked"
    )
    later = at + datetime.timedelta(minutes=16)
    assert pins.pin_check(traveller=traveller, pin=PIN, at=later) == "normal"
    traveller.refresh_from_db()
    assert traveller.failed_pin_count == 0 and traveller.locked_until is None


def test_pin_rules() -> None:
    assert pins.pin_problems("482915", "739164") == {}
    assert "pin" in pins.pin_problems("1234")
    assert "pin" in pins.pin_problems("123456")
    assert "duress_pin" in pins.pin_problems("482915", "482915")


def test_extend_is_bounded() -> None:
    trip = armed_trip()
    with pytest.raises(ApplicationError) as refused:
        services.trip_extend(
            traveller=trip.traveller, trip=trip, by=datetime.timedelta(hours=49), at=T0
        )
    assert "by" in refused.value.fields
    trip = services.trip_extend(
        traveller=trip.traveller, trip=trip, by=datetime.timedelta(hours=2), at=T0
    )
    assert trip.next_due_at == DUE + datetime.timedelta(hours=2)
    assert "sent" not in tick(minutes(5))


def test_checkin_on_a_trip_that_is_not_active_is_refused() -> None:
    traveller = make_traveller()
    trip = make_trip(traveller)
    with pytest.raises(ApplicationError) as refused:
        services.checkin_record(trip=trip, channel="web", pin_kind="normal", at=T0)
    assert refused.value.code == "trip_not_active"
    assert not CheckIn.objects.exists()


def test_usual_activity_counts_only_with_opt_in() -> None:
    trip = armed_trip()
    assert services.activity_record(traveller=trip.traveller, at=minutes(-30)) == 0
    trip.traveller.usual_activity_opt_in = True
    trip.traveller.save()
    assert (
        services.activity_record(traveller=trip.traveller, at=minutes(-30), ip="81.180.64.1") == 1
    )
    trip.refresh_from_db()
    assert trip.next_due_at == minutes(-30) + datetime.timedelta(hours=12)
    assert trip.last_access_ip == "81.180.64.1" and trip.last_access_city == "Chisinau"


def test_pause_and_end_stop_the_ladder() -> None:
    trip = armed_trip()
    services.trip_pause(traveller=trip.traveller, trip=trip, at=minutes(-10))
    assert "sent" not in tick(minutes(400))
    trip = services.trip_resume(traveller=trip.traveller, trip=trip, at=minutes(400))
    assert trip.next_due_at == minutes(400) + datetime.timedelta(hours=12)
    services.trip_end(traveller=trip.traveller, trip=trip, at=minutes(401))
    trip.refresh_from_db()
    assert trip.status == "ended" and trip.next_action_at is None


def test_traveller_actions_are_audited_without_personal_data() -> None:
    trip = armed_trip()
    services.checkin_record(trip=trip, channel="web", pin_kind="normal", at=T0, ip="81.180.64.1")
    event = AuditEvent.objects.filter(action="trip.checkin").get()
    assert event.actor_label == f"traveller {trip.traveller.reference}"
    assert "81.180" not in str(event.details) and "Olena" not in str(event.details)
