"""The inbound SMS handler: travellers' commands and trusted contacts' answers."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.utils import timezone

from palermo.safetravel import services
from palermo.safetravel.messages import local_time
from palermo.safetravel.models import CheckIn, TravelAlert, Traveller, Trip, TripStatus
from palermo.safetravel.sms_commands import SMS_REPLIES_PER_NUMBER, handle_inbound_sms

from .factories import DURESS_PIN, PIN, add_contact, make_traveller, make_trip
from .public_steps import clear_limits

pytestmark = pytest.mark.django_db

PHONE = "+380671234567"
CONTACT = "+380501112233"
TIMES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    clear_limits()
    yield
    clear_limits()


def sms(body: str, number: str = PHONE) -> str | None:
    return handle_inbound_sms(from_number=number, body=body, channel=None)


def armed_trip(traveller: Traveller) -> Trip:
    trip = make_trip(traveller)
    add_contact(traveller, trip, phone=CONTACT)
    return services.trip_arm(traveller=traveller, trip=trip)


@pytest.fixture
def traveller() -> Traveller:
    return make_traveller(phone=PHONE, email=None, language="en")


def test_a_number_that_is_neither_traveller_nor_contact_is_left_to_the_hotline() -> None:
    """Ordinary texts (and a bare OK, YES, STOP or HELP: maybe an answer to a counsellor, or a
    cry for help) are the hotline's; a Safe Travel command with a PIN gets the one reply for
    numbers that are not signed up."""
    for body in ("hello", "OK", "YES", "STOP", "HELP", "Cada día me pegan", "Start again?"):
        assert sms(body, "+380679999999") is None, body
    assert sms("hello", "") is None
    reply = sms("OK 482915", "+380679999999")
    assert reply is not None and "JOIN" in reply and "+373 800 77777" in reply


def test_ok_with_the_pin_checks_in(traveller: Traveller) -> None:
    trip = armed_trip(traveller)
    reply = sms(f"OK {PIN}")
    assert reply is not None and "checked in" in reply
    checkin = CheckIn.objects.get(trip=trip)
    assert checkin.channel == "sms" and not checkin.duress
    trip.refresh_from_db()
    assert local_time(trip.next_due_at, "Europe/Kyiv") in reply


def test_ok_12h_sets_the_next_check_in(traveller: Traveller) -> None:
    trip = armed_trip(traveller)
    before = timezone.now()
    sms(f"ok 3h {PIN}")
    trip.refresh_from_db()
    assert trip.next_due_at is not None
    assert abs(trip.next_due_at - (before + datetime.timedelta(hours=3))) < datetime.timedelta(
        seconds=10
    )


def test_ukrainian_words_work(traveller: Traveller) -> None:
    armed_trip(traveller)
    assert "checked in" in (sms(f"Так {PIN}") or "")
    assert CheckIn.objects.count() == 1


def test_a_duress_check_in_answers_exactly_like_a_normal_one() -> None:
    replies = {}
    for pin, phone in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        traveller = make_traveller(phone=phone, email=None, language="en")
        armed_trip(traveller)
        replies[pin] = TIMES.sub("T", sms(f"OK {pin}", phone) or "")
    assert replies[PIN] == replies[DURESS_PIN]
    assert CheckIn.objects.filter(duress=True).count() == 1
    alert = TravelAlert.objects.get()
    assert alert.kind == "duress" and alert.snapshot["traveller"]["phone"] == "+380671110002"


def test_the_pin_is_required_by_default(traveller: Traveller) -> None:
    armed_trip(traveller)
    reply = sms("OK")
    assert reply is not None and "PIN" in reply
    assert not CheckIn.objects.exists()


def test_a_deployment_may_accept_ok_without_the_pin(
    traveller: Traveller, settings: LazySettings
) -> None:
    settings.PALERMO_TRAVEL_SMS_PIN_REQUIRED = False
    armed_trip(traveller)
    assert "checked in" in (sms("OK") or "")
    assert CheckIn.objects.count() == 1
    # A duress PIN still works when given.
    sms(f"OK {DURESS_PIN}")
    assert CheckIn.objects.filter(duress=True).count() == 1


def test_wrong_pins_lock_and_the_lock_answers_like_a_wrong_pin(traveller: Traveller) -> None:
    armed_trip(traveller)
    wrong = [sms(f"OK 90817{n}") for n in range(5)]
    assert len(set(wrong)) == 1
    traveller.refresh_from_db()
    assert traveller.locked_until is not None
    assert sms(f"OK {PIN}") == wrong[0]
    assert not CheckIn.objects.exists()
    # A four-digit PIN-like number counts as a wrong PIN too (not as hours).
    Traveller.objects.filter(pk=traveller.pk).update(locked_until=None, failed_pin_count=0)
    sms("OK 1234")
    traveller.refresh_from_db()
    assert traveller.failed_pin_count == 1


def test_extend_moves_the_next_check_in(traveller: Traveller) -> None:
    trip = armed_trip(traveller)
    due = trip.next_due_at
    assert due is not None
    reply = sms(f"EXTEND 2h {PIN}")
    trip.refresh_from_db()
    assert trip.next_due_at == due + datetime.timedelta(hours=2)
    assert reply is not None and local_time(trip.next_due_at, "Europe/Kyiv") in reply
    too_long = sms(f"EXTEND 30d {PIN}")
    assert too_long is not None and "48" in too_long
    trip.refresh_from_db()
    assert trip.next_due_at == due + datetime.timedelta(hours=2)


def test_stop_ends_the_trip(traveller: Traveller) -> None:
    trip = armed_trip(traveller)
    assert sms("STOP") is not None
    trip.refresh_from_db()
    assert trip.status == TripStatus.ARMED  # no PIN, nothing done
    sms(f"stop {PIN}")
    trip.refresh_from_db()
    assert trip.status == TripStatus.ENDED


def test_help_and_not_understood_explain_the_commands(traveller: Traveller) -> None:
    armed_trip(traveller)
    for body in ("HELP", "?", "what is this", "OK but they took my passport"):
        reply = sms(body)
        assert reply is not None and "OK" in reply and "+373 800 77777" in reply, body
    assert not CheckIn.objects.exists()


def test_not_ok_points_to_the_hotline_and_is_never_a_check_in(traveller: Traveller) -> None:
    Traveller.objects.filter(pk=traveller.pk).update(usual_activity_opt_in=True)
    traveller.refresh_from_db()
    armed_trip(traveller)
    for body in ("NO", "not ok", "ні"):
        reply = sms(body)
        assert reply is not None and "+373 800 77777" in reply
    assert not CheckIn.objects.exists()


def test_any_text_is_usual_activity_when_the_traveller_opted_in(traveller: Traveller) -> None:
    trip = armed_trip(traveller)
    sms("hello, all fine here")
    assert not CheckIn.objects.exists()
    Traveller.objects.filter(pk=traveller.pk).update(usual_activity_opt_in=True)
    sms("hello, all fine here")
    assert CheckIn.objects.get(trip=trip).channel == "activity"


def test_no_active_trip(traveller: Traveller) -> None:
    make_trip(traveller)  # a draft
    reply = sms(f"OK {PIN}")
    assert reply is not None and "no active trip" in reply


# --- trusted contacts ------------------------------------------------------------------------


def test_a_contact_confirms_by_answering_yes_in_their_language(traveller: Traveller) -> None:
    trip = make_trip(traveller)
    contact = add_contact(traveller, trip, phone=CONTACT, confirm=False)
    services.contact_invite(traveller=traveller, contact=contact, confirm_url_for=lambda t: t)
    reply = sms("Так", CONTACT)
    assert reply is not None and "Olena Kovalenko" in reply
    contact.refresh_from_db()
    assert contact.is_confirmed
    services.trip_arm(traveller=traveller, trip=trip)


def test_a_contact_declines_or_stops(traveller: Traveller) -> None:
    trip = make_trip(traveller)
    contact = add_contact(traveller, trip, phone=CONTACT)
    assert contact.is_confirmed
    reply = sms("STOP", CONTACT)
    assert reply is not None
    contact.refresh_from_db()
    assert contact.declined_at is not None and not contact.is_confirmed


def test_anything_else_from_a_contact_gets_the_contact_help(traveller: Traveller) -> None:
    trip = make_trip(traveller)
    add_contact(traveller, trip, phone=CONTACT)
    reply = sms("who is this?", CONTACT)
    assert reply is not None and "STOP" in reply and "+373 800 77777" in reply


def test_replies_to_one_number_are_bounded(traveller: Traveller) -> None:
    replies = [sms("hello") for _n in range(SMS_REPLIES_PER_NUMBER.limit + 2)]
    assert all(r is not None for r in replies[: SMS_REPLIES_PER_NUMBER.limit])
    assert replies[-1] is None
