"""API tokens: the administrators' page, the bearer authentication, and `create-token`."""

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from palermo.accounts import services
from palermo.accounts.models import ApiToken, Membership, User
from palermo.accounts.roles import Purpose, Role
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.people import services as people_services
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"
PEOPLE_API = "/api/people/"


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


def _token(admin: Membership, membership: Membership, purpose: str = Purpose.ASSISTANCE, days=30):
    return services.api_token_create(
        actor=actor_for(admin),
        membership=membership,
        name="Hotline system",
        purpose=purpose,
        expires_in_days=days,
    )


def _person(membership: Membership, first_name: str = "Olena"):
    return people_services.person_create(
        actor=actor_for(membership), data={"first_name": first_name}
    )


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]


# --- the page -------------------------------------------------------------------------


def test_admin_creates_a_token_and_sees_the_secret_only_once(admin, admin_client, worker):
    page = admin_client.get(TOKENS)
    assert page.status_code == 200
    assert f'value="{worker.pk}"' in page.content.decode()

    response = admin_client.post(
        TOKENS,
        {"name": "Hotline system", "membership": worker.pk, "purpose": "referral", "days": "30"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    secret = re.search(
        r'<code class="secret" id="token-secret">(plm_[A-Za-z0-9_-]+)</code>', body
    ).group(1)
    assert "shown only this once" in body
    assert len(secret) >= 40

    token = ApiToken.objects.get()
    assert token.membership == worker
    assert token.purpose == "referral"
    assert token.created_by == admin.user
    assert token.prefix == secret[:12]
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(secret in value for value in stored)  # only the digest is kept
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)

    [event] = AuditEvent.objects.filter(action="api_token.created")
    assert event.actor == admin.user
    assert event.organisation == admin.organisation
    assert event.object_id == str(token.public_id)
    assert event.details["prefix"] == token.prefix
    assert secret not in str(event.details)

    again = admin_client.get(TOKENS).content.decode()
    assert secret not in again
    assert token.prefix in again
    assert "Hotline system" in again


def test_admin_revokes_a_token_and_it_stops_working(admin, admin_client, worker):
    token, secret = _token(admin, worker)
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200

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


def test_revoking_needs_a_post(admin, admin_client, worker):
    token, _secret = _token(admin, worker)
    assert admin_client.get(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "role", [Role.CASE_WORKER, Role.SUPERVISOR, Role.NATIONAL_COORDINATOR, Role.RESEARCHER]
)
def test_non_administrators_get_404_everywhere(role, org, admin, worker):
    token, _secret = _token(admin, worker)
    client = signed_in_client(member(role, org))
    assert client.get(TOKENS).status_code == 404
    form = {"name": "Mine", "membership": worker.pk, "purpose": "assistance", "days": "30"}
    assert client.post(TOKENS, form).status_code == 404
    assert client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 404
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_administrator_of_another_organisation_cannot_see_or_revoke(admin, worker):
    token, secret = _token(admin, worker)
    other_client = signed_in_client(member(Role.ADMINISTRATOR))
    assert token.prefix not in other_client.get(TOKENS).content.decode()
    assert other_client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200


def _bad_inputs(worker, stranger):
    good = {
        "name": "Hotline system",
        "membership": str(worker.pk),
        "purpose": "assistance",
        "days": "30",
    }
    return {
        "missing name": ({**good, "name": "  "}, "name"),
        "oversized name": ({**good, "name": "x" * 101}, "name"),
        "unknown purpose": ({**good, "purpose": "marketing"}, "purpose"),
        "no purpose": ({**good, "purpose": ""}, "purpose"),
        "zero days": ({**good, "days": "0"}, "days"),
        "a thousand days": ({**good, "days": "1000"}, "days"),
        "negative days": ({**good, "days": "-5"}, "days"),
        "days not a number": ({**good, "days": "soon"}, "days"),
        "member of another organisation": ({**good, "membership": str(stranger.pk)}, "membership"),
        "no such membership": ({**good, "membership": "99999999"}, "membership"),
        "huge membership id": ({**good, "membership": "9" * 40}, "membership"),
        "membership not a number": ({**good, "membership": "me"}, "membership"),
    }


BAD_INPUT_CASES = [
    "missing name",
    "oversized name",
    "unknown purpose",
    "no purpose",
    "zero days",
    "a thousand days",
    "negative days",
    "days not a number",
    "member of another organisation",
    "no such membership",
    "huge membership id",
    "membership not a number",
]


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_inputs_are_explained_and_create_nothing(case, admin_client, worker):
    stranger = member(Role.CASE_WORKER)
    data, field = _bad_inputs(worker, stranger)[case]
    response = admin_client.post(TOKENS, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert f'id="id_{field}-error"' in body
    assert "plm_" not in body
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_all_problems_are_reported_at_once(admin_client):
    response = admin_client.post(TOKENS, {"name": "", "membership": "", "purpose": "", "days": "0"})
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("name", "membership", "purpose", "days"):
        assert f'id="id_{field}-error"' in body


def test_tokens_for_inactive_users_are_refused(admin, admin_client, org):
    gone = member(Role.CASE_WORKER, org, is_active=False)
    form = {"name": "Old", "membership": gone.pk, "purpose": "assistance", "days": "30"}
    assert admin_client.post(TOKENS, form).status_code == 400
    assert not ApiToken.objects.exists()


def test_the_token_list_costs_the_same_queries_however_long(admin, admin_client, worker, org):
    _token(admin, worker)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(TOKENS).status_code == 200
    for _ in range(5):
        _token(admin, member(Role.CASE_WORKER, org))
    with CaptureQueriesContext(connection) as six:
        assert admin_client.get(TOKENS).status_code == 200
    assert len(six) == len(one)


# --- the services ---------------------------------------------------------------------


def test_only_token_managers_may_create(admin, worker):
    with pytest.raises(Forbidden):
        services.api_token_create(
            actor=actor_for(worker),
            membership=worker,
            name="x",
            purpose="assistance",
            expires_in_days=30,
        )
    assert not ApiToken.objects.exists()


def test_a_token_of_another_organisation_is_not_found_for_revoking(admin, worker):
    token, _secret = _token(admin, worker)
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=actor_for(member(Role.ADMINISTRATOR)), token=token)
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=actor_for(worker), token=token)


def test_days_must_be_a_real_number(admin, worker):
    with pytest.raises(ApplicationError) as caught:
        services.api_token_create(
            actor=actor_for(admin),
            membership=worker,
            name="x",
            purpose="assistance",
            expires_in_days=True,
        )
    assert set(caught.value.fields) == {"days"}


# --- the bearer token on the API ------------------------------------------------------


def test_a_token_acts_for_its_organisation_and_purpose(admin, worker):
    _person(worker, "Olena")
    other_org_member = member(Role.CASE_WORKER)
    _person(other_org_member, "Ivan")
    token, secret = _token(admin, worker, purpose=Purpose.REFERRAL)

    response = Client().get(PEOPLE_API, **_bearer(secret))
    assert response.status_code == 200
    names = [p.get("first_name") for p in response.json()["results"]]
    assert names == ["Olena"]
    event = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert event.purpose == "referral"  # the token's purpose, not the role's default
    assert event.actor == worker.user
    assert event.organisation == worker.organisation
    assert event.actor_label == f"{worker.user.username} (token {token.prefix})"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_can_write_without_csrf(admin, worker):
    token, secret = _token(admin, worker)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        PEOPLE_API, {"first_name": "Maria"}, content_type="application/json", **_bearer(secret)
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="person.create")
    assert event.purpose == "assistance"
    assert token.prefix in event.actor_label


def test_a_token_of_one_organisation_cannot_read_another_organisations_person(admin, worker):
    theirs = _person(member(Role.CASE_WORKER), "Ivan")
    _token_, secret = _token(admin, worker)
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


def test_an_expired_token_is_refused(admin, worker):
    token, secret = _token(admin, worker)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")


def test_a_token_of_a_deactivated_user_or_organisation_is_refused(admin, worker):
    _token_, secret = _token(admin, worker)
    User.objects.filter(pk=worker.user.pk).update(is_active=False)
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")
    User.objects.filter(pk=worker.user.pk).update(is_active=True)
    worker.organisation.is_active = False
    worker.organisation.save()
    _assert_envelope(Client().get(PEOPLE_API, **_bearer(secret)), 401, "unauthenticated")


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


def test_the_command_creates_a_working_token(org, worker):
    secret, note = _command(
        "--user",
        worker.user.username,
        "--organisation",
        org.name,
        "--purpose",
        "assistance",
        "--name",
        "Importer",
        "--days",
        "7",
    )
    assert secret.startswith("plm_")
    token = ApiToken.objects.get()
    assert token.prefix in note
    assert secret not in note
    assert token.created_by is None
    assert token.membership == worker
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor_label == "command create-token"
    assert Client().get(PEOPLE_API, **_bearer(secret)).status_code == 200


def test_the_command_takes_the_organisation_uuid_and_a_role(org, worker):
    Membership.objects.create(user=worker.user, organisation=org, role=Role.SUPERVISOR)
    args = [
        "--user",
        worker.user.username,
        "--organisation",
        str(org.public_id),
        "--purpose",
        "referral",
        "--name",
        "Importer",
    ]
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
    options = {
        "--user": worker.user.username,
        "--organisation": org.name,
        "--purpose": "assistance",
        "--name": "Importer",
        "--days": "30",
        **change,
    }
    with pytest.raises(CommandError, match=message):
        _command(*[part for pair in options.items() for part in pair])
    assert not ApiToken.objects.exists()
