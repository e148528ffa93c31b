"""The traveller's account on the public pages: sign-up, codes, PINs, sign-in, lockout, TOTP,
sessions — and that nothing tells whether a phone number or email is registered."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP

from palermo.audit.models import AuditEvent
from palermo.safetravel import public_accounts, public_sessions
from palermo.safetravel.models import Notification, Traveller, TravellerVerification

from .factories import DURESS_PIN, PIN, make_traveller
from .public_steps import NEW_ACCOUNT, clear_limits, comparable, last_code, sign_in, sign_up

pytestmark = pytest.mark.django_db

REGISTERED = "+380671234567"
UNREGISTERED = "+380671234999"


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    clear_limits()
    yield
    clear_limits()


def counts() -> tuple[int, int, int]:
    return (
        Traveller.objects.count(),
        TravellerVerification.objects.count(),
        Notification.objects.count(),
    )


# --- sign-up ---------------------------------------------------------------------------------


def test_sign_up_by_phone_with_a_code_then_pins() -> None:
    client = Client()
    traveller = sign_up(client, "+380 50 555 1234")
    assert traveller.phone == "+380505551234"
    assert traveller.phone_verified_at is not None
    assert traveller.display_name == "Olena" and traveller.language == "uk"
    assert traveller.pin_hash.startswith("$argon2id$") and PIN not in traveller.pin_hash
    assert traveller.duress_pin_hash.startswith("$argon2id$")
    # Signed in as a traveller, never as a staff user.
    home = client.get("/travel/home/")
    assert home.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.session[public_sessions.TRAVELLER_KEY] == str(traveller.public_id)
    assert client.get("/").status_code == 302  # staff pages still ask for a staff sign-in
    assert AuditEvent.objects.filter(action="traveller.create").exists()
    # The code did its work: the copy of its message is gone.
    assert not Notification.objects.filter(idempotency_key__startswith="code:").exists()


def test_sign_up_by_email(mailoutbox: list) -> None:
    client = Client()
    traveller = sign_up(client, "Olena@Example.org")
    assert traveller.email == "olena@example.org" and traveller.email_verified_at is not None
    assert traveller.phone is None


def test_code_message_is_in_the_chosen_language() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    client.post("/travel/start/", {"address": "+380505551234"})
    note = Notification.objects.get(idempotency_key__startswith="code:")
    assert note.language == "uk"
    assert "Palermo" in note.body


def test_a_wrong_code_is_refused_and_counts() -> None:
    client = Client()
    client.post("/travel/start/", {"address": "+380505551234"})
    right = last_code("+380505551234")
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(public_accounts.CODE_MAX_ATTEMPTS):
        response = client.post("/travel/start/code/", {"code": wrong})
        assert response.status_code == 400
    # After too many tries even the right code no longer works.
    response = client.post("/travel/start/code/", {"code": right})
    assert response.status_code == 400
    assert Traveller.objects.count() == 0


def test_an_expired_code_is_refused() -> None:
    client = Client()
    client.post("/travel/start/", {"address": "+380505551234"})
    TravellerVerification.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post("/travel/start/code/", {"code": last_code("+380505551234")})
    assert response.status_code == 400


def test_the_account_step_needs_a_verified_code() -> None:
    response = Client().post("/travel/start/account/", NEW_ACCOUNT)
    assert response.status_code == 302 and response["Location"] == "/travel/start/"
    assert Traveller.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pin": "", "pin_again": ""}, "pin"),
        ({"pin": "12345", "pin_again": "12345"}, "pin"),
        ({"pin": "abcdef", "pin_again": "abcdef"}, "pin"),
        ({"pin": "1" * 13, "pin_again": "1" * 13}, "pin"),
        ({"pin": "123456", "pin_again": "123456"}, "pin"),
        ({"pin": "111111", "pin_again": "111111"}, "pin"),
        ({"pin": "121212", "pin_again": "121212"}, "pin"),
        ({"pin": "654321", "pin_again": "654321"}, "pin"),
        ({"pin_again": "482916"}, "pin_again"),
        ({"duress_pin": "", "duress_pin_again": ""}, "duress_pin"),
        ({"duress_pin": PIN, "duress_pin_again": PIN}, "duress_pin"),
        # one digit away from the PIN: a typing slip would raise an alarm
        ({"duress_pin": "482916", "duress_pin_again": "482916"}, "duress_pin"),
        ({"duress_pin_again": "739165"}, "duress_pin_again"),
        ({"language": "xx"}, "language"),
        ({"language": "<script>"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "x" * 10_000}, "time_zone"),
        ({"display_name": "x" * 121}, "display_name"),
        ({"display_name": "Olena\u202e"}, "display_name"),
    ],
)
def test_bad_account_input_is_refused_with_a_message(changes: dict, field: str) -> None:
    client = Client()
    client.post("/travel/start/", {"address": "+380505551234"})
    client.post("/travel/start/code/", {"code": last_code("+380505551234")})
    response = client.post("/travel/start/account/", {**NEW_ACCOUNT, **changes})
    assert response.status_code == 400
    assert f'id="id_{field}"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Traveller.objects.count() == 0


def test_bad_account_input_is_refused_in_the_page_language() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    client.post("/travel/start/", {"address": "+380505551234"})
    client.post("/travel/start/code/", {"code": last_code("+380505551234")})
    response = client.post("/travel/start/account/", {**NEW_ACCOUNT, "pin_again": "000000"})
    assert response.status_code == 400
    assert '<html lang="uk"' in response.content.decode()


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "not a number",
        "+1",
        "olena@",
        "@example.org",
        "x" * 255,
        "+380 67 123 4567\x00",
        "<script>alert(1)</script>@example.org",
        "' OR 1=1 --",
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_sent(address: str) -> None:
    before = counts()
    response = Client().post("/travel/start/", {"address": address})
    assert response.status_code == 400
    assert "<script>alert(1)" not in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "x" * 100, "12 34 56"])
def test_malformed_codes_are_refused(code: str) -> None:
    client = Client()
    client.post("/travel/start/", {"address": "+380505551234"})
    response = client.post("/travel/start/code/", {"code": code})
    assert response.status_code == 400
    assert Traveller.objects.count() == 0


# --- no enumeration --------------------------------------------------------------------------


def test_starting_looks_the_same_for_registered_and_unregistered_numbers() -> None:
    make_traveller(phone=REGISTERED, email=None)
    pages = {}
    for address in (REGISTERED, UNREGISTERED):
        client = Client()
        posted = client.post("/travel/start/", {"address": address})
        code_page = client.get("/travel/start/code/")
        wrong = client.post("/travel/start/code/", {"code": "000000"})
        pages[address] = [
            (posted.status_code, posted["Location"]),
            (code_page.status_code, comparable(code_page.content)),
            (wrong.status_code, comparable(wrong.content)),
        ]
    assert pages[REGISTERED] == pages[UNREGISTERED]
    # Both got a message: only its words differ, and only the owner of the number reads them.
    assert Notification.objects.filter(idempotency_key__startswith="code:").count() == 2
    actions = list(
        AuditEvent.objects.filter(object_type="traveller_verification").values_list(
            "action", "details"
        )
    )
    assert actions[0] == actions[1]


def test_a_registered_owner_can_choose_a_new_pin_with_the_code() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    client.post("/travel/start/", {"address": REGISTERED})
    client.post("/travel/start/code/", {"code": last_code(REGISTERED)})
    page = client.get("/travel/start/account/")
    assert page.status_code == 200 and 'id="id_display_name"' not in page.content.decode()
    response = client.post(
        "/travel/start/account/",
        {
            "pin": "835102",
            "pin_again": "835102",
            "duress_pin": "290476",
            "duress_pin_again": "290476",
        },
    )
    assert response.status_code == 302
    assert Traveller.objects.count() == 1
    other = Client()
    sign_in(other, REGISTERED, "835102")
    assert other.get("/travel/home/").status_code == 200
    traveller.refresh_from_db()
    assert public_accounts.pin_kind_of(traveller=traveller, pin="290476") == "duress"


def test_signing_in_refuses_unknown_addresses_and_wrong_pins_alike() -> None:
    make_traveller(phone=REGISTERED, email=None)
    unknown = Client().post("/travel/sign-in/", {"address": UNREGISTERED, "pin": "482915"})
    wrong = Client().post("/travel/sign-in/", {"address": REGISTERED, "pin": "999888"})
    assert unknown.status_code == wrong.status_code == 400
    assert comparable(unknown.content).replace(UNREGISTERED, "N") == comparable(
        wrong.content
    ).replace(REGISTERED, "N")


def test_wrong_pins_lock_the_account_and_the_lock_looks_like_a_wrong_pin() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    refusals = []
    for attempt in range(5):
        response = client.post(
            "/travel/sign-in/", {"address": REGISTERED, "pin": f"90817{attempt}"}
        )
        refusals.append(comparable(response.content))
        assert response.status_code == 400
    traveller.refresh_from_db()
    assert traveller.locked_until is not None
    # Locked: even the right PIN is refused, with the very same page.
    locked = client.post("/travel/sign-in/", {"address": REGISTERED, "pin": PIN})
    assert locked.status_code == 400
    assert comparable(locked.content) == refusals[0]
    assert "traveller_id" not in client.session
    # After the lockout the right PIN works again.
    Traveller.objects.filter(pk=traveller.pk).update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    sign_in(client, REGISTERED)


def test_too_many_attempts_from_one_address_are_held_back() -> None:
    client = Client()
    statuses = [
        client.post("/travel/start/", {"address": f"+38067123{n:04d}"}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [302] * 10
    assert statuses[10:] == [429, 429]
    assert TravellerVerification.objects.count() == 10


def test_too_many_codes_for_one_number_are_held_back_whoever_asks() -> None:
    statuses = [
        Client(REMOTE_ADDR=f"10.0.0.{n}")
        .post("/travel/start/", {"address": UNREGISTERED})
        .status_code
        for n in range(7)
    ]
    assert statuses == [302] * 5 + [429, 429]


# --- sign-in, sessions -----------------------------------------------------------------------


def test_sign_in_and_out() -> None:
    make_traveller(phone=REGISTERED, email=None)
    client = Client()
    sign_in(client, "+380 67 123 4567")
    assert client.get("/travel/home/").status_code == 200
    assert client.post("/travel/sign-out/").status_code == 302
    assert client.get("/travel/home/")["Location"] == "/travel/sign-in/"


def test_the_traveller_session_expires_when_idle() -> None:
    make_traveller(phone=REGISTERED, email=None)
    client = Client()
    sign_in(client, REGISTERED)
    session = client.session
    session[public_sessions.SEEN_KEY] -= public_sessions.TRAVELLER_IDLE_SECONDS + 1
    session.save()
    response = client.get("/travel/home/")
    assert response.status_code == 302 and response["Location"] == "/travel/sign-in/"


def test_a_session_key_for_another_traveller_cannot_be_forged() -> None:
    client = Client()
    session = client.session
    session[public_sessions.TRAVELLER_KEY] = "not-a-uuid"
    session[public_sessions.SEEN_KEY] = 10**12
    session.save()
    assert client.get("/travel/home/").status_code == 302


def test_signing_in_with_the_duress_pin_looks_normal() -> None:
    make_traveller(phone=REGISTERED, email=None)
    normal, duress = Client(), Client()
    sign_in(normal, REGISTERED, PIN)
    sign_in(duress, REGISTERED, DURESS_PIN)
    assert comparable(normal.get("/travel/home/").content) == comparable(
        duress.get("/travel/home/").content
    )


# --- TOTP ------------------------------------------------------------------------------------


def _code(traveller: Traveller, offset: int = 0) -> str:
    totp = TOTP(bytes.fromhex(traveller.totp_key or ""))
    totp.time = timezone.now().timestamp() + offset * 30
    return f"{totp.token():06d}"


def test_totp_on_then_needed_at_sign_in_and_codes_are_not_reused() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    sign_in(client, REGISTERED)
    page = client.get("/travel/account/authenticator/")
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.content.decode()
    traveller.refresh_from_db()
    assert client.post("/travel/account/authenticator/", {"code": "000000"}).status_code == 400
    # The very code used here is tried again below (not "the previous step's code" anew: the
    # step may have moved on in between).
    used = _code(traveller, -1)
    response = client.post("/travel/account/authenticator/", {"code": used})
    assert response.status_code == 302
    traveller.refresh_from_db()
    assert traveller.has_totp

    other = Client()
    response = other.post("/travel/sign-in/", {"address": REGISTERED, "pin": PIN})
    assert response["Location"] == "/travel/sign-in/code/"
    assert other.get("/travel/home/").status_code == 302  # not signed in yet
    assert other.post("/travel/sign-in/code/", {"code": "12"}).status_code == 400
    # The code used to turn TOTP on cannot be used again.
    assert other.post("/travel/sign-in/code/", {"code": used}).status_code == 400
    response = other.post("/travel/sign-in/code/", {"code": _code(traveller)})
    assert response.status_code == 302 and response["Location"] == "/travel/home/"

    # Off again, with the PIN.
    assert other.post("/travel/account/authenticator/", {"pin": "000000"}).status_code == 400
    assert other.post("/travel/account/authenticator/", {"pin": PIN}).status_code == 302
    traveller.refresh_from_db()
    assert not traveller.has_totp and traveller.totp_key is None


def test_pin_change_needs_the_current_pin() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    sign_in(client, REGISTERED)
    new = {
        "pin": "835102",
        "pin_again": "835102",
        "duress_pin": "290476",
        "duress_pin_again": "290476",
    }
    before = traveller.pin_hash
    assert client.post("/travel/account/pin/", {**new, "current_pin": "000111"}).status_code == 400
    traveller.refresh_from_db()
    assert traveller.pin_hash == before
    assert client.post("/travel/account/pin/", {**new, "current_pin": PIN}).status_code == 302
    traveller.refresh_from_db()
    assert public_accounts.pin_kind_of(traveller=traveller, pin="835102") == "normal"


def test_account_settings_and_bad_input() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    sign_in(client, REGISTERED)
    good = {"display_name": "Olia", "language": "ro", "time_zone": "Europe/Rome"}
    bad = client.post("/travel/account/", {**good, "time_zone": "Nowhere/Else"})
    assert bad.status_code == 400
    traveller.refresh_from_db()
    assert traveller.time_zone == "Europe/Kyiv"
    response = client.post("/travel/account/", {**good, "welfare_consent": "on"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ro"
    traveller.refresh_from_db()
    assert (traveller.display_name, traveller.language, traveller.time_zone) == (
        "Olia",
        "ro",
        "Europe/Rome",
    )
    assert traveller.welfare_consent and not traveller.usual_activity_opt_in


def test_pages_follow_the_browser_language() -> None:
    for language in ("en", "uk", "ro", "es", "pt", "fr"):
        page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/travel/")
        assert page.status_code == 200
        assert f'<html lang="{language}"' in page.content.decode()


def test_public_pages_are_small_and_need_no_script() -> None:
    for path in ("/travel/", "/travel/start/", "/travel/sign-in/", "/travel/check-in/"):
        page = Client().get(path)
        text = page.content.decode()
        assert page.status_code == 200
        assert "<script" not in text and "style=" not in text and " onclick" not in text
        assert len(page.content) < 12_000, (path, len(page.content))


# --- client address and rate-limit keys ------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("81.180.64.1", "", [], "81.180.64.1"),
        ("81.180.64.1", "1.2.3.4", [], "81.180.64.1"),  # not behind our proxy: header ignored
        ("127.0.0.1", "81.180.64.1", ["127.0.0.1"], "81.180.64.1"),
        ("127.0.0.1", "6.6.6.6, 81.180.64.1", ["127.0.0.1"], "81.180.64.1"),  # left is forged
        ("127.0.0.1", "81.180.64.1, 10.0.0.2", ["127.0.0.1", "10.0.0.2"], "81.180.64.1"),
        ("127.0.0.1", "not-an-ip", ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
        ("garbage", "", [], ""),
    ],
)
def test_the_client_address_trusts_only_our_own_proxies(
    rf: object, settings: object, remote: str, forwarded: str, trusted: list, expected: str
) -> None:
    from django.test import RequestFactory

    from palermo.throttling import client_ip

    settings.PALERMO_TRUSTED_PROXIES = trusted  # type: ignore[attr-defined]
    request = RequestFactory().get("/travel/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_rate_limit_keys_hold_no_phone_number() -> None:
    from palermo.safetravel import public_limits

    key = public_limits._cache_key(
        public_limits.START_PER_IDENTIFIER, public_limits.identifier_key(REGISTERED), 0.0
    )
    assert "671234567" not in key
    assert public_limits.identifier_key("+380 67 123 4567") == public_limits.identifier_key(
        REGISTERED
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"address": REGISTERED},
        {"address": REGISTERED, "pin": "1" * 13},
        {"address": REGISTERED, "pin": "x" * 5000},
        {"address": "x" * 5000, "pin": PIN},
        {"address": "<svg onload=alert(1)>", "pin": PIN},
    ],
)
def test_bad_sign_in_input_is_refused_and_counts_nothing(data: dict) -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    client = Client()
    response = client.post("/travel/sign-in/", data)
    assert response.status_code == 400
    assert "<svg onload" not in response.content.decode()
    traveller.refresh_from_db()
    assert traveller.failed_pin_count == 0
    assert "traveller_id" not in client.session


def test_a_missing_field_is_refused_in_the_page_language() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="uk").post("/travel/sign-in/", {"pin": PIN})
    assert response.status_code == 400
    text = response.content.decode()
    # Django's own "This field is required.", in Ukrainian.
    assert '<html lang="uk"' in text and "Це поле обов" in text


def test_bad_totp_codes_at_sign_in_are_refused() -> None:
    traveller = make_traveller(phone=REGISTERED, email=None)
    public_accounts.totp_begin(traveller=traveller)
    traveller.refresh_from_db()
    assert public_accounts.totp_confirm(traveller=traveller, code=_code(traveller))
    client = Client()
    client.post("/travel/sign-in/", {"address": REGISTERED, "pin": PIN})
    for code in ("", "x" * 100, "abcdef", "<b>1</b>"):
        assert client.post("/travel/sign-in/code/", {"code": code}).status_code == 400
    assert "traveller_id" not in client.session
