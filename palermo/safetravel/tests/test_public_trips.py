"""Trips, trusted contacts, check-ins and the traveller's data on the public pages."""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from palermo.safetravel import services
from palermo.safetravel.delivery import RecordingProvider
from palermo.safetravel.models import (
    CheckIn,
    Notification,
    TravelAlert,
    Traveller,
    Trip,
    TripStatus,
    TrustedContact,
)

from .factories import DURESS_PIN, PIN, TRIP, add_contact, make_traveller, make_trip
from .public_steps import clear_limits, comparable, sign_in

pytestmark = pytest.mark.django_db

PHONE = "+380671234567"
CONFIRM_LINK = re.compile(r"https?://[^\s]+/travel/confirm/([A-Za-z0-9_-]+)/")
TIMES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")
UUIDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    clear_limits()
    yield
    clear_limits()


@pytest.fixture
def traveller() -> Traveller:
    return make_traveller(phone=PHONE, email=None)


@pytest.fixture
def client(traveller: Traveller) -> Client:
    signed_in = Client()
    sign_in(signed_in, PHONE)
    return signed_in


def invitation_token(contact: TrustedContact) -> str:
    note = Notification.objects.filter(contact=contact, purpose="invitation").order_by("-id")[0]
    match = CONFIRM_LINK.search(note.body)
    assert match, note.body
    return match.group(1)


def armed(traveller: Traveller, **fields: str) -> Trip:
    trip = make_trip(traveller, **fields)
    add_contact(traveller, trip)
    return services.trip_arm(traveller=traveller, trip=trip)


def tick(at: datetime.datetime) -> str:
    out = io.StringIO()
    call_command("travel", "tick", "--now", at.isoformat(), stdout=out)
    return out.getvalue()


# --- trips -----------------------------------------------------------------------------------


def test_create_and_edit_a_trip(client: Client, traveller: Traveller) -> None:
    form = client.get("/travel/trips/new/")
    assert form.status_code == 200 and 'id="id_destination_country"' in form.content.decode()
    response = client.post("/travel/trips/new/", {**TRIP, "is_test": "on"})
    assert response.status_code == 302
    trip = Trip.objects.get()
    assert response["Location"] == f"/travel/trips/{trip.public_id}/"
    assert (trip.traveller_id, trip.status, trip.is_test) == (traveller.pk, "draft", True)
    assert trip.destination_city == "Wrocław" and trip.employer == "Agro Fields Sp. z o.o."
    page = client.get(f"/travel/trips/{trip.public_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Agro Fields" in text and "Fast Jobs Abroad" in text
    assert 'id="arm-trip"' not in text  # nobody has confirmed yet
    edit = client.post(
        f"/travel/trips/{trip.public_id}/edit/",
        {**TRIP, "schedule_kind": "fixed_times", "fixed_times": "20:00, 08:00"},
    )
    assert edit.status_code == 302
    trip.refresh_from_db()
    assert trip.schedule_kind == "fixed_times" and trip.fixed_times == ["08:00", "20:00"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"destination_country": ""}, "destination_country"),
        ({"destination_country": "XX"}, "destination_country"),
        ({"destination_country": "Poland"}, "destination_country"),
        ({"destination_city": ""}, "destination_city"),
        ({"destination_city": "W" * 121}, "destination_city"),
        ({"start_date": "2025-13-01"}, "start_date"),
        ({"start_date": "01/03/2025"}, "start_date"),
        ({"end_date": "2025-02-01"}, "end_date"),
        ({"employer": "x" * 201}, "employer"),
        ({"employer": "Agro\u0000Fields"}, "employer"),
        ({"recruiter": "Fast\u200bJobs"}, "recruiter"),
        ({"address_abroad": "a" * 301}, "address_abroad"),
        ({"notes": "n" * 1001}, "notes"),
        ({"interval_hours": "0"}, "interval_hours"),
        ({"interval_hours": "73"}, "interval_hours"),
        ({"interval_hours": "12.5"}, "interval_hours"),
        ({"interval_hours": "٣"}, "interval_hours"),
        ({"interval_hours": ""}, "interval_hours"),
        ({"schedule_kind": "whenever"}, "schedule_kind"),
        ({"schedule_kind": "fixed_times", "fixed_times": ""}, "fixed_times"),
        ({"schedule_kind": "fixed_times", "fixed_times": "8:00"}, "fixed_times"),
        ({"schedule_kind": "fixed_times", "fixed_times": "25:00"}, "fixed_times"),
        ({"schedule_kind": "fixed_times", "fixed_times": "08:00,08:00"}, "fixed_times"),
        ({"grace_minutes": "5"}, "grace_minutes"),
        ({"grace_minutes": "99999"}, "grace_minutes"),
        ({"grace_minutes": "<script>"}, "grace_minutes"),
    ],
)
def test_bad_trip_input_is_refused_and_nothing_is_saved(
    client: Client, changes: dict, field: str
) -> None:
    response = client.post("/travel/trips/new/", {**TRIP, **changes})
    assert response.status_code == 400
    text = response.content.decode()
    assert f'id="id_{field}"' in text and 'aria-invalid="true"' in text
    assert 'class="field-error"' in text
    assert "<script>" not in text
    assert not Trip.objects.exists()


def test_a_bad_edit_changes_nothing(client: Client, traveller: Traveller) -> None:
    trip = make_trip(traveller)
    response = client.post(
        f"/travel/trips/{trip.public_id}/edit/",
        {**TRIP, "employer": "New", "end_date": "1999-01-01"},
    )
    assert response.status_code == 400
    trip.refresh_from_db()
    assert trip.employer == "Agro Fields Sp. z o.o."


def test_messages_are_in_the_page_language(traveller: Traveller) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    sign_in(client, PHONE)
    response = client.post("/travel/trips/new/", {**TRIP, "destination_city": ""})
    assert response.status_code == 400
    assert '<html lang="fr"' in response.content.decode()


def test_someone_elses_trip_is_not_found(client: Client) -> None:
    other = make_traveller(phone="+380509990000", email=None, name="Someone else")
    trip = armed(other)
    contact = trip.contacts.get()
    for path in (
        f"/travel/trips/{trip.public_id}/",
        f"/travel/trips/{trip.public_id}/edit/",
        f"/travel/trips/{trip.public_id}/pause/",
        f"/travel/trips/{trip.public_id}/end/",
        "/travel/trips/not-a-uuid/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/travel/trips/{trip.public_id}/start/",
        f"/travel/trips/{trip.public_id}/contacts/",
        f"/travel/trips/{trip.public_id}/contacts/{contact.public_id}/remove/",
        f"/travel/trips/{trip.public_id}/end/",
    ):
        assert client.post(path, {"pin": PIN, "name": "x", "phone": PHONE}).status_code == 404
    trip.refresh_from_db()
    assert trip.status == "armed" and trip.contacts.count() == 1


def test_pages_of_a_trip_need_a_signed_in_traveller(traveller: Traveller) -> None:
    trip = make_trip(traveller)
    response = Client().get(f"/travel/trips/{trip.public_id}/")
    assert response.status_code == 302 and response["Location"] == "/travel/sign-in/"


# --- trusted contacts ------------------------------------------------------------------------


def test_contacts_confirm_by_link_before_the_trip_can_start(
    client: Client, traveller: Traveller
) -> None:
    trip = make_trip(traveller)
    response = client.post(
        f"/travel/trips/{trip.public_id}/contacts/",
        {"name": "Ivan", "phone": "+380501112233", "language": "uk"},
    )
    assert response.status_code == 302
    contact = trip.contacts.get()
    assert contact.invited_at is not None and not contact.is_confirmed
    # Not yet: nobody has confirmed.
    client.post(f"/travel/trips/{trip.public_id}/start/")
    trip.refresh_from_db()
    assert trip.status == "draft"

    token = invitation_token(contact)
    contact_browser = Client()  # no language chosen: the page speaks the contact's language
    page = contact_browser.get(f"/travel/confirm/{token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<html lang="uk"' in text and "Olena Kovalenko" in text and 'id="accept"' in text
    contact.refresh_from_db()
    assert not contact.is_confirmed  # opening the link (a link preview) confirms nothing
    assert contact_browser.post(f"/travel/confirm/{token}/", {"answer": "maybe"}).status_code == 400
    done = contact_browser.post(f"/travel/confirm/{token}/", {"answer": "accept"})
    assert done.status_code == 200 and 'id="contact-confirmed"' in done.content.decode()
    contact.refresh_from_db()
    assert contact.is_confirmed

    response = client.post(f"/travel/trips/{trip.public_id}/start/")
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.status == "armed" and trip.next_due_at is not None


def test_a_contact_can_decline_and_unknown_links_are_not_found(
    client: Client, traveller: Traveller
) -> None:
    trip = make_trip(traveller)
    client.post(
        f"/travel/trips/{trip.public_id}/contacts/",
        {"name": "Ivan", "email": "ivan@example.org", "language": "ro"},
    )
    contact = trip.contacts.get()
    token = invitation_token(contact)
    declined = Client().post(f"/travel/confirm/{token}/", {"answer": "decline"})
    assert declined.status_code == 200 and 'id="contact-declined"' in declined.content.decode()
    contact.refresh_from_db()
    assert contact.declined_at is not None
    assert Client().get("/travel/confirm/not-a-token/").status_code == 404
    assert Client().get("/travel/confirm/" + "x" * 500 + "/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "phone": "+380501112233"}, "name"),
        ({"name": "x" * 121, "phone": "+380501112233"}, "name"),
        ({"name": "Ivan", "phone": "", "email": ""}, "phone"),
        ({"name": "Ivan", "phone": "12"}, "phone"),
        ({"name": "Ivan", "phone": "call me"}, "phone"),
        ({"name": "Ivan", "email": "ivan@"}, "email"),
        ({"name": "Ivan", "email": "x" * 250 + "@example.org"}, "email"),
        ({"name": "Ivan", "phone": "+380501112233", "language": "klingon"}, "language"),
        ({"name": "<img src=x onerror=alert(1)>", "phone": "+38050\u0000"}, "phone"),
    ],
)
def test_bad_contact_input_is_refused_and_nothing_is_sent(
    client: Client, traveller: Traveller, data: dict, field: str
) -> None:
    trip = make_trip(traveller)
    response = client.post(f"/travel/trips/{trip.public_id}/contacts/", {"language": "uk", **data})
    assert response.status_code == 400
    text = response.content.decode()
    assert f'id="id_{field}"' in text and 'aria-invalid="true"' in text
    assert "<img src=x" not in text
    assert not TrustedContact.objects.exists()
    assert not Notification.objects.filter(purpose="invitation").exists()


def test_a_contact_who_never_confirmed_receives_nothing(
    client: Client, traveller: Traveller
) -> None:
    trip = make_trip(traveller)
    for name, phone in (("Confirmed", "+380501112200"), ("Silent", "+380509998877")):
        client.post(
            f"/travel/trips/{trip.public_id}/contacts/",
            {"name": name, "phone": phone, "language": "uk"},
        )
    contacts = {c.name: c for c in trip.contacts.all()}
    Client().post(
        f"/travel/confirm/{invitation_token(contacts['Confirmed'])}/", {"answer": "accept"}
    )
    client.post(f"/travel/trips/{trip.public_id}/start/")
    trip.refresh_from_db()
    due = trip.next_due_at
    assert due is not None
    for hours in (0.01, 0.6, 2.1, 6.1):
        tick(due + datetime.timedelta(hours=hours))
    ladder = [r for r in RecordingProvider.outbox.values() if r.idempotency_key.startswith("st:")]
    assert {r.to for r in ladder if "Olena" in r.body and r.to != PHONE} == {"+380501112200"}
    assert all(r.to != "+380509998877" for r in ladder)


# --- check-in --------------------------------------------------------------------------------


def test_web_check_in_is_one_tap_after_the_pin(client: Client, traveller: Traveller) -> None:
    trip = armed(traveller)
    home = client.get("/travel/home/")
    # The PIN was just typed to sign in: no second PIN, just the button.
    assert 'id="check-in"' in home.content.decode() and 'id="id_pin"' not in home.content.decode()
    response = client.post("/travel/check-in/", {})
    assert response.status_code == 200 and 'id="checked-in"' in response.content.decode()
    assert CheckIn.objects.filter(trip=trip, channel="web", duress=False).count() == 1


def test_web_check_in_asks_the_pin_again_after_a_while(
    client: Client, traveller: Traveller
) -> None:
    armed(traveller)
    session = client.session
    session["traveller_pin"] = {"kind": "normal", "at": 0}
    session.save()
    assert 'id="id_pin"' in client.get("/travel/home/").content.decode()
    assert client.post("/travel/check-in/", {}).status_code == 400
    assert client.post("/travel/check-in/", {"pin": "000111"}).status_code == 400
    assert not CheckIn.objects.exists()
    assert client.post("/travel/check-in/", {"pin": PIN}).status_code == 200
    assert CheckIn.objects.count() == 1


def _normalised(content: bytes) -> str:
    """A page without what differs between two travellers: times, ids, the CSRF token."""
    return UUIDS.sub("U", TIMES.sub("T", comparable(content)))


def test_a_duress_check_in_looks_exactly_like_a_normal_one() -> None:
    pages = {}
    for pin, phone in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        traveller = make_traveller(phone=phone, email=None)
        trip = armed(traveller)
        client = Client()
        sign_in(client, phone, pin)
        checked = client.post("/travel/check-in/", {})
        home = client.get("/travel/home/")
        detail = client.get(f"/travel/trips/{trip.public_id}/")
        pages[pin] = [
            _normalised(page.content).replace(trip.reference, "R")
            for page in (checked, home, detail)
        ]
    assert pages[PIN] == pages[DURESS_PIN]
    duress = CheckIn.objects.get(duress=True)
    assert duress.trip.traveller.phone == "+380671110002"
    assert TravelAlert.objects.filter(kind="duress").count() == 1


def test_signing_out_of_a_check_in_with_address_and_pin(traveller: Traveller) -> None:
    trip = armed(traveller)
    anonymous = Client()
    page = anonymous.get("/travel/check-in/")
    assert page.status_code == 200 and 'id="id_address"' in page.content.decode()
    wrong = anonymous.post("/travel/check-in/", {"address": PHONE, "pin": "000111"})
    unknown = anonymous.post("/travel/check-in/", {"address": "+380671119999", "pin": PIN})
    assert wrong.status_code == unknown.status_code == 400
    assert not CheckIn.objects.exists()
    done = anonymous.post("/travel/check-in/", {"address": PHONE, "pin": PIN})
    assert done.status_code == 200 and 'id="checked-in"' in done.content.decode()
    assert CheckIn.objects.filter(trip=trip).count() == 1
    assert "traveller_id" not in anonymous.session  # checking in does not sign in


def test_welfare_questions_only_with_consent_and_worrying_answers_warn_the_hotline(
    client: Client, traveller: Traveller
) -> None:
    trip = armed(traveller)
    assert "welfare_holds_passport" not in client.get("/travel/home/").content.decode()
    Traveller.objects.filter(pk=traveller.pk).update(welfare_consent=True)
    assert "welfare_holds_passport" in client.get("/travel/home/").content.decode()
    bad = client.post("/travel/check-in/", {"welfare_holds_passport": "perhaps"})
    assert bad.status_code == 400 and not CheckIn.objects.exists()
    response = client.post(
        "/travel/check-in/",
        {"welfare_holds_passport": "no", "welfare_paid_as_promised": "yes"},
    )
    assert response.status_code == 200
    checkin = CheckIn.objects.get(trip=trip)
    assert checkin.welfare_answers == {"holds_passport": "no", "paid_as_promised": "yes"}
    assert TravelAlert.objects.filter(kind="welfare").count() == 1


def test_check_in_with_a_later_next_due_time(client: Client, traveller: Traveller) -> None:
    trip = armed(traveller)
    bad = client.post("/travel/check-in/", {"next_due_in": "1000"})
    assert bad.status_code == 400 and not CheckIn.objects.exists()
    before = timezone.now()
    assert client.post("/travel/check-in/", {"next_due_in": "24"}).status_code == 200
    trip.refresh_from_db()
    assert trip.next_due_at is not None
    assert trip.next_due_at - before >= datetime.timedelta(hours=24) - datetime.timedelta(seconds=5)


def test_missed_check_in_then_web_check_in_sends_all_clear(
    client: Client, traveller: Traveller
) -> None:
    trip = armed(traveller)
    due = trip.next_due_at
    assert due is not None
    tick(due + datetime.timedelta(hours=2, minutes=1))
    trip.refresh_from_db()
    assert trip.episode_due_at is not None
    assert 'class="overdue"' in client.get("/travel/home/").content.decode()
    assert client.post("/travel/check-in/", {}).status_code == 200
    tick(timezone.now())
    all_clear = [
        r for r in RecordingProvider.sent_to("+380501112233") if "all_clear" in r.idempotency_key
    ]
    assert len(all_clear) == 1


# --- pause, resume, extend, end --------------------------------------------------------------


def test_trip_actions_need_the_pin(client: Client, traveller: Traveller) -> None:
    trip = armed(traveller)
    base = f"/travel/trips/{trip.public_id}"
    assert client.get(f"{base}/pause/").status_code == 200
    assert client.get(f"{base}/resume/").status_code == 404  # not paused
    assert client.get(f"{base}/launch/").status_code == 404
    assert client.post(f"{base}/pause/", {"pin": "000111"}).status_code == 400
    trip.refresh_from_db()
    assert trip.status == "armed"
    assert client.post(f"{base}/pause/", {"pin": PIN}).status_code == 302
    trip.refresh_from_db()
    assert trip.status == "paused"
    assert client.post(f"{base}/resume/", {"pin": PIN}).status_code == 302
    trip.refresh_from_db()
    assert trip.status == "armed"
    due = trip.next_due_at
    assert due is not None
    assert client.post(f"{base}/extend/", {"pin": PIN, "hours": "7"}).status_code == 400
    assert client.post(f"{base}/extend/", {"pin": PIN, "hours": "<b>"}).status_code == 400
    assert client.post(f"{base}/extend/", {"pin": PIN, "hours": "2"}).status_code == 302
    trip.refresh_from_db()
    assert trip.next_due_at == due + datetime.timedelta(hours=2)
    assert client.post(f"{base}/end/", {"pin": PIN}).status_code == 302
    trip.refresh_from_db()
    assert trip.status == TripStatus.ENDED


# --- export and delete -----------------------------------------------------------------------


def test_export_needs_the_pin_and_gives_json(client: Client, traveller: Traveller) -> None:
    trip = armed(traveller)
    assert client.post("/travel/account/export/", {"pin": "000111"}).status_code == 400
    response = client.post("/travel/account/export/", {"pin": PIN})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["traveller"]["phone"] == PHONE
    [exported] = data["trips"]
    assert exported["reference"] == trip.reference and exported["employer"] == TRIP["employer"]
    assert exported["contacts"][0]["phone"] == "+380501112233"


def test_a_duress_export_is_the_same_file_and_raises_the_silent_alert() -> None:
    files = {}
    for pin, phone in ((PIN, "+380671110001"), (DURESS_PIN, "+380671110002")):
        traveller = make_traveller(phone=phone, email=None, name="Same Name")
        armed(traveller)
        client = Client()
        sign_in(client, phone)
        data = json.loads(client.post("/travel/account/export/", {"pin": pin}).content)
        files[pin] = sorted(_keys(data))
    assert files[PIN] == files[DURESS_PIN]
    assert TravelAlert.objects.filter(kind="duress").count() == 1


def _keys(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in _keys(item, f"{prefix}.{key}")]
    if isinstance(value, list):
        return [k for n, item in enumerate(value) for k in _keys(item, f"{prefix}[{n}]")]
    return [prefix]


def test_delete_needs_confirmation_and_the_pin(client: Client, traveller: Traveller) -> None:
    armed(traveller)
    # A code asked for (a new PIN, never used): its message is the traveller's data too.
    Client().post("/travel/start/", {"address": PHONE})
    assert Notification.objects.filter(trip__isnull=True).count() == 1
    assert client.post("/travel/account/delete/", {"pin": PIN}).status_code == 400
    assert (
        client.post("/travel/account/delete/", {"pin": "000111", "understood": "on"}).status_code
        == 400
    )
    assert Traveller.objects.filter(pk=traveller.pk).exists()
    response = client.post("/travel/account/delete/", {"pin": PIN, "understood": "on"})
    assert response.status_code == 302 and response["Location"] == "/travel/"
    assert not Traveller.objects.exists() and not Trip.objects.exists()
    assert not TrustedContact.objects.exists() and not CheckIn.objects.exists()
    assert not Notification.objects.filter(trip__isnull=True).exists()
    assert client.get("/travel/home/").status_code == 302


def test_deleting_under_duress_ends_trips_silently_and_the_hotline_keeps_its_alert(
    client: Client, traveller: Traveller
) -> None:
    armed(traveller)
    response = client.post("/travel/account/delete/", {"pin": DURESS_PIN, "understood": "on"})
    assert response.status_code == 302
    assert not Traveller.objects.exists()
    alert = TravelAlert.objects.get(kind="duress")
    assert alert.snapshot["traveller"]["phone"] == PHONE
