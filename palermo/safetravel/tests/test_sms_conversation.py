"""Safe Travel by SMS alone: signing up, setting up a trip, contacts, START, check-ins, the PIN
and its lockout, the duress PIN, short help, and numbers that are not signed up — every
message through a real Twilio channel webhook (see sms_phone.py)."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import LazySettings
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from palermo.intake.models import Contact as IntakeContact
from palermo.safetravel import public_accounts, scheduler, selectors, services, sms_conversation
from palermo.safetravel.delivery import RecordingProvider
from palermo.safetravel.messages import compose_invitation, local_time
from palermo.safetravel.models import (
    CheckIn,
    Notification,
    NotificationPurpose,
    SmsConversation,
    StepKind,
    TravelAlert,
    Traveller,
    Trip,
    TripStatus,
    TrustedContact,
)
from palermo.safetravel.sms_commands import wrong_pin_reply
from palermo.safetravel.sms_conversation import Step, _question, _usage
from palermo.safetravel.sms_grammar import AccountVerb

from .factories import DURESS_PIN, PIN, add_contact, make_traveller, make_trip
from .sms_phone import Phone, sms_gateway, twilio_channel  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_gateway")]

NEW_PIN = "572946"
NEW_DURESS = "803517"
CONTACT_NUMBER = "+380501112233"
CODE = re.compile(r"\b([0-9]{5})\b")
REFERENCE = re.compile(r"TR-[0-9A-F]{8}")
TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")


def said(language: str, make: Callable[[], str]) -> str:
    """What `make` says in `language` (the replies must be exactly that)."""
    with translation.override(language):
        return make()


def question(language: str, step: str, **state: Any) -> str:
    conversation = SmsConversation(step=step)
    conversation.state = state
    return said(language, lambda: _question(conversation))


def code_in(reply: str) -> str:
    match = CODE.search(reply)
    assert match, reply
    return match.group(1)


def join_reply(language: str, code: str) -> str:
    return said(
        language,
        lambda: (
            sms_conversation._(
                "Palermo Safe Travel: to sign up this phone number, reply with the code %(code)s. "
                "At any step: HELP for help, CANCEL to stop, LANG and a language (%(languages)s) "
                "to change the language."
            )
            % {"code": code, "languages": "EN, UK, RO, ES, PT, FR"}
        ),
    )


def traveller_of(number: str) -> Traveller:
    traveller = Traveller.objects.get(bidx_phone=services.phone_index(number))
    return traveller


# --- the whole sign-up and set-up, in two languages ------------------------------------------


@pytest.mark.parametrize(
    ("join", "channel_language", "language", "destination", "city", "name"),
    [
        ("JOIN", "en", "en", "Wrocław, Poland", "Wrocław", "Olena Kovalenko"),
        # The word says Ukrainian, on a Romanian channel: the conversation is in Ukrainian.
        ("РЕЄСТРАЦІЯ", "ro", "uk", "Вроцлав Польща", "Вроцлав", "Олена Коваленко"),
    ],
)
def test_sign_up_and_set_up_a_trip_by_sms_alone(
    client: Client,
    join: str,
    channel_language: str,
    language: str,
    destination: str,
    city: str,
    name: str,
) -> None:
    channel = twilio_channel(country="MD", language=channel_language)
    phone = Phone(client, channel, "+380671234567")
    contact_phone = Phone(client, channel, CONTACT_NUMBER)

    # JOIN: a code comes back to the number, and must be echoed.
    reply = phone.send(join)
    code = code_in(reply)
    assert reply == join_reply(language, code)
    assert not Traveller.objects.exists()
    assert phone.send(code) == said(
        language,
        lambda: (
            sms_conversation._("Thank you, this number is confirmed.")
            + " "
            + sms_conversation._pin_prompt()
        ),
    )
    # HELP at any step repeats the question.
    assert phone.send("HELP").endswith(question(language, Step.PIN))
    assert phone.send(NEW_PIN) == question(language, Step.DURESS)
    reply = phone.send(NEW_DURESS)
    assert reply.endswith(question(language, Step.NAME))
    traveller = traveller_of("+380671234567")
    assert traveller.language == language and traveller.phone_verified_at is not None
    assert traveller.time_zone == "Europe/Kyiv"  # from the number
    assert public_accounts.pin_kind_of(traveller=traveller, pin=NEW_DURESS) == "duress"

    # The trip's questions; nothing is written until SAVE and the PIN.
    assert phone.send(name) == question(language, Step.DESTINATION)
    assert phone.send(destination) == question(language, Step.DATES)
    assert phone.send("01.05.2030 30.09.2030") == question(language, Step.EMPLOYER)
    assert phone.send("Agro Fields / Fast Jobs") == question(language, Step.INTERVAL)
    summary = phone.send("EVERY 12H")
    assert summary == question(
        language,
        Step.SAVE,
        display_name=name,
        destination_country="PL",
        destination_city=city,
        start_date="2030-05-01",
        end_date="2030-09-30",
        employer="Agro Fields",
        recruiter="Fast Jobs",
        interval_hours=12,
    )
    assert city in summary and "Agro Fields" in summary
    assert not Trip.objects.exists()
    # The answers are encrypted at rest in the conversation.
    with connection.cursor() as cursor:
        cursor.execute("SELECT state_text FROM safetravel_smsconversation")
        assert "Agro" not in str(cursor.fetchall())
    saved = phone.send(f"SAVE {NEW_PIN}")
    assert "CONTACT" in saved and "START" in saved
    trip = Trip.objects.get(traveller=traveller)
    assert (trip.status, trip.destination_country, trip.destination_city) == ("draft", "PL", city)
    assert (trip.start_date, trip.end_date) == (
        datetime.date(2030, 5, 1),
        datetime.date(2030, 9, 30),
    )
    assert (trip.employer, trip.recruiter, trip.interval_hours) == ("Agro Fields", "Fast Jobs", 12)
    traveller.refresh_from_db()
    assert traveller.display_name == name
    assert not SmsConversation.objects.exists()

    # TRIP shows the summary; CONTACT invites someone, in the traveller's language.
    reply = phone.send(f"TRIP {NEW_PIN}")
    assert trip.reference in reply and city in reply
    reply = phone.send(f"CONTACT +380 50 111 22 33 Ivan Kovalenko {NEW_PIN}")
    assert "Ivan Kovalenko" in reply and NEW_PIN not in reply
    contact = TrustedContact.objects.get(trip=trip)
    assert (contact.phone, contact.language, contact.name) == (
        CONTACT_NUMBER,
        language,
        "Ivan Kovalenko",
    )
    invitation = Notification.objects.get(contact=contact, purpose=NotificationPurpose.INVITATION)
    assert invitation.address == CONTACT_NUMBER and invitation.language == language
    expected = compose_invitation(trip=trip, language=language, confirm_url="URL")
    link = re.search(r"https://palermo\.example/travel/\S+/", invitation.body)
    assert link, invitation.body
    assert invitation.body == expected.body.replace("URL", link.group(0))

    # START says who has not confirmed yet; the contact answers YES by SMS; START arms.
    reply = phone.send(f"START {NEW_PIN}")
    assert "Ivan Kovalenko" in reply
    trip.refresh_from_db()
    assert trip.status == TripStatus.DRAFT
    assert name in contact_phone.send("YES")
    contact.refresh_from_db()
    assert contact.is_confirmed
    reply = phone.send(f"START {NEW_PIN}")
    trip.refresh_from_db()
    assert trip.status == TripStatus.ARMED
    assert local_time(trip.next_due_at, traveller.time_zone) in reply
    assert reply.startswith(
        said(
            language,
            lambda: (
                sms_conversation._("Check-ins have started. Your next check-in is due by %(time)s.")
                % {"time": local_time(trip.next_due_at, traveller.time_zone)}
            ),
        )
    )
    # And the trip runs: a check-in by SMS.
    reply = phone.send(f"OK {NEW_PIN}")
    assert CheckIn.objects.filter(trip=trip, channel="sms", duress=False).count() == 1
    # None of it was filed with the hotline as a call for help.
    assert not IntakeContact.objects.exists()


def test_lang_switches_the_sign_up_to_another_language(client: Client) -> None:
    channel = twilio_channel(country="MD", language="ro")
    phone = Phone(client, channel, "+37369123456")
    first = phone.send("JOIN")
    code = code_in(first)
    assert first == join_reply("ro", code)  # in the channel's language
    reply = phone.send("LANG EN")
    assert reply == said(
        "en",
        lambda: (
            sms_conversation._("We will write to you in %(language)s.") % {"language": "English"}
        ),
    ) + " " + question("en", Step.CODE)
    phone.send(code)
    phone.send(NEW_PIN)
    phone.send(NEW_DURESS)
    assert traveller_of("+37369123456").language == "en"
    assert traveller_of("+37369123456").time_zone == "Europe/Chisinau"


def test_lang_before_join_is_remembered(client: Client) -> None:
    channel = twilio_channel(country="MD", language="ro")
    phone = Phone(client, channel, "+37369123456")
    reply = phone.send("LANG français")
    assert reply.startswith(
        said(
            "fr",
            lambda: (
                sms_conversation._("We will write to you in %(language)s.")
                % {"language": "français"}
            ),
        )
    )
    reply = phone.send("JOIN")
    code = CODE.search(reply)
    assert code
    phone.send(code.group(1))
    phone.send(NEW_PIN)
    phone.send(NEW_DURESS)
    assert traveller_of("+37369123456").language == "fr"


# --- the number must be proved ---------------------------------------------------------------


def test_the_sign_up_goes_on_only_with_the_code_sent_to_the_number(client: Client) -> None:
    """A forged sender never sees our reply: without the code, nothing is opened."""
    channel = twilio_channel(country="MD", language="en")
    phone = Phone(client, channel, "+37369123456")
    phone.send("JOIN")
    replies = [phone.send(guess) for guess in ("12345", "54321", "11111")]
    assert replies[-1] == said(
        "en", lambda: sms_conversation._("That code is not right. Send JOIN to get a new code.")
    )
    assert not SmsConversation.objects.exists()
    # The PIN a forger would send next opens nothing either.
    kind, reply = phone.exchange(NEW_PIN)
    assert kind == "travel" and "JOIN" in reply
    assert not Traveller.objects.exists()


def test_sign_ups_per_number_are_bounded(client: Client) -> None:
    channel = twilio_channel(country="MD", language="en")
    phone = Phone(client, channel, "+37369123456")
    replies = [phone.send("JOIN") for _n in range(sms_conversation.SIGN_UPS_PER_NUMBER.limit + 1)]
    assert all(CODE.search(r) for r in replies[:-1])
    assert not CODE.search(replies[-1]) and "tomorrow" in replies[-1]


def test_pins_chosen_by_sms_follow_the_website_rules(client: Client) -> None:
    channel = twilio_channel(country="MD", language="en")
    phone = Phone(client, channel, "+37369123456")
    code = CODE.search(phone.send("JOIN"))
    assert code
    phone.send(code.group(1))
    assert phone.send("1234").startswith("Use 6 to 12 digits.")
    assert phone.send("123456").startswith("This PIN is too easy to guess.")
    assert phone.send("my pin is 572946").startswith("Reply with the digits of your PIN only.")
    assert phone.send(NEW_PIN) == question("en", Step.DURESS)
    assert phone.send(NEW_PIN).startswith("The duress PIN must differ from your PIN.")
    assert phone.send("572947").startswith("Make the duress PIN differ")
    assert not Traveller.objects.exists()
    phone.send(NEW_DURESS)
    assert Traveller.objects.count() == 1


def test_cancel_stops_the_sign_up_and_keeps_nothing(client: Client) -> None:
    channel = twilio_channel(country="MD", language="en")
    phone = Phone(client, channel, "+37369123456")
    phone.send("JOIN")
    assert "JOIN" in phone.send("CANCEL")
    assert not SmsConversation.objects.exists() and not Traveller.objects.exists()


# --- a signed-up traveller -------------------------------------------------------------------


@pytest.fixture
def traveller() -> Traveller:
    return make_traveller(phone="+380671234567", email=None, language="en")


def armed(traveller: Traveller) -> Trip:
    trip = make_trip(traveller)
    add_contact(traveller, trip, phone=CONTACT_NUMBER)
    return services.trip_arm(traveller=traveller, trip=trip)


def test_new_trip_questions_wait_while_the_traveller_checks_in(
    client: Client, traveller: Traveller
) -> None:
    trip = armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    assert phone.send("NEW").endswith(question("en", Step.DESTINATION))
    assert phone.send("Foggia Italy") == question("en", Step.DATES)
    # A check-in in the middle of the questions is a check-in; the question waits.
    assert "checked in" in phone.send(f"OK {PIN}")
    assert CheckIn.objects.filter(trip=trip).count() == 1
    assert phone.send("SKIP") == question("en", Step.EMPLOYER)
    assert phone.send("-") == question("en", Step.INTERVAL)
    assert phone.send("SKIP").startswith("Your trip: Foggia, Italy; Every 1 day.")
    # SAVE with a wrong PIN counts towards the lockout and saves nothing.
    assert phone.send("SAVE 111111") == wrong_pin_reply()
    traveller.refresh_from_db()
    assert traveller.failed_pin_count == 1
    assert "CONTACT" in phone.send(PIN)  # the PIN alone saves too
    new = Trip.objects.exclude(pk=trip.pk).get()
    assert (new.destination_city, new.interval_hours, new.employer) == ("Foggia", 24, None)


def test_pin_is_needed_for_every_command_that_reads_or_changes_the_trip(
    client: Client, traveller: Traveller
) -> None:
    trip = armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    for command in ("TRIP", "START", "PAUSE", "RESUME", "EVERY 6H", "DELETE", "LANG RO"):
        reply = phone.send(command)
        assert "PIN" in reply, (command, reply)
        assert Trip.objects.get(pk=trip.pk).interval_hours == 12
    reply = phone.send("CONTACT +380501119999 Maria")
    assert "PIN" in reply and TrustedContact.objects.count() == 1
    assert Traveller.objects.filter(pk=traveller.pk).exists()
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.ARMED


def test_pause_resume_every_and_delete(client: Client, traveller: Traveller) -> None:
    trip = armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    assert "paused" in phone.send(f"PAUSE {PIN}")
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.PAUSED
    assert "resumed" in phone.send(f"RESUME {PIN}")
    reply = phone.send(f"EVERY 6H {PIN}")
    trip.refresh_from_db()
    assert trip.interval_hours == 6 and local_time(trip.next_due_at, "Europe/Kyiv") in reply
    reply = phone.send(f"LANG RO {PIN}")
    traveller.refresh_from_db()
    assert traveller.language == "ro"
    assert reply == said(
        "ro",
        lambda: (
            sms_conversation._("We will write to you in %(language)s.") % {"language": "Română"}
        ),
    )
    # DELETE asks again; the second DELETE with the PIN deletes everything.
    assert "DELETE" in phone.send(f"DELETE {PIN}")
    assert Traveller.objects.filter(pk=traveller.pk).exists()
    phone.send(f"DELETE {PIN}")
    assert not Traveller.objects.exists() and not Trip.objects.exists()
    assert not SmsConversation.objects.exists()


def test_wrong_pin_lockout_by_sms(
    client: Client, traveller: Traveller, settings: LazySettings
) -> None:
    trip = armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    wrong = [
        phone.send(f"{command} 90817{n}")
        for n, command in enumerate(["TRIP", "START", "OK", "PAUSE", "DELETE"])
    ]
    assert set(wrong) == {wrong_pin_reply()}
    traveller.refresh_from_db()
    assert traveller.locked_until is not None
    assert settings.PALERMO_TRAVEL_PIN_MAX_FAILURES == 5
    # Locked: the right PIN answers exactly like a wrong one, and does nothing.
    for command in ("TRIP", "PAUSE", "OK", "DELETE"):
        assert phone.send(f"{command} {PIN}") == wrong[0]
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.ARMED
    assert not CheckIn.objects.exists()
    # The same lockout as the website's.
    with pytest.raises(public_accounts.ApplicationError):
        public_accounts.sign_in(address=public_accounts.parse_address(traveller.phone), pin=PIN)


# --- the duress PIN --------------------------------------------------------------------------


def comparable(text: str) -> str:
    return TIME.sub("T", REFERENCE.sub("TR", text))


def test_duress_by_sms_answers_like_the_pin_and_alerts_silently(client: Client) -> None:
    channel = twilio_channel(country="UA", language="uk")
    replies: dict[str, list[str]] = {}
    for pin, number in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        traveller = make_traveller(phone=number, email=None, language="en")
        armed(traveller)
        phone = Phone(client, channel, number)
        replies[pin] = [
            comparable(phone.send(f"{command} {pin}"))
            for command in (
                "TRIP",
                "CONTACT +380501119999 Maria",
                "EVERY 6H",
                "PAUSE",
                "RESUME",
                "OK",
                "LANG EN",
            )
        ]
    assert replies[PIN] == replies[DURESS_PIN]
    normal = Trip.objects.get(traveller__bidx_phone=services.phone_index("+380671110001"))
    duress = Trip.objects.get(traveller__bidx_phone=services.phone_index("+380671110002"))
    assert not TravelAlert.objects.filter(trip=normal).exists()
    # Seven commands under duress in a row: one silent alert (contacts and hotline messaged
    # once), the later uses recorded in the trip's hidden history.
    alert = TravelAlert.objects.get(trip=duress, kind="duress")
    assert alert.snapshot["traveller"]["phone"] == "+380671110002"
    assert duress.steps.filter(kind=StepKind.DURESS_ALERT).count() == 1
    assert duress.events.filter(kind="silent_alert", traveller_visible=False).count() >= 6
    # Nothing the traveller can see differs: their history tells nothing.
    history = {
        t.pk: [
            (e.kind, sorted(e.details))
            for e in selectors.traveller_history(traveller=t.traveller, trip=t)
        ]
        for t in (normal, duress)
    }
    assert history[normal.pk] == history[duress.pk]


def test_duress_delete_ends_the_trips_silently_and_the_hotline_keeps_the_alert(
    client: Client,
) -> None:
    """Both travellers missed a check-in and their contacts were alerted; then each deletes
    the account by SMS. The same replies; the normal PIN sends the all clear, the duress PIN
    a silent alert instead, and the hotline keeps it."""
    channel = twilio_channel(country="UA", language="uk")
    now = timezone.now()
    armed_at = now - datetime.timedelta(hours=14, minutes=30)  # due 2 h 30 min ago
    replies = {}
    contacts = {PIN: "+380501110001", DURESS_PIN: "+380501110002"}
    for pin, number in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        traveller = make_traveller(phone=number, email=None, language="en")
        trip = make_trip(traveller)
        add_contact(traveller, trip, phone=contacts[pin], at=armed_at)
        services.trip_arm(traveller=traveller, trip=trip, at=armed_at)
    due = armed_at + datetime.timedelta(hours=12)
    for offset in (0, 30, 120):
        scheduler.run_cycle(now=due + datetime.timedelta(minutes=offset, seconds=20))
    assert {n.address for n in Notification.objects.filter(step__kind="contacts_alert")} == set(
        contacts.values()
    )
    for pin, number in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        phone = Phone(client, channel, number)
        replies[pin] = [phone.send(f"DELETE {pin}"), phone.send(f"DELETE {pin}")]
    scheduler.run_cycle(now=timezone.now())
    assert replies[PIN] == replies[DURESS_PIN]
    assert not Traveller.objects.exists()
    all_clear = [m for m in RecordingProvider.outbox.values() if ":all_clear:" in m.idempotency_key]
    assert [m.to for m in all_clear] == [contacts[PIN]]
    # Alerts to the hotline stay, detached from the deleted trips: the urgent ladder did not
    # reach the hotline yet (6 h); the duress ones did, at the first DELETE (the person may
    # never send the second) and as the trip ended.
    alerts = list(TravelAlert.objects.all())
    assert alerts and all(
        a.kind == "duress"
        and a.snapshot["traveller"]["phone"] == "+380671110002"
        and a.trip is None
        for a in alerts
    )


def test_duress_pin_saving_a_trip_set_up_by_sms(client: Client, traveller: Traveller) -> None:
    armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    for answer in ("NEW", "Plzen, Czechia", "SKIP", "SKIP", "SKIP"):
        phone.send(answer)
    reply = phone.send(f"SAVE {DURESS_PIN}")
    assert "CONTACT" in reply
    assert [t.destination_country for t in Trip.objects.order_by("id")] == ["PL", "CZ"]
    assert TravelAlert.objects.filter(kind="duress").count() == 1


# --- short help ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "uk"])
def test_malformed_commands_get_a_short_help_in_the_travellers_language(
    client: Client, language: str
) -> None:
    traveller = make_traveller(phone="+380671234567", email=None, language=language)
    make_trip(traveller)
    phone = Phone(client, twilio_channel(country="MD", language="ro"), "+380671234567")
    cases = {
        "CONTACT": AccountVerb.CONTACT,
        f"CONTACT Ivan {PIN}": AccountVerb.CONTACT,
        f"CONTACT +380501112233 {PIN}": AccountVerb.CONTACT,
        f"EVERY banana {PIN}": AccountVerb.EVERY,
        f"EVERY 500H {PIN}": AccountVerb.EVERY,
        f"LANG klingon {PIN}": AccountVerb.LANG,
        f"START now {PIN}": AccountVerb.START,
        f"TRIP {PIN} 111111": AccountVerb.TRIP,
    }
    for body, verb in cases.items():
        reply = phone.send(body)
        assert reply == said(language, lambda verb=verb: _usage(verb)), body
        assert len(reply) <= 200, reply
    assert TrustedContact.objects.count() == 0
    traveller.refresh_from_db()
    assert traveller.failed_pin_count == 0  # a malformed command does not try the PIN
    # An unknown word: the commands, translated, with the hotline.
    reply = phone.send("hello?")
    assert "+373 800 77777" in reply and "TRIP" in reply
    # A wrong answer to a question says why, then asks again.
    phone.send("NEW")
    reply = phone.send("Atlantis")
    assert reply.endswith(question(language, Step.DESTINATION))
    phone.send("Foggia, IT")
    reply = phone.send("soon")
    assert reply.endswith(question(language, Step.DATES)) and len(reply) <= 320


# --- numbers that are not signed up ----------------------------------------------------------


def test_a_number_not_signed_up_gets_the_same_reply_whether_or_not_anything_exists(
    client: Client, settings: LazySettings
) -> None:
    channel = twilio_channel(country="MD", language="ro")
    numbers = {
        "never seen": "+37369000001",
        "web sign-up begun": "+37369000002",
        "SMS sign-up abandoned": "+37369000003",
        "account deleted": "+37369000004",
        "contact of an ended trip": "+37369000005",
    }
    public_accounts.verification_start(
        address=public_accounts.parse_address(numbers["web sign-up begun"]), language="uk"
    )
    # (Through another of the coalition's numbers: the channel's own automatic reply depends
    # on the conversation the number had on that channel, which is not Safe Travel's doing.)
    other = twilio_channel(country="MD", language="ro", address="+37322999999")
    abandoned = Phone(client, other, numbers["SMS sign-up abandoned"])
    code = CODE.search(abandoned.send("РЕЄСТРАЦІЯ"))
    assert code
    abandoned.send(code.group(1))
    SmsConversation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    gone = make_traveller(phone=numbers["account deleted"], email=None, language="uk")
    public_accounts.account_delete(traveller=gone, pin_kind="normal")
    owner = make_traveller(phone="+380671234567", email=None)
    ended = make_trip(owner)
    add_contact(owner, ended, phone=numbers["contact of an ended trip"])
    services.trip_end(traveller=owner, trip=ended)

    bodies = ("OK", f"OK {PIN}", f"TRIP {PIN}", "START", f"STOP {PIN}", "EXTEND 2h")
    replies: dict[str, list[tuple[str, str]]] = {}
    for label, number in numbers.items():
        phone = Phone(client, channel, number)
        replies[label] = [phone.exchange(body) for body in bodies]
    assert len({tuple(r) for r in replies.values()}) == 1, replies
    first = replies["never seen"]
    assert first[0][0] == "hotline"  # a bare OK is the hotline's, for everyone alike
    assert all(kind == "travel" and "JOIN" in text for kind, text in first[1:])
    assert not CheckIn.objects.exists()
    assert Traveller.objects.count() == 1  # the owner of the ended trip only


def test_adding_a_contact_says_nothing_about_the_contacts_number(
    client: Client, traveller: Traveller
) -> None:
    make_trip(traveller)
    make_traveller(phone="+380501110000", email=None)  # a registered traveller's number
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    known = phone.send(f"CONTACT +380501110000 Maria {PIN}")
    unknown = phone.send(f"CONTACT +380501119999 Maria {PIN}")
    assert known == unknown


def test_conversations_expire_and_are_purged(client: Client) -> None:
    channel = twilio_channel(country="MD", language="en")
    phone = Phone(client, channel, "+37369123456")
    phone.send("JOIN")
    conversation = SmsConversation.objects.get()
    assert conversation.expires_at > timezone.now()
    later = timezone.now() + sms_conversation.SESSION_LIFETIME + datetime.timedelta(seconds=1)
    assert sms_conversation.expire_conversations(now=later) == 1
    assert not SmsConversation.objects.exists()


def test_a_closed_silent_alert_no_longer_covers_a_new_use_of_the_duress_pin(
    client: Client, traveller: Traveller
) -> None:
    trip = armed(traveller)
    phone = Phone(client, twilio_channel(country="UA", language="uk"), "+380671234567")
    phone.send(f"OK {DURESS_PIN}")
    phone.send(f"TRIP {DURESS_PIN}")
    assert TravelAlert.objects.filter(trip=trip).count() == 1
    TravelAlert.objects.update(status="closed")
    time.sleep(1.05)  # alerts are kept once per trip and second
    phone.send(f"TRIP {DURESS_PIN}")
    assert TravelAlert.objects.filter(trip=trip, kind="duress").count() == 2
