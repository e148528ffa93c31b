"""Signing in through the pages: no account enumeration, lockout, second factor, idle sessions."""

import base64
import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts import services
from palermo.accounts.middleware import SESSION_TOUCHED_KEY
from palermo.accounts.models import Membership, User
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.errors import Forbidden
from palermo.testing import (
    TEST_PASSWORD,
    OrganisationFactory,
    actor_for,
    confirmed_totp_device,
    current_code,
    member,
    signed_in_client,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SECOND_FACTOR = "/accounts/second-factor/"


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    # django-otp makes a device wait 1, 2, 4 … seconds after each wrong code; the tests
    # send a right code right after a wrong one, and test our own lockout instead.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _error_text(response) -> str:
    match = re.search(
        r'<div class="error-summary" role="alert"><p>(.*?)</p>', response.content.decode()
    )
    assert match, response.content.decode()[:2000]
    return match.group(1)


def _login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _user_events(user: User, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="user", object_id=str(user.pk), action=action)
    )


# --- passwords and lockout ------------------------------------------------------------


def test_wrong_password_unknown_user_and_inactive_user_get_the_same_answer():
    known = member(Role.RESEARCHER).user
    inactive = member(Role.RESEARCHER, is_active=False).user
    answers = [
        _login(Client(), known.username, "not the password"),
        _login(Client(), "nobody-by-this-name", "not the password"),
        _login(Client(), inactive.username, TEST_PASSWORD),
        _login(Client(), known.username, ""),
    ]
    assert {r.status_code for r in answers} == {400}
    assert len({_error_text(r) for r in answers}) == 1
    assert _error_text(answers[0]) == str(services.SIGN_IN_REFUSED)
    # Only the failure against a real account is recorded; unknown names leave no trace.
    [failure] = _user_events(known, "auth.failure")
    assert failure.details == {"reason": "password", "failures": 1}
    assert not AuditEvent.objects.filter(action="auth.failure").exclude(pk=failure.pk).exists()


def test_password_only_role_signs_in_and_is_audited():
    researcher = member(Role.RESEARCHER).user
    client = Client()
    response = _login(client, researcher.username, TEST_PASSWORD, next="/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert _signed_in(client)
    assert client.get("/").status_code == 200  # no second factor asked of a researcher
    assert not TOTPDevice.objects.filter(user=researcher).exists()
    assert len(_user_events(researcher, "auth.signed_in")) == 1


def test_sign_in_refuses_a_redirect_to_another_site():
    researcher = member(Role.RESEARCHER).user
    response = _login(Client(), researcher.username, TEST_PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/"


def test_account_locks_after_the_limit_refuses_the_right_password_then_unlocks():
    researcher = member(Role.RESEARCHER).user
    limit = settings.PALERMO_LOGIN_MAX_FAILURES
    assert limit == 5
    for _ in range(limit):
        assert _login(Client(), researcher.username, "wrong password").status_code == 400
    researcher.refresh_from_db()
    assert researcher.locked_until is not None
    lock_length = researcher.locked_until - timezone.now()
    assert timedelta(seconds=settings.PALERMO_LOGIN_LOCKOUT_SECONDS - 30) < lock_length
    assert lock_length <= timedelta(seconds=settings.PALERMO_LOGIN_LOCKOUT_SECONDS)
    failures = _user_events(researcher, "auth.failure")
    assert [e.details["failures"] for e in failures] == [1, 2, 3, 4, 5]
    assert "locked_until" in failures[-1].details

    # Locked: the right password gets the very same refusal, and nothing more is recorded.
    client = Client()
    response = _login(client, researcher.username, TEST_PASSWORD)
    assert response.status_code == 400
    assert _error_text(response) == str(services.SIGN_IN_REFUSED)
    assert not _signed_in(client)
    assert len(_user_events(researcher, "auth.failure")) == limit

    # The lock runs out.
    User.objects.filter(pk=researcher.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    response = _login(client, researcher.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    researcher.refresh_from_db()
    assert researcher.failed_login_count == 0
    assert researcher.locked_until is None


def test_lockout_follows_the_settings(settings):
    settings.PALERMO_LOGIN_MAX_FAILURES = 2
    settings.PALERMO_LOGIN_LOCKOUT_SECONDS = 60
    researcher = member(Role.RESEARCHER).user
    _login(Client(), researcher.username, "wrong password")
    assert _login(Client(), researcher.username, TEST_PASSWORD).status_code == 302
    _login(Client(), researcher.username, "wrong password")
    _login(Client(), researcher.username, "wrong password")
    assert _login(Client(), researcher.username, TEST_PASSWORD).status_code == 400
    researcher.refresh_from_db()
    assert researcher.locked_until <= timezone.now() + timedelta(seconds=60)


def test_the_login_page_states_the_lockout_length(settings):
    settings.PALERMO_LOGIN_LOCKOUT_SECONDS = 30 * 60
    assert "locked for 30 minutes" in Client().get(LOGIN).content.decode()


def test_a_complete_sign_in_resets_the_failure_count():
    researcher = member(Role.RESEARCHER).user
    for _ in range(4):
        _login(Client(), researcher.username, "wrong password")
    assert _login(Client(), researcher.username, TEST_PASSWORD).status_code == 302
    for _ in range(4):
        _login(Client(), researcher.username, "wrong password")
    researcher.refresh_from_db()
    assert researcher.locked_until is None
    assert researcher.failed_login_count == 4


# --- second factor --------------------------------------------------------------------


def test_first_sign_in_enrols_an_authenticator_by_qr_code():
    worker = member(Role.CASE_WORKER).user
    client = Client()
    response = _login(client, worker.username, TEST_PASSWORD, next="/people/")
    assert response.status_code == 302
    assert response["Location"] == SECOND_FACTOR

    page = client.get(SECOND_FACTOR)
    assert page.status_code == 200
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=worker, confirmed=False)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', body)
    assert qr, body
    assert base64.b64decode(qr.group(1)).lstrip().startswith((b"<?xml", b"<svg"))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert f'<code class="secret">{secret}</code>' in body
    assert client.get(SECOND_FACTOR).status_code == 200
    assert TOTPDevice.objects.filter(user=worker).count() == 1  # the same device each visit

    response = client.post(SECOND_FACTOR, {"code": current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/people/").status_code == 200
    assert len(_user_events(worker, "auth.totp_enrolled")) == 1
    assert len(_user_events(worker, "auth.signed_in")) == 1
    assert len(_user_events(worker, "auth.password_ok")) == 1


def test_a_personal_data_role_is_held_back_until_the_code_is_given():
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    client = Client()
    assert _login(client, worker.username, TEST_PASSWORD)["Location"] == SECOND_FACTOR
    page = client.get(SECOND_FACTOR).content.decode()
    assert "data:image/svg+xml" not in page  # enrolled already: no QR code, no key
    assert 'class="secret"' not in page

    for path in ("/", "/people/", "/accounts/tokens/", "/accounts/switch/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SECOND_FACTOR, path
    api = client.get("/api/people/")
    assert api.status_code == 401
    assert set(api.json()["error"]) == {"code", "message", "fields"}
    assert api.json()["error"]["code"] == "unauthenticated"

    wrong = client.post(
        SECOND_FACTOR, {"code": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert _error_text(wrong) == str(services.CODE_REFUSED)
    assert client.get("/people/").status_code == 302

    assert client.post(SECOND_FACTOR, {"code": current_code(device)}).status_code == 302
    assert client.get("/people/").status_code == 200
    assert client.get("/api/people/").status_code == 200


@pytest.mark.parametrize("code", ["", "abc", "12345", "1234567", "12 34 5x"])
def test_malformed_codes_are_refused_and_counted(code):
    worker = member(Role.CASE_WORKER).user
    confirmed_totp_device(worker)
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    response = client.post(SECOND_FACTOR, {"code": code})
    assert response.status_code == 400
    assert _error_text(response) == str(services.CODE_REFUSED)
    worker.refresh_from_db()
    assert worker.failed_login_count == 1


def test_a_code_with_spaces_is_accepted():
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    code = current_code(device)
    assert client.post(SECOND_FACTOR, {"code": f" {code[:3]} {code[3:]} "}).status_code == 302


def test_wrong_codes_count_toward_lockout_and_sign_the_user_out():
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    bad = "000000" if current_code(device) != "000000" else "111111"
    for _ in range(settings.PALERMO_LOGIN_MAX_FAILURES - 1):
        assert client.post(SECOND_FACTOR, {"code": bad}).status_code == 400
    response = client.post(SECOND_FACTOR, {"code": bad})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not _signed_in(client)
    page = client.get(LOGIN).content.decode()
    assert str(services.SIGN_IN_REFUSED) in page
    worker.refresh_from_db()
    assert worker.locked_until is not None
    reasons = [e.details["reason"] for e in _user_events(worker, "auth.failure")]
    assert reasons == ["second_factor"] * settings.PALERMO_LOGIN_MAX_FAILURES
    # Locked: neither the password nor a right code gets in.
    assert _login(client, worker.username, TEST_PASSWORD).status_code == 400


def test_the_password_alone_does_not_reset_the_count_for_second_factor_roles():
    # Otherwise whoever has the password could guess codes for ever, 4 at a time.
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    bad = "000000" if current_code(device) != "000000" else "111111"
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    for _ in range(4):
        client.post(SECOND_FACTOR, {"code": bad})
    client = Client()
    assert _login(client, worker.username, TEST_PASSWORD).status_code == 302
    response = client.post(SECOND_FACTOR, {"code": bad})
    assert response["Location"] == LOGIN
    worker.refresh_from_db()
    assert worker.locked_until is not None


def test_wrong_passwords_and_wrong_codes_add_up():
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    for _ in range(3):
        _login(Client(), worker.username, "wrong password")
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    bad = "000000" if current_code(device) != "000000" else "111111"
    assert client.post(SECOND_FACTOR, {"code": bad}).status_code == 400
    assert client.post(SECOND_FACTOR, {"code": bad})["Location"] == LOGIN


def test_the_second_factor_page_is_for_signed_in_users_only():
    response = Client().get(SECOND_FACTOR)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_administrators_need_a_second_factor_too():
    admin = member(Role.ADMINISTRATOR).user
    assert _login(Client(), admin.username, TEST_PASSWORD)["Location"] == SECOND_FACTOR


def test_a_second_factor_is_needed_if_any_membership_sees_personal_data():
    membership = member(Role.RESEARCHER)
    Membership.objects.create(
        user=membership.user, organisation=OrganisationFactory(), role=Role.CASE_WORKER
    )
    response = _login(Client(), membership.user.username, TEST_PASSWORD)
    assert response["Location"] == SECOND_FACTOR


# --- idle sessions --------------------------------------------------------------------


def _session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _last_touched(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[SESSION_TOUCHED_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_sessions_are_short_and_renewed_by_requests_at_most_once_a_minute():
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_TOUCH_EVERY <= 60
    client = signed_in_client(member(Role.CASE_WORKER))
    # Renewed a minute ago or more: this request renews the expiry.
    _last_touched(client, settings.SESSION_TOUCH_EVERY)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(seconds=60)
    )
    assert client.get("/people/").status_code == 200
    renewed = _session_row(client).expire_date - timezone.now()
    assert renewed > timedelta(seconds=settings.SESSION_COOKIE_AGE - 30)


def test_a_session_renewed_less_than_a_minute_ago_is_not_written_again():
    client = signed_in_client(member(Role.CASE_WORKER))
    _last_touched(client, 5)
    soon = timezone.now() + timedelta(seconds=120)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/people/").status_code == 200
    assert _session_row(client).expire_date == soon
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


def test_the_idle_timeout_holds_to_the_minute():
    """Requests keep renewing a session; once idle, it ends SESSION_COOKIE_AGE after its last
    renewal, which was at most SESSION_TOUCH_EVERY before the last request."""
    client = signed_in_client(member(Role.CASE_WORKER))
    _last_touched(client, settings.SESSION_TOUCH_EVERY + 1)
    before = timezone.now()
    assert client.get("/people/").status_code == 200  # renews
    expiry = _session_row(client).expire_date
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert before + idle - timedelta(seconds=1) <= expiry <= timezone.now() + idle
    # A request within the minute does not move the expiry, so the session still ends no
    # later than the configured idle time after it, and no earlier than a minute before.
    assert client.get("/people/").status_code == 200
    assert _session_row(client).expire_date == expiry
    last_request = timezone.now()
    assert (
        last_request + idle - timedelta(seconds=settings.SESSION_TOUCH_EVERY)
        <= expiry
        <= last_request + idle
    )


def test_a_session_idle_longer_than_the_timeout_is_signed_out():
    client = signed_in_client(member(Role.CASE_WORKER))
    assert client.get("/people/").status_code == 200
    # As if the last request was longer ago than the idle timeout.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/people/"
    api = client.get("/api/people/")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthenticated"


# --- sign out -------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_needs_a_post():
    client = signed_in_client(member(Role.CASE_WORKER))
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not _signed_in(client)
    assert client.get("/people/").status_code == 302


@pytest.mark.django_db
def test_a_right_code_too_soon_after_a_wrong_one_is_told_to_wait_and_not_counted(settings):
    """django-otp's back-off: the user is told how long to wait; it is not another failure."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    membership = member(Role.CASE_WORKER)
    device = confirmed_totp_device(membership.user)
    client = Client()
    client.post(
        "/accounts/login/", {"username": membership.user.username, "password": TEST_PASSWORD}
    )
    client.post("/accounts/second-factor/", {"code": "000000"})
    membership.user.refresh_from_db()
    failures = membership.user.failed_login_count
    response = client.post("/accounts/second-factor/", {"code": current_code(device)})
    assert response.status_code == 400
    assert "wait" in response.content.decode()
    membership.user.refresh_from_db()
    assert membership.user.failed_login_count == failures


# --- the enrolment window ---------------------------------------------------------------


def test_a_new_account_may_enrol_for_a_limited_time():
    user = member(Role.CASE_WORKER).user
    window = user.second_factor_enrolment_until - timezone.now()
    assert timedelta(days=6, hours=23) < window <= timedelta(days=7)


def test_after_the_window_the_password_alone_cannot_set_up_the_second_factor():
    worker = member(Role.CASE_WORKER).user
    User.objects.filter(pk=worker.pk).update(
        second_factor_enrolment_until=timezone.now() - timedelta(seconds=1)
    )
    client = Client()
    assert _login(client, worker.username, TEST_PASSWORD)["Location"] == SECOND_FACTOR
    page = client.get(SECOND_FACTOR)
    body = page.content.decode()
    assert str(services.ENROLMENT_CLOSED) in body.replace("&#x27;", "'")
    assert "data:image/svg+xml" not in body
    assert 'class="secret"' not in body
    assert not TOTPDevice.objects.filter(user=worker).exists()
    # Sending a code anyway enrols nothing, and the pages stay out of reach.
    response = client.post(SECOND_FACTOR, {"code": "123456"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert client.get("/people/")["Location"] == SECOND_FACTOR
    assert not _user_events(worker, "auth.totp_enrolled")


def test_enrolling_closes_the_window_so_a_removed_device_does_not_reopen_it():
    worker = member(Role.CASE_WORKER).user
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    client.get(SECOND_FACTOR)
    device = TOTPDevice.objects.get(user=worker)
    assert client.post(SECOND_FACTOR, {"code": current_code(device)}).status_code == 302
    worker.refresh_from_db()
    assert worker.second_factor_enrolment_until is None

    TOTPDevice.objects.filter(user=worker).delete()
    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    body = client.get(SECOND_FACTOR).content.decode()
    assert "data:image/svg+xml" not in body
    assert not TOTPDevice.objects.filter(user=worker).exists()


def test_an_operator_resets_the_second_factor_and_enrolment_opens_again():
    worker = member(Role.CASE_WORKER).user
    old = confirmed_totp_device(worker)
    User.objects.filter(pk=worker.pk).update(second_factor_enrolment_until=None)
    out = StringIO()
    call_command("reset-second-factor", "--user", worker.username, stdout=out)
    assert worker.username in out.getvalue()
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    worker.refresh_from_db()
    assert worker.second_factor_enrolment_until > timezone.now() + timedelta(days=6)
    [event] = _user_events(worker, "auth.second_factor_reset")
    assert event.actor is None
    assert re.fullmatch(r"operator \S+ \(command reset-second-factor\)", event.actor_label)
    assert event.details["devices_removed"] == 1

    client = Client()
    _login(client, worker.username, TEST_PASSWORD)
    assert "data:image/svg+xml" in client.get(SECOND_FACTOR).content.decode()


def test_resetting_is_for_operators_only():
    admin = member(Role.ADMINISTRATOR)
    worker = member(Role.CASE_WORKER, admin.organisation).user
    with pytest.raises(Forbidden):
        services.second_factor_reset(actor=actor_for(admin), user=worker)
    with pytest.raises(CommandError, match="No user"):
        call_command("reset-second-factor", "--user", "nobody", stdout=StringIO())
