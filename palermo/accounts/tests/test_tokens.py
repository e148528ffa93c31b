"""API tokens: "My API tokens" (members make their own), the administrators' view of all of
their organisation's tokens, the bearer authentication, and `create-token`."""

import hashlib
import re
import secrets
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts import services
from palermo.accounts.actors import Actor
from palermo.accounts.models import ApiToken, Membership, User
from palermo.accounts.roles import (
    ROLE_ALLOWED_PURPOSES,
    ROLE_DEFAULT_PURPOSE,
    Purpose,
    Role,
    requires_second_factor,
)
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.people import services as people_services
from palermo.testing import (
    TEST_PASSWORD,
    OrganisationFactory,
    UserFactory,
    actor_for,
    confirmed_totp_device,
    current_code,
    member,
    signed_in_client,
)

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"
PEOPLE_API = "/api/people/"


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    # django-otp makes a device wait 1, 2, 4 … seconds after each wrong code; the tests send
    # a right code right after a wrong one, and test our own lockout instead.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def org():
    return OrganisationFactory(name="Casa Speranței")


@pytest.fixture
def admin(org):
    return member(Role.ADMINISTRATOR, org)


@pytest.fixture
def worker(org):
    return member(Role.CASE_WORKER, org)


@pytest.fixture
def admin_client(admin):
    return signed_in_client(admin)


@pytest.fixture
def worker_client(worker):
    return signed_in_client(worker)


def _fresh_code(user: User) -> str:
    """The authenticator's current code, as if the 30 s of the code used to sign in had passed
    (django-otp accepts each time step's code once)."""
    device = confirmed_totp_device(user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return current_code(device)


def _wrong_code(user: User) -> str:
    return "000000" if current_code(confirmed_totp_device(user)) != "000000" else "111111"


def _token(membership: Membership, purpose: str | None = None, days: int = 30):
    """A token the member makes for themself, with a fresh code, as on the page."""
    role = Role(membership.role)
    return services.api_token_create(
        actor=actor_for(membership),
        name="Hotline system",
        purpose=purpose or ROLE_DEFAULT_PURPOSE[role],
        expires_in_days=days,
        code=_fresh_code(membership.user) if requires_second_factor({role}) else "",
    )


def _form(user: User, **changes: str) -> dict[str, str]:
    return {
        "name": "Hotline system",
        "purpose": "assistance",
        "days": "30",
        "code": _fresh_code(user),
        **changes,
    }


def _person(membership: Membership, first_name: str = "Olena"):
    return people_services.person_create(
        actor=actor_for(membership), data={"first_name": first_name}
    )


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _secret_in(body: str) -> str:
    return re.search(
        r'<code class="secret" id="token-secret">(plm_[A-Za-z0-9_-]+)</code>', body
    ).group(1)


def _assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]


# --- roles and purposes ---------------------------------------------------------------


def test_every_role_may_use_its_default_purpose_and_only_the_police_use_law_enforcement():
    for role in Role:
        assert ROLE_DEFAULT_PURPOSE[role] in ROLE_ALLOWED_PURPOSES[role], role
    for purpose in (Purpose.LAW_ENFORCEMENT, Purpose.EVIDENCE):
        holders = {r for r in Role if purpose in ROLE_ALLOWED_PURPOSES[r]}
        assert holders == {Role.INVESTIGATOR, Role.COMPETENT_AUTHORITY}
    assert {r for r in Role if Purpose.RESEARCH in ROLE_ALLOWED_PURPOSES[r]} == {Role.RESEARCHER}
    # An administrator's token can only administer: it sees no personal data, like the role.
    assert ROLE_ALLOWED_PURPOSES[Role.ADMINISTRATOR] == {Purpose.ADMINISTRATION}


# --- the page: a member makes tokens for themself ---------------------------------------


def test_a_member_creates_a_token_for_themself_and_sees_the_secret_only_once(worker, worker_client):
    page = worker_client.get(TOKENS)
    assert page.status_code == 200
    body = page.content.decode()
    assert "My API tokens" in body
    assert f"{worker.user.username} · Case worker" in body
    assert 'name="membership"' not in body  # nobody chooses whom a token acts as
    assert 'id="id_code"' in body

    response = worker_client.post(TOKENS, _form(worker.user, purpose="referral"))
    assert response.status_code == 200, response.content.decode()[:3000]
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    secret = _secret_in(body)
    assert "shown only this once" in body
    assert len(secret) >= 40

    token = ApiToken.objects.get()
    assert token.membership == worker
    assert token.purpose == "referral"
    assert token.created_by == worker.user
    assert token.created_by_label == worker.user.username
    assert token.prefix == secret[:12]
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(secret in value for value in stored)  # only the digest is kept
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)

    [event] = AuditEvent.objects.filter(action="api_token.created")
    assert event.actor == worker.user
    assert event.organisation == worker.organisation
    assert event.object_id == str(token.public_id)
    assert event.details["prefix"] == token.prefix
    assert event.details["created_by"] == worker.user.username
    assert event.details["fresh_second_factor"] is True
    assert secret not in str(event.details)

    again = worker_client.get(TOKENS).content.decode()
    assert secret not in again
    assert token.prefix in again
    assert "Hotline system" in again


def test_the_page_offers_only_the_purposes_of_the_members_role(org):
    def offered(membership: Membership) -> set[str]:
        body = signed_in_client(membership).get(TOKENS).content.decode()
        select = re.search(r'<select id="id_purpose".*?</select>', body, re.S).group(0)
        return set(re.findall(r'<option value="([a-z_]+)"', select))

    assert offered(member(Role.CASE_WORKER, org)) == {"assistance", "referral"}
    assert offered(member(Role.INVESTIGATOR, org)) == {"law_enforcement", "evidence"}
    assert offered(member(Role.ADMINISTRATOR, org)) == {"administration"}


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        (Role.CASE_WORKER, "law_enforcement"),
        (Role.CASE_WORKER, "evidence"),
        (Role.CASE_WORKER, "research"),
        (Role.SUPERVISOR, "administration"),
        (Role.INVESTIGATOR, "assistance"),
        (Role.ADMINISTRATOR, "assistance"),
        (Role.ADMINISTRATOR, "law_enforcement"),
        (Role.RESEARCHER, "assistance"),
    ],
)
def test_a_purpose_the_role_may_not_use_is_refused(org, role, purpose):
    membership = member(role, org)
    client = signed_in_client(membership)
    response = client.post(TOKENS, _form(membership.user, purpose=purpose))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_purpose-error"' in body
    assert "may use a token only for" in body
    assert "plm_" not in body
    assert not ApiToken.objects.exists()


def test_creating_a_token_needs_a_fresh_code(worker):
    client = Client()
    device = confirmed_totp_device(worker.user)
    signed_in_client(worker, client)
    sign_in_code = current_code(device)  # just used to sign in

    fields = {"name": "Hotline system", "purpose": "assistance", "days": "30"}
    missing = client.post(TOKENS, {**fields, "code": ""})
    assert missing.status_code == 400
    assert 'id="id_code-error"' in missing.content.decode()

    # The code used to sign in cannot be used again: a token needs a code entered now.
    reused = client.post(TOKENS, {**fields, "code": sign_in_code})
    assert reused.status_code == 400
    assert 'id="id_code-error"' in reused.content.decode()

    wrong = client.post(TOKENS, _form(worker.user, code=_wrong_code(worker.user)))
    assert wrong.status_code == 400
    assert 'id="id_code-error"' in wrong.content.decode()
    assert not ApiToken.objects.exists()
    failures = AuditEvent.objects.filter(action="auth.failure", object_id=str(worker.user.pk))
    assert [e.details["reason"] for e in failures] == ["token_second_factor"] * failures.count()
    assert failures.count() >= 1

    assert client.post(TOKENS, _form(worker.user)).status_code == 200
    assert ApiToken.objects.count() == 1
    worker.user.refresh_from_db()
    assert worker.user.failed_login_count == failures.count()  # a token is not a sign-in


def test_wrong_codes_on_the_token_page_lock_the_account_and_sign_out(worker, worker_client):
    bad = _wrong_code(worker.user)
    for _ in range(settings.PALERMO_LOGIN_MAX_FAILURES - 1):
        assert worker_client.post(TOKENS, _form(worker.user, code=bad)).status_code == 400
    response = worker_client.post(TOKENS, _form(worker.user, code=bad))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in worker_client.session
    worker.user.refresh_from_db()
    assert worker.user.locked_until is not None
    assert not ApiToken.objects.exists()


def test_a_member_without_a_second_factor_creates_a_token_without_a_code(org):
    researcher = member(Role.RESEARCHER, org)
    client = signed_in_client(researcher)
    assert not requires_second_factor({Role.RESEARCHER})
    assert 'id="id_code"' not in client.get(TOKENS).content.decode()
    response = client.post(TOKENS, {"name": "Stats", "purpose": "research", "days": "7"})
    assert response.status_code == 200, response.content.decode()[:2000]
    token = ApiToken.objects.get()
    assert token.membership == researcher
    assert (
        AuditEvent.objects.get(action="api_token.created").details["fresh_second_factor"] is False
    )


def test_a_user_without_an_active_membership_can_create_nothing(org):
    lonely = UserFactory()
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": lonely.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(TOKENS)
    assert page.status_code == 200
    assert "not a member of any active organisation" in page.content.decode()
    assert client.post(TOKENS, {"name": "x", "purpose": "research", "days": "7"}).status_code == 200
    assert not ApiToken.objects.exists()


# --- administrators: every token of their organisation, but only their own to create ----


def test_an_administrator_cannot_create_a_token_acting_as_a_member(admin, admin_client, worker):
    _person(worker, "Olena")
    # The old form's field is ignored: the token acts as the administrator, who sees no one.
    response = admin_client.post(
        TOKENS,
        {**_form(admin.user, purpose="administration"), "membership": str(worker.pk)},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    token = ApiToken.objects.get()
    assert token.membership == admin
    secret = _secret_in(response.content.decode())
    listing = Client().get(PEOPLE_API, **_bearer(secret))
    _assert_envelope(listing, 403, "forbidden")  # the Administrator role sees no one
    assert "Olena" not in listing.content.decode()

    # Nor through the service, whatever it is given.
    with pytest.raises(Forbidden):
        services.api_token_create(
            actor=actor_for(admin),
            membership=worker,
            name="x",
            purpose="assistance",
            expires_in_days=30,
            code=_fresh_code(admin.user),
        )
    assert ApiToken.objects.count() == 1


def test_an_administrator_lists_and_revokes_every_token_of_the_organisation(
    admin, admin_client, worker
):
    token, secret = _token(worker)
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200
    page = admin_client.get(TOKENS).content.decode()
    assert token.prefix in page
    assert "Your organisation&#x27;s tokens" in page or "Your organisation's tokens" in page

    response = admin_client.post(f"/accounts/tokens/{token.public_id}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    [event] = AuditEvent.objects.filter(action="api_token.revoked")
    assert event.actor == admin.user
    assert event.object_id == str(token.public_id)
    assert "revoked" in admin_client.get(TOKENS).content.decode()

    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")
    # Revoking again changes nothing and records nothing.
    assert admin_client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 302
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_members_see_and_revoke_their_own_tokens_only(org, worker, worker_client):
    mine, _secret = _token(worker)
    colleague = member(Role.CASE_WORKER, org)
    theirs, their_secret = _token(colleague)
    page = worker_client.get(TOKENS).content.decode()
    assert mine.prefix in page
    assert theirs.prefix not in page
    assert worker_client.post(f"/accounts/tokens/{theirs.public_id}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client().get(PEOPLE_API, **_bearer(their_secret)).status_code == 200

    assert worker_client.post(f"/accounts/tokens/{mine.public_id}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


def test_revoking_needs_a_post(worker, worker_client):
    token, _secret = _token(worker)
    assert worker_client.get(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_administrator_of_another_organisation_cannot_see_or_revoke(worker):
    token, secret = _token(worker)
    other_client = signed_in_client(member(Role.ADMINISTRATOR))
    assert token.prefix not in other_client.get(TOKENS).content.decode()
    assert other_client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200


BAD_INPUTS = {
    "missing name": ({"name": "  "}, "name"),
    "oversized name": ({"name": "x" * 101}, "name"),
    "unknown purpose": ({"purpose": "marketing"}, "purpose"),
    "no purpose": ({"purpose": ""}, "purpose"),
    "zero days": ({"days": "0"}, "days"),
    "a thousand days": ({"days": "1000"}, "days"),
    "negative days": ({"days": "-5"}, "days"),
    "days not a number": ({"days": "soon"}, "days"),
    "no code": ({"code": ""}, "code"),
    "code too short": ({"code": "12345"}, "code"),
    "code not digits": ({"code": "abcdef"}, "code"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_are_explained_and_create_nothing(case, worker, worker_client):
    changes, field = BAD_INPUTS[case]
    response = worker_client.post(TOKENS, _form(worker.user, **changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert f'id="id_{field}-error"' in body
    assert "plm_" not in body
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_all_problems_are_reported_at_once(worker_client):
    response = worker_client.post(TOKENS, {"name": "", "purpose": "", "days": "0", "code": ""})
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("name", "purpose", "days", "code"):
        assert f'id="id_{field}-error"' in body


def test_a_form_sent_back_for_another_field_does_not_spend_the_code(worker, worker_client):
    form = _form(worker.user, name="")
    assert worker_client.post(TOKENS, form).status_code == 400
    worker.user.refresh_from_db()
    assert worker.user.failed_login_count == 0
    assert worker_client.post(TOKENS, {**form, "name": "Hotline system"}).status_code == 200


def test_the_token_list_costs_the_same_queries_however_long(admin, admin_client, worker, org):
    _token(worker)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(TOKENS).status_code == 200
    for _ in range(5):
        _token(member(Role.CASE_WORKER, org))
    with CaptureQueriesContext(connection) as six:
        assert admin_client.get(TOKENS).status_code == 200
    assert len(six) == len(one)


def test_the_tokens_page_is_in_everyones_navigation(worker_client):
    assert f'href="{TOKENS}"' in worker_client.get("/").content.decode()


# --- the services ---------------------------------------------------------------------


def test_a_token_cannot_make_tokens(worker):
    token, _secret = _token(worker)
    token_actor = Actor(
        user=worker.user,
        organisation=worker.organisation,
        role=Role.CASE_WORKER,
        purpose="assistance",
        token=token,
    )
    with pytest.raises(Forbidden):
        services.api_token_create(
            actor=token_actor, name="x", purpose="assistance", expires_in_days=30
        )
    assert ApiToken.objects.count() == 1


def test_a_token_of_another_organisation_or_member_is_not_found_for_revoking(worker, org):
    token, _secret = _token(worker)
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=actor_for(member(Role.ADMINISTRATOR)), token=token)
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=actor_for(member(Role.CASE_WORKER, org)), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_days_must_be_a_real_number(worker):
    with pytest.raises(ApplicationError) as caught:
        services.api_token_create(
            actor=actor_for(worker),
            name="x",
            purpose="assistance",
            expires_in_days=True,
            code=_fresh_code(worker.user),
        )
    assert set(caught.value.fields) == {"days"}


# --- the bearer token on the API ------------------------------------------------------


def test_a_token_acts_for_its_organisation_and_purpose_and_names_its_creator(worker):
    _person(worker, "Olena")
    _person(member(Role.CASE_WORKER), "Ivan")
    token, secret = _token(worker, purpose=Purpose.REFERRAL)

    response = Client().get(PEOPLE_API, **_bearer(secret))
    assert response.status_code == 200
    names = [p.get("first_name") for p in response.json()["results"]]
    assert names == ["Olena"]
    event = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert event.purpose == "referral"  # the token's purpose, not the role's default
    assert event.actor == worker.user
    assert event.organisation == worker.organisation
    username = worker.user.username
    assert event.actor_label == f"{username} (token {token.prefix}, created by {username})"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_long_username_still_fits_the_audit_label(org):
    long_one = member(Role.CASE_WORKER, org, username="u" * 150)
    _person(long_one)  # a list with someone in it is audited
    token, secret = _token(long_one)
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200
    event = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert len(event.actor_label) <= 150
    assert f"token {token.prefix}, created by " in event.actor_label


def test_a_token_can_write_without_csrf(worker):
    token, secret = _token(worker)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        PEOPLE_API, {"first_name": "Maria"}, content_type="application/json", **_bearer(secret)
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="person.create")
    assert event.purpose == "assistance"
    assert token.prefix in event.actor_label


def test_a_token_of_one_organisation_cannot_read_another_organisations_person(worker):
    theirs = _person(member(Role.CASE_WORKER), "Ivan")
    _token_, secret = _token(worker)
    response = Client().get(f"{PEOPLE_API}{theirs.public_id}", **_bearer(secret))
    _assert_envelope(response, 404, "not_found")
    assert not AuditEvent.objects.filter(
        action="person.read", object_id=str(theirs.public_id)
    ).exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer plm_",
        "Bearer plm_" + "a" * 500,
        "Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD",
        "Bearer plm_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "Bearer  plm_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "Basic dXNlcjpwYXNz",
        "plm_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
    ],
)
def test_malformed_wrong_prefix_and_unknown_tokens_are_refused(header):
    response = Client().get(PEOPLE_API, HTTP_AUTHORIZATION=header)
    _assert_envelope(response, 401, "unauthenticated")


def test_an_expired_token_is_refused(worker):
    token, secret = _token(worker)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")


def test_a_token_of_a_deactivated_user_or_organisation_is_refused(worker):
    _token_, secret = _token(worker)
    User.objects.filter(pk=worker.user.pk).update(is_active=False)
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")
    User.objects.filter(pk=worker.user.pk).update(is_active=True)
    worker.organisation.is_active = False
    worker.organisation.save()
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")


def _legacy_token(membership: Membership, created_by: User | None, purpose: str) -> str:
    """A token row as the old administrators' page could make it (bypassing the service)."""
    secret = "plm_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        name="Old",
        membership=membership,
        purpose=purpose,
        prefix=secret[:12],
        digest=hashlib.sha256(secret.encode()).hexdigest(),
        created_by=created_by,
        created_by_label=created_by.username if created_by else "",
        expires_at=timezone.now() + timedelta(days=30),
    )
    return secret


def test_tokens_once_made_to_act_as_someone_else_or_beyond_the_role_are_refused(admin, worker):
    _person(worker, "Olena")
    made_by_admin = _legacy_token(worker, admin.user, "assistance")
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(made_by_admin)), 401, "unauthenticated")
    beyond_role = _legacy_token(worker, worker.user, "law_enforcement")
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(beyond_role)), 401, "unauthenticated")
    # The same member's own token for their role's purpose still works.
    own = _legacy_token(worker, worker.user, "referral")
    assert Client().get(PEOPLE_API, **_bearer(own)).status_code == 200


def test_a_bad_token_is_refused_even_alongside_a_good_session(worker):
    client = signed_in_client(worker)
    assert client.get(PEOPLE_API).status_code == 200
    response = client.get(PEOPLE_API, HTTP_AUTHORIZATION="Bearer plm_not-a-real-token-at-all")
    _assert_envelope(response, 401, "unauthenticated")


def test_without_any_credentials_the_api_answers_401():
    _assert_envelope(Client().get(PEOPLE_API), 401, "unauthenticated")
    _assert_envelope(
        Client().post(PEOPLE_API, {"first_name": "x"}, content_type="application/json"),
        401,
        "unauthenticated",
    )


# --- create-token ---------------------------------------------------------------------


def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create-token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _command_options(org, membership, **changes: str) -> list[str]:
    options = {
        "--user": membership.user.username,
        "--organisation": org.name,
        "--purpose": "assistance",
        "--name": "Importer",
        "--days": "30",
        **changes,
    }
    return [part for pair in options.items() for part in pair]


def test_the_command_creates_a_working_token_and_names_the_operator(org, worker):
    _person(worker)  # a list with someone in it is audited
    secret, note = _command(*_command_options(org, worker, **{"--days": "7"}))
    assert secret.startswith("plm_")
    token = ApiToken.objects.get()
    assert token.prefix in note
    assert secret not in note
    assert token.created_by is None
    assert token.membership == worker
    assert re.fullmatch(r"operator \S+ \(command create-token\)", token.created_by_label)
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor is None
    assert event.actor_label == token.created_by_label
    assert event.details["created_by"] == token.created_by_label

    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200
    used = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert used.actor_label.endswith(f"created by {token.created_by_label})")


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        (Role.CASE_WORKER, "law_enforcement"),
        (Role.CASE_WORKER, "evidence"),
        (Role.ADMINISTRATOR, "assistance"),
        (Role.RESEARCHER, "referral"),
    ],
)
def test_the_command_keeps_to_the_roles_purposes(org, role, purpose):
    membership = member(role, org)
    with pytest.raises(CommandError, match="may not use a token for"):
        _command(*_command_options(org, membership, **{"--purpose": purpose}))
    assert not ApiToken.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(ApplicationError) as caught:
        services.api_token_create(
            actor=Actor.operator("test"),
            membership=membership,
            name="x",
            purpose=purpose,
            expires_in_days=1,
        )
    assert set(caught.value.fields) == {"purpose"}


def test_the_command_takes_the_organisation_uuid_and_a_role(org, worker):
    Membership.objects.create(user=worker.user, organisation=org, role=Role.SUPERVISOR)
    args = _command_options(org, worker, **{"--organisation": str(org.public_id)})
    with pytest.raises(CommandError, match="several roles"):
        _command(*args)
    secret, _note = _command(*args, "--role", "supervisor")
    assert ApiToken.objects.get().membership.role == "supervisor"
    assert secret.startswith("plm_")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--organisation": "No Such Organisation"}, "No organisation"),
        ({"--user": "nobody"}, "not a member"),
        ({"--days": "0"}, "days"),
        ({"--days": "366"}, "days"),
        ({"--name": " "}, "name"),
    ],
)
def test_the_command_explains_what_is_wrong(org, worker, change, message):
    with pytest.raises(CommandError, match=message):
        _command(*_command_options(org, worker, **change))
    assert not ApiToken.objects.exists()


def test_the_command_refuses_inactive_users_and_organisations(org):
    gone = member(Role.CASE_WORKER, org, is_active=False)
    with pytest.raises(CommandError, match="membership"):
        _command(*_command_options(org, gone))
    closed = OrganisationFactory(is_active=False)
    staying = member(Role.CASE_WORKER, closed)
    with pytest.raises(CommandError, match="membership"):
        _command(*_command_options(closed, staying))
    assert not ApiToken.objects.exists()
