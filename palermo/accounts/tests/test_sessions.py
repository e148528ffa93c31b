"""The session on the API (CSRF), switching between memberships, a deactivated organisation,
and signing out."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts import services
from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people import services as people_services
from palermo.people.models import Person
from palermo.testing import OrganisationFactory, actor_for, current_code, member, signed_in_client

pytestmark = pytest.mark.django_db

PEOPLE_API = "/api/people/"


# --- CSRF on the session-authenticated API --------------------------------------------


def _strict_client(membership: Membership) -> Client:
    """Signed in through the pages, then checking CSRF like a browser would need to."""
    signed_in = signed_in_client(membership)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    return strict


def test_a_session_post_without_the_csrf_token_is_refused():
    client = _strict_client(member(Role.CASE_WORKER))
    response = client.post(PEOPLE_API, {"first_name": "Maria"}, content_type="application/json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "csrf_failed"
    assert not Person.objects.exists()


def test_a_session_post_with_the_csrf_token_is_accepted():
    client = _strict_client(member(Role.CASE_WORKER))
    assert client.get("/people/").status_code == 200  # a page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        PEOPLE_API, {"first_name": "Maria"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content
    assert Person.objects.count() == 1


def test_session_reads_need_no_csrf_token():
    client = _strict_client(member(Role.CASE_WORKER))
    assert client.get(PEOPLE_API).status_code == 200


# --- switching membership -------------------------------------------------------------


@pytest.fixture
def two_hats():
    first = member(Role.CASE_WORKER, OrganisationFactory(name="Alpha Shelter"))
    second = Membership.objects.create(
        user=first.user,
        organisation=OrganisationFactory(name="Beta Helpline"),
        role=Role.SUPERVISOR,
    )
    return first, second


def test_a_user_with_two_memberships_switches(two_hats):
    first, second = two_hats
    client = signed_in_client(first)
    home = client.get("/").content.decode()
    assert "Alpha Shelter" in home
    assert "/accounts/switch/" in home

    page = client.get("/accounts/switch/").content.decode()
    assert "Alpha Shelter" in page and "Beta Helpline" in page
    response = client.post("/accounts/switch/", {"membership": second.pk})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "Beta Helpline" in home
    assert "Supervisor" in home
    event = AuditEvent.objects.get(action="auth.membership_switched")
    assert event.organisation == second.organisation
    assert event.object_id == str(second.pk)

    # Work now happens for the chosen organisation.
    client.post("/people/new/", {"first_name": "Ana"})
    assert Person.objects.get().owner_organisation == second.organisation


@pytest.mark.parametrize("kind", ["someone else's", "unknown", "not a number", "huge", "missing"])
def test_switching_to_a_membership_not_ones_own_is_refused_and_changes_nothing(two_hats, kind):
    first, _second = two_hats
    stranger = member(Role.CASE_WORKER, OrganisationFactory(name="Gamma Outreach"))
    value = {
        "someone else's": str(stranger.pk),
        "unknown": "987654321",
        "not a number": "beta",
        "huge": "9" * 40,
        "missing": None,
    }[kind]
    client = signed_in_client(first)
    before = dict(client.session)
    response = client.post("/accounts/switch/", {} if value is None else {"membership": value})
    assert response.status_code == 400
    assert "Choose one of your own organisations from the list." in response.content.decode()
    assert "Gamma Outreach" not in response.content.decode()
    assert dict(client.session).get("palermo_membership_id") == before.get("palermo_membership_id")
    assert "Alpha Shelter" in client.get("/").content.decode()
    assert not AuditEvent.objects.filter(action="auth.membership_switched").exists()


def test_the_switch_page_marks_the_current_membership(two_hats):
    first, _second = two_hats
    client = signed_in_client(first)
    page = client.get("/accounts/switch/").content.decode()
    assert f'value="{first.pk}" checked' in page


# --- a deactivated organisation -------------------------------------------------------


def _deactivate(organisation) -> None:
    organisation.is_active = False
    organisation.save(update_fields=["is_active"])


def test_a_deactivated_organisations_members_lose_access_at_once():
    worker = member(Role.CASE_WORKER, OrganisationFactory(name="Alpha Shelter"))
    person = people_services.person_create(actor=actor_for(worker), data={"first_name": "Olena"})
    client = signed_in_client(worker)
    # The member's own token, made before the organisation is deactivated (with a code of
    # the next 30 s: the sign-in's code cannot be used twice).
    device = TOTPDevice.objects.get(user=worker.user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    _token, secret = services.api_token_create(
        actor=actor_for(worker),
        name="Case system",
        purpose="assistance",
        expires_in_days=30,
        code=current_code(device),
    )
    bearer = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(f"/people/{person.public_id}/").status_code == 200
    assert client.get(f"{PEOPLE_API}{person.public_id}").status_code == 200
    assert bearer.get(f"{PEOPLE_API}{person.public_id}").status_code == 200

    _deactivate(worker.organisation)

    # The session that is already open: no organisation any more, so no one is visible.
    assert client.get(f"/people/{person.public_id}/").status_code == 404
    assert client.get(f"{PEOPLE_API}{person.public_id}").status_code == 404
    assert "Olena" not in client.get("/people/").content.decode()
    home = client.get("/").content.decode()
    assert "not yet a member of any organisation" in home
    assert "Alpha Shelter" not in home
    # The token: refused outright.
    response = bearer.get(f"{PEOPLE_API}{person.public_id}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_member_of_a_deactivated_organisation_can_still_sign_in_but_acts_for_no_one():
    worker = member(Role.CASE_WORKER, OrganisationFactory(name="Alpha Shelter"))
    _deactivate(worker.organisation)
    client = signed_in_client(worker)
    home = client.get("/")
    assert home.status_code == 200
    assert "not yet a member of any organisation" in home.content.decode()
    assert client.post("/people/new/", {"first_name": "Ana"}).status_code in (403, 404)
    assert not Person.objects.exists()


def test_with_two_memberships_only_the_active_organisation_acts(two_hats):
    first, second = two_hats
    client = signed_in_client(first)
    assert client.post("/accounts/switch/", {"membership": second.pk}).status_code == 302
    assert "Beta Helpline" in client.get("/").content.decode()

    _deactivate(second.organisation)

    # The session chose Beta; it is gone, so the user works for Alpha again.
    home = client.get("/").content.decode()
    assert "Alpha Shelter" in home
    assert "Beta Helpline" not in home
    page = client.get("/accounts/switch/").content.decode()
    assert "Beta Helpline" not in page
    response = client.post("/accounts/switch/", {"membership": second.pk})
    assert response.status_code == 400
    client.post("/people/new/", {"first_name": "Ana"})
    assert Person.objects.get().owner_organisation == first.organisation


# --- signing out clears what the browser kept -----------------------------------------


def test_signing_out_asks_the_browser_to_clear_its_cache_and_storage():
    client = signed_in_client(member(Role.CASE_WORKER))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
